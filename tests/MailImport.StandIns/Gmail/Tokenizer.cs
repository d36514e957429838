using System.Globalization;
using System.Text;

namespace MailImport.StandIns.Gmail;

/// <summary>One token of an IMAP command: an atom (a fetch item's <c>[section]</c> included), a quoted string, a
/// literal, or a parenthesised list.</summary>
internal sealed record Token(string Text, IReadOnlyList<Token> Items, bool IsList);

/// <summary>Splits a command as RFC 3501 section 9 forms it, as far as a stand-in needs.</summary>
internal static class Tokenizer
{
    public static List<Token> Split(string line)
    {
        var position = 0;
        return Read(line, ref position, nested: false);
    }

    private static List<Token> Read(string line, ref int i, bool nested)
    {
        var tokens = new List<Token>();
        while (i < line.Length)
        {
            var c = line[i];
            if (c == ' ')
            {
                i++;
            }
            else if (c == '(')
            {
                i++;
                tokens.Add(new Token("", Read(line, ref i, nested: true), true));
            }
            else if (c == ')' && nested)
            {
                i++;
                return tokens;
            }
            else if (c == '"')
            {
                var text = new StringBuilder();
                for (i++; i < line.Length && line[i] != '"'; i++)
                {
                    text.Append(line[i] == '\\' && i + 1 < line.Length ? line[++i] : line[i]);
                }

                i++;
                tokens.Add(new Token(Utf8(text.ToString()), [], false));
            }
            else if (c == '{' && line.IndexOf("}\r\n", i, StringComparison.Ordinal) is var close and > 0)
            {
                var length = int.Parse(line.AsSpan(i + 1, close - i - 1).TrimEnd('+'), NumberStyles.None, CultureInfo.InvariantCulture);
                tokens.Add(new Token(Utf8(line.Substring(close + 3, length)), [], false));
                i = close + 3 + length;
            }
            else
            {
                var start = i;
                var depth = 0;
                while (i < line.Length && (depth > 0 || (line[i] != ' ' && line[i] != ')' && line[i] != '(')))
                {
                    depth += line[i] == '[' ? 1 : line[i] == ']' ? -1 : 0;
                    i++;
                }

                tokens.Add(new Token(line[start..i], [], false));
            }
        }

        return tokens;
    }

    /// <summary>Strings arrive as Latin-1 text of their bytes; names and passwords are UTF-8.</summary>
    private static string Utf8(string latin1) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1));
}

/// <summary>An IMAP sequence set of UIDs (RFC 3501 section 9, <c>sequence-set</c>): <c>1:5,7,9:*</c>.</summary>
internal static class UidSet
{
    public static bool Contains(string set, uint uid, IReadOnlyList<(uint Uid, StoredMessage Message)> view)
    {
        var highest = view.Count > 0 ? view[^1].Uid : 0;
        foreach (var range in set.Split(','))
        {
            var ends = range.Split(':');
            var first = Parse(ends[0], highest);
            var last = ends.Length > 1 ? Parse(ends[1], highest) : first;
            if (uid >= Math.Min(first, last) && uid <= Math.Max(first, last))
            {
                return true;
            }
        }

        return false;
    }

    private static uint Parse(string text, uint highest) =>
        text == "*" ? highest : uint.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
}
