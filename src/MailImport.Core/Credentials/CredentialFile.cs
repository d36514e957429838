using System.Buffers;
using System.Text;
using System.Text.Unicode;
using MailImport.Core.Errors;
using MailImport.Core.Rules;
using MailImport.Core.Sources;

namespace MailImport.Core.Credentials;

/// <summary>Reads the credential file an admin uploads: one mailbox a line,
/// <c>login password</c> or <c>login password newlogin newpassword</c>; for a source reached with tokens
/// (<see cref="SourceAuthenticationTypes.UsesTokens"/>) <c>login</c>, <c>login newlogin</c> or <c>login newlogin newpassword</c>.</summary>
/// <remarks>
/// UTF-8 with or without BOM; LF, CRLF or a lone CR end a line; blank lines and surrounding spaces are
/// ignored. Good lines are kept when other lines fail; only an unreadable file fails as a whole.
/// </remarks>
public static class CredentialFile
{
    /// <summary>The largest file accepted, in bytes (10 MB).</summary>
    public const int MaxBytes = 10 * 1024 * 1024;

    /// <summary>The most mailbox (non-blank) lines one import takes.</summary>
    public const int MaxLines = 20_000;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>C0 controls and DEL, except tab, which separates fields.</summary>
    internal static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    /// <summary>Parses a whole file in the grammar <paramref name="authentication"/> decides.</summary>
    public static CredentialParseResult Parse(ReadOnlySpan<byte> content, SourceAuthenticationType authentication = SourceAuthenticationType.Password)
    {
        if (content.Length > MaxBytes)
        {
            return CredentialParseResult.FileFailed(ErrorCode.FileTooLarge,
                $"The file is {content.Length / (1024.0 * 1024):0.#} MB; at most {MaxBytes / (1024 * 1024)} MB is accepted. Split it into several files.");
        }

        if (content.StartsWith(Utf8Bom))
        {
            content = content[Utf8Bom.Length..];
        }

        if (DescribeNonUtf8(content) is { } encodingProblem)
        {
            return encodingProblem;
        }

        return ParseText(Encoding.UTF8.GetString(content), authentication);
    }

    private static CredentialParseResult? DescribeNonUtf8(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || content.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return CredentialParseResult.FileFailed(ErrorCode.FileNotUtf8,
                "The file is saved as UTF-16 (\"Unicode\" in some editors); save it as UTF-8 and upload it again.");
        }

        var nul = content.IndexOf((byte)0);
        if (nul >= 0)
        {
            return LooksLikeUtf16WithoutBom(content)
                ? CredentialParseResult.FileFailed(ErrorCode.FileNotUtf8,
                    "The file looks saved as UTF-16 (\"Unicode\" in some editors); save it as UTF-8 and upload it again.")
                : CredentialParseResult.FileFailed(ErrorCode.FileNotText,
                    $"The file holds binary data (a NUL byte on line {LineOf(content, nul)}); it is not a plain text file. Export the list as plain text, one mailbox a line.");
        }

        OperationStatus status;
        var offset = 0;
        var buffer = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            // Validate in slices so a 10 MB file needs no second 20 MB buffer just to be checked.
            while (true)
            {
                status = Utf8.ToUtf16(content[offset..], buffer, out var bytesRead, out _, replaceInvalidSequences: false);
                offset += bytesRead;
                if (status != OperationStatus.DestinationTooSmall)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        if (status == OperationStatus.Done)
        {
            return null;
        }

        return CredentialParseResult.FileFailed(ErrorCode.FileNotUtf8,
            $"Line {LineOf(content, offset)} is not valid UTF-8 (byte 0x{content[offset]:X2}); the file looks saved in another encoding "
            + "such as Windows-1251 or Latin-1. Save it as UTF-8 and upload it again.");
    }

    private static bool LooksLikeUtf16WithoutBom(ReadOnlySpan<byte> content)
    {
        // ASCII text in UTF-16 has a NUL in every other byte; binary data has them scattered.
        var sample = content[..(Math.Min(content.Length, 256) & ~1)];
        if (sample.Length < 4)
        {
            return false;
        }

        int even = 0, odd = 0;
        for (var i = 0; i < sample.Length; i += 2)
        {
            even += sample[i] == 0 ? 1 : 0;
            odd += sample[i + 1] == 0 ? 1 : 0;
        }

        var pairs = sample.Length / 2;
        return (even > pairs * 3 / 4 && odd == 0) || (odd > pairs * 3 / 4 && even == 0);
    }

    private static int LineOf(ReadOnlySpan<byte> content, int offset)
    {
        var before = content[..offset];
        var lf = before.Count((byte)'\n');
        // A file that ends lines with a lone CR counts lines by CR.
        return 1 + (lf > 0 ? lf : before.Count((byte)'\r'));
    }

    /// <summary>Parses text already decoded from the file.</summary>
    internal static CredentialParseResult ParseText(string text, SourceAuthenticationType authentication = SourceAuthenticationType.Password)
    {
        var grammar = authentication.UsesTokens() ? LineGrammar.Token : LineGrammar.Password;
        var builder = new CredentialListBuilder(CredentialListBuilder.Form.TextFile);
        var fields = new List<string>(4);
        var mailboxLines = 0;
        var lineNumber = 0;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            // Only CR, LF and CRLF end a line (not U+2028 or form feed), so line numbers match what an editor shows.
            var end = rest.IndexOfAny('\r', '\n');
            var rawLine = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + (rest[end] == '\r' && end + 1 < rest.Length && rest[end + 1] == '\n' ? 2 : 1))..];
            lineNumber++;
            var line = rawLine.Trim(" \t");
            if (line.IsEmpty)
            {
                continue;
            }

            if (++mailboxLines > MaxLines)
            {
                return CredentialParseResult.FileFailed(ErrorCode.FileTooManyLines,
                    $"The file has more than {MaxLines:N0} mailbox lines; split it into files of at most {MaxLines:N0} lines.");
            }

            ParseLine(lineNumber, line, fields, grammar, builder);
        }

        if (mailboxLines == 0)
        {
            builder.AddProblem(0, ErrorCode.FileEmpty,
                $"The file holds no mailbox line. Put one mailbox a line: {grammar.Forms}.");
        }

        return builder.Build();
    }

    private static void ParseLine(int lineNumber, ReadOnlySpan<char> line, List<string> fields, LineGrammar grammar, CredentialListBuilder builder)
    {
        var control = line.IndexOfAny(ControlCharacters);
        if (control >= 0)
        {
            builder.AddProblem(lineNumber, ErrorCode.LineControlCharacter,
                $"The line has an invisible control character (U+{(int)line[control]:X4}) at column {control + 1}; retype the line in a plain text editor.");
            return;
        }

        if (CredentialLineTokenizer.Tokenize(line, fields) is { } syntax)
        {
            builder.AddProblem(lineNumber, syntax.Code, syntax.Message, LoginOf(fields));
            return;
        }

        if (!grammar.Takes(fields.Count))
        {
            builder.AddProblem(lineNumber, ErrorCode.LineFieldCount, grammar.FieldCountMessage(fields.Count, line), LoginOf(fields));
            return;
        }

        var empty = fields.FindIndex(f => f.Length == 0);
        if (empty >= 0)
        {
            builder.AddProblem(lineNumber, ErrorCode.LineEmptyField,
                $"Field {empty + 1} ({grammar.FieldNames[empty]}) is empty; fill it in.", LoginOf(fields));
            return;
        }

        if (grammar == LineGrammar.Token)
        {
            // A file written for passwords (login password) given to a token batch would make each source password the
            // new username; its second field is then rarely a valid username, and the line is refused without naming it.
            if (fields.Count == 2 && DestinationRules.CheckUsername(fields[1]).Count > 0)
            {
                builder.AddProblem(lineNumber, ErrorCode.LineFieldCount, LineGrammar.NotAUsernameMessage, fields[0]);
                return;
            }

            builder.Add(lineNumber, fields[0], null, fields.Count > 1 ? fields[1] : null, fields.Count > 2 ? new Secret(fields[2]) : null);
            return;
        }

        var four = fields.Count == 4;
        builder.Add(lineNumber, fields[0], new Secret(fields[1]), four ? fields[2] : null, four ? new Secret(fields[3]) : null);
    }

    private static string? LoginOf(List<string> fields) => fields.Count > 0 && fields[0].Length > 0 ? fields[0] : null;
}

/// <summary>Which fields a line has: with a source password, or (for a source reached with tokens) without one.</summary>
internal sealed class LineGrammar
{
    /// <summary><c>login password</c> or <c>login password newlogin newpassword</c>.</summary>
    public static readonly LineGrammar Password = new(["login", "password", "new login", "new password"], "login password, or login password newlogin newpassword");

    /// <summary><c>login</c>, <c>login newlogin</c> or <c>login newlogin newpassword</c>: the source takes a token, so no line
    /// gives a source password.</summary>
    public static readonly LineGrammar Token = new(["login", "new login", "new password"], "login, login newlogin, or login newlogin newpassword");

    private LineGrammar(string[] fieldNames, string forms) => (FieldNames, Forms) = (fieldNames, forms);

    /// <summary>Why a token line's second field that breaks the username rules is refused: it is most likely a source
    /// password, which the message never repeats.</summary>
    public const string NotAUsernameMessage =
        "Field 2 is not a valid destination username. The source of this batch is logged in to with tokens, so the file gives no source password: "
        + "if field 2 is the mailbox's password, remove it (login, login newlogin, or login newlogin newpassword); if it is the new username, "
        + "use only Latin letters, digits, '-' and '.', starting with a letter.";

    /// <summary>The name of each field, by position.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    /// <summary>The forms a line may take, for messages.</summary>
    public string Forms { get; }

    /// <summary>True when a line of <paramref name="count"/> fields has one of the grammar's forms.</summary>
    public bool Takes(int count) => this == Token ? count is >= 1 and <= 3 : count is 2 or 4;

    /// <summary>Why a line of <paramref name="count"/> fields does not fit, with the fix.</summary>
    public string FieldCountMessage(int count, ReadOnlySpan<char> line)
    {
        var message = this == Token
            ? count == 4
                ? "The line has 4 fields but takes at most 3 (login newlogin newpassword): the source is logged in to with tokens, so the file gives no source password; remove it."
                : $"The line has {count} fields but takes 1 to 3 ({Forms}); put a new password that has spaces in double quotes."
            : count switch
            {
                1 => "The line has 1 field but needs at least 2: login password.",
                3 => "The line has 3 fields; a new login needs a new password too: login password newlogin newpassword.",
                _ => $"The line has {count} fields but takes 2 (login password) or 4 (login password newlogin newpassword); put a password that has spaces in double quotes.",
            };
        // Text pasted from a word processor often separates fields with no-break spaces, which look like spaces.
        return line.Contains('\u00A0') ? message + " The line has no-break spaces (U+00A0): replace them with ordinary spaces." : message;
    }
}
