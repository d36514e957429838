using MailImport.Core.Errors;

namespace MailImport.Core.Credentials;

/// <summary>Splits one line of a credential file into fields.</summary>
/// <remarks>
/// Grammar: fields are separated by one or more spaces or tabs. A field that starts with <c>"</c> is quoted:
/// it runs to the closing <c>"</c>, may hold spaces, and writes a quote as <c>""</c> (as CSV does). A quote
/// inside an unquoted field is literal, so <c>pa"ss</c> is the password <c>pa"ss</c>.
/// Messages name fields and columns, never their content: the field may be a password.
/// </remarks>
internal static class CredentialLineTokenizer
{
    /// <summary>Splits <paramref name="line"/> into <paramref name="fields"/>, or says why it cannot.</summary>
    public static (ErrorCode Code, string Message)? Tokenize(ReadOnlySpan<char> line, List<string> fields)
    {
        fields.Clear();
        var i = 0;
        var quoted = new System.Text.StringBuilder();
        while (true)
        {
            while (i < line.Length && IsSeparator(line[i]))
            {
                i++;
            }

            if (i == line.Length)
            {
                return null;
            }

            if (line[i] != '"')
            {
                var start = i;
                while (i < line.Length && !IsSeparator(line[i]))
                {
                    i++;
                }

                fields.Add(line[start..i].ToString());
                continue;
            }

            var openedAt = i + 1;
            quoted.Clear();
            i++;
            while (true)
            {
                if (i == line.Length)
                {
                    return (ErrorCode.LineUnterminatedQuote,
                        $"Field {fields.Count + 1} opens a quote at column {openedAt} that is never closed; close it with \" (a quote inside it is written \"\").");
                }

                if (line[i] == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"')
                    {
                        quoted.Append('"');
                        i += 2;
                        continue;
                    }

                    i++;
                    break;
                }

                quoted.Append(line[i]);
                i++;
            }

            if (i < line.Length && !IsSeparator(line[i]))
            {
                return (ErrorCode.LineTextAfterQuote,
                    $"Field {fields.Count + 1} has text right after its closing quote at column {i + 1}; put a space there, or write a quote inside the field as \"\".");
            }

            fields.Add(quoted.ToString());
        }
    }

    /// <summary>True for the characters that separate fields.</summary>
    public static bool IsSeparator(char c) => c is ' ' or '\t';
}
