using System.Globalization;
using System.Text;
using MailImport.Core.Errors;

namespace MailImport.Core.Rules;

/// <summary>One broken destination rule, with a message that names what to change.</summary>
/// <param name="Code">Which rule.</param>
/// <param name="Message">What is wrong with this value; never contains a password.</param>
public sealed record RuleViolation(ErrorCode Code, string Message);

/// <summary>The destination service's rules for new mailboxes (Yandex 360 / Yandex.Mail for Domain).</summary>
public static class DestinationRules
{
    /// <summary>Longest username the destination accepts.</summary>
    public const int MaxUsernameLength = 30;

    /// <summary>Shortest password the destination accepts.</summary>
    public const int MinPasswordLength = 6;

    /// <summary>Longest password the destination accepts.</summary>
    public const int MaxPasswordLength = 20;

    /// <summary>The punctuation a password may hold besides Latin letters and digits.</summary>
    public const string PasswordPunctuation = "!@#$%^&*()_-+:;,.";

    /// <summary>Two usernames that the destination treats as one mailbox share a key.</summary>
    /// <remarks>Yandex logins ignore case and treat '.' and '-' as the same character
    /// (ivan.petrov and Ivan-Petrov are one login), so such lines would import into one mailbox.</remarks>
    public static string MailboxKey(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        return username.ToLowerInvariant().Replace('.', '-');
    }

    /// <summary>Checks a destination username; an empty list means it is acceptable.</summary>
    public static IReadOnlyList<RuleViolation> CheckUsername(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        if (username.Length == 0)
        {
            return [new(ErrorCode.UsernameEmpty, "The destination username is empty.")];
        }

        var violations = new List<RuleViolation>();
        var shown = Shorten(username);
        var textElements = new StringInfo(username).LengthInTextElements;
        if (textElements > MaxUsernameLength)
        {
            violations.Add(new(ErrorCode.UsernameTooLong,
                $"The destination username '{shown}' has {textElements} characters; at most {MaxUsernameLength} are allowed."));
        }

        // One wrong character is one error: a first or last character that is not allowed at all is reported as such,
        // not also as a wrong start or end.
        var bad = InvalidUsernameRunes(username);
        if (bad.Count > 0)
        {
            var more = bad.Count == 1
                ? ""
                : $", and {bad.Count - 1} more character{(bad.Count == 2 ? "" : "s")} that {(bad.Count == 2 ? "is" : "are")} not allowed at position{(bad.Count == 2 ? "" : "s")} {string.Join(", ", bad.Skip(1).Take(5).Select(b => b.Position))}{(bad.Count > 6 ? ", …" : "")}";
            violations.Add(new(ErrorCode.UsernameInvalidCharacter,
                $"The destination username '{shown}' has {Describe(bad[0].Rune)} at position {bad[0].Position}{more}; only Latin letters, digits, '-' and '.' are allowed."));
        }

        if (username[0] is '-' or '.' || char.IsAsciiDigit(username[0]))
        {
            violations.Add(new(ErrorCode.UsernameMustStartWithLetter,
                $"The destination username '{shown}' starts with '{FirstRune(username)}'; it must start with a Latin letter."));
        }

        var last = username[^1];
        if (last is '-' or '.')
        {
            violations.Add(new(ErrorCode.UsernameMustEndWithLetterOrDigit,
                $"The destination username '{shown}' ends with '{LastRune(username)}'; it must end with a Latin letter or digit."));
        }

        return violations;
    }

    /// <summary>Checks a destination password against the rules and the username it belongs to.</summary>
    /// <remarks>Messages describe the password by its rule, never by its content.</remarks>
    public static IReadOnlyList<RuleViolation> CheckPassword(Secret password, string username)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(username);
        var value = password.Reveal();
        var violations = new List<RuleViolation>();
        if (value.Length < MinPasswordLength)
        {
            violations.Add(new(ErrorCode.PasswordTooShort,
                $"The destination password is shorter than {MinPasswordLength} characters."));
        }
        else if (value.Length > MaxPasswordLength)
        {
            violations.Add(new(ErrorCode.PasswordTooLong,
                $"The destination password is longer than {MaxPasswordLength} characters."));
        }

        var badAt = value.AsSpan().IndexOfAnyExcept(PasswordAlphabet);
        if (badAt >= 0)
        {
            // The position helps the admin find the character; the character itself would reveal part of the password.
            violations.Add(new(ErrorCode.PasswordInvalidCharacter,
                $"The destination password has a character that is not allowed at position {badAt + 1}; only Latin letters, digits and {PasswordPunctuation} are."));
        }

        // Logins are case-insensitive at the destination, so a password that differs only in case still gives the login away.
        if (value.Equals(username, StringComparison.OrdinalIgnoreCase))
        {
            violations.Add(new(ErrorCode.PasswordEqualsUsername,
                "The destination password is the same as the username."));
        }

        return violations;
    }

    private static readonly System.Buffers.SearchValues<char> PasswordAlphabet = System.Buffers.SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + PasswordPunctuation);

    private static bool IsLatinLetter(char c) => char.IsAsciiLetter(c);

    private static bool IsUsernameChar(Rune r) =>
        r.IsAscii && (char.IsAsciiLetterOrDigit((char)r.Value) || r.Value == '-' || r.Value == '.');

    private static List<(Rune Rune, int Position)> InvalidUsernameRunes(string username)
    {
        var bad = new List<(Rune, int)>();
        var position = 0;
        foreach (var rune in username.EnumerateRunes())
        {
            position++;
            if (!IsUsernameChar(rune))
            {
                bad.Add((rune, position));
            }
        }

        return bad;
    }

    private static string FirstRune(string s) => Rune.GetRuneAt(s, 0).ToString();

    private static string LastRune(string s) =>
        char.IsLowSurrogate(s[^1]) && s.Length > 1 ? s[^2..] : s[^1..];

    /// <summary>Names a character so that look-alikes (Cyrillic 'а' for Latin 'a') are visible as what they are.</summary>
    internal static string Describe(Rune rune)
    {
        var code = $"U+{rune.Value:X4}";
        if (rune.Value == ' ')
        {
            return "a space";
        }

        if (Rune.IsControl(rune) || Rune.IsWhiteSpace(rune))
        {
            return $"an invisible character ({code})";
        }

        var script = rune.Value switch
        {
            >= 0x0400 and <= 0x052F => "Cyrillic ",
            >= 0x0370 and <= 0x03FF => "Greek ",
            >= 0xFF00 and <= 0xFFEF => "full-width ",
            _ when rune.IsAscii => "",
            _ => "non-Latin ",
        };
        return $"the {script}character '{rune}' ({code})";
    }

    /// <summary>Keeps error messages readable when an admin pastes something huge into a field.</summary>
    internal static string Shorten(string value, int max = 64)
    {
        if (value.Length <= max)
        {
            return value;
        }

        var cut = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return string.Concat(value.AsSpan(0, cut), "…");
    }
}
