using System.Globalization;
using System.Text.RegularExpressions;
using MailImport.Core;

namespace MailImport.Mail.Errors;

// Every text that reaches a message passes here: cleaned to one bounded line and scrubbed of anything that looks like
// a client's credential command. And the delay a server text asks for.
public static partial class MailErrorClassifier
{
    // Server texts quoted in a message are cut here: enough for any real reply, short enough for a report line.
    private const int MaxServerTextLength = 300;

    // A server's hint is a hint: nothing it says makes us wait longer than this.
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);

    /// <summary>Reads the delay a server text asks for: "Suggested Backoff Time: 12345 msec" (Gmail, Exchange Online;
    /// milliseconds unless another unit follows), "retry after 30 seconds", "try again in 5 minutes",
    /// "Retry-After: 60". Capped at one day.</summary>
    /// <returns>The delay, or null when the text gives none.</returns>
    internal static TimeSpan? ParseRetryAfter(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var backoff = BackoffTime().Match(text);
        if (backoff.Success)
        {
            return ToDelay(backoff, defaultUnitMilliseconds: 1);
        }

        var retry = RetryAfterText().Match(text);
        return retry.Success ? ToDelay(retry, defaultUnitMilliseconds: 1000) : null;
    }

    private static TimeSpan? ToDelay(Match match, long defaultUnitMilliseconds)
    {
        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return null;
        }

        var unit = match.Groups["u"].Value;
        long unitMilliseconds = unit.Length == 0 ? defaultUnitMilliseconds
            : unit.StartsWith("ms", StringComparison.OrdinalIgnoreCase) || unit.StartsWith("milli", StringComparison.OrdinalIgnoreCase) ? 1
            : unit.StartsWith('h') || unit.StartsWith('H') ? 3_600_000
            : unit.StartsWith("min", StringComparison.OrdinalIgnoreCase) || unit.Equals("m", StringComparison.OrdinalIgnoreCase) ? 60_000
            : 1000;
        var milliseconds = amount * unitMilliseconds;
        return milliseconds >= (decimal)MaxRetryAfter.TotalMilliseconds
            ? MaxRetryAfter
            : TimeSpan.FromMilliseconds((double)milliseconds);
    }

    /// <summary>Makes a text fit for one report line: one line, no Dovecot timing suffix, no client command, bounded.</summary>
    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var cleaned = Redact(text).Replace(Side, string.Empty, StringComparison.Ordinal);
        cleaned = DovecotTiming().Replace(cleaned, string.Empty);
        cleaned = Whitespace().Replace(cleaned, " ").Trim();
        if (cleaned.Length > MaxServerTextLength)
        {
            cleaned = string.Concat(cleaned.AsSpan(0, MaxServerTextLength), "…");
        }

        return cleaned.Length == 0 ? null : cleaned;
    }

    /// <summary>Replaces the arguments of anything that looks like a client's LOGIN, AUTHENTICATE, PASS, APOP or AUTH
    /// command with <see cref="Secret.Mask"/>: a protocol-log line or a wrapped message must not carry a password out.</summary>
    private static string Redact(string text)
    {
        text = ImapCredentialCommand().Replace(text, m => $"{m.Groups["head"].Value} {Secret.Mask}");
        return Pop3CredentialCommand().Replace(text, m => $"{m.Groups["head"].Value} {Secret.Mask}");
    }

    [GeneratedRegex(@"\bsuggested backoff time:?\s*(?<n>\d{1,15})\s*(?<u>milliseconds?|msecs?|ms|seconds?|secs?|s\b|minutes?|mins?\b)?", TextOptions)]
    private static partial Regex BackoffTime();

    [GeneratedRegex(@"(?:\b(?:retry|try again|come back|wait)\s+(?:after|in|for)?\s*|\bretry-after:?\s*)(?<n>\d{1,15})\s*(?<u>milliseconds?|msecs?|ms\b|seconds?|secs?\b|s\b|minutes?|mins?\b|m\b|hours?|h\b)?", TextOptions)]
    private static partial Regex RetryAfterText();

    // An IMAP client command is "tag LOGIN user pass" / "tag AUTHENTICATE PLAIN base64": the tag holds a digit, which
    // keeps a server's own "LOGIN failed." or Yandex's "LOGIN invalid credentials ..." readable. Case-sensitive: clients
    // send the commands in capitals, servers write "log in"/"login" in their prose.
    [GeneratedRegex(@"(?<head>(?<![^\s:""'])[A-Za-z.]*\d[A-Za-z0-9.]*\s+(?:LOGIN|AUTHENTICATE))\s+[^\r\n]*", RegexOptions.CultureInvariant)]
    private static partial Regex ImapCredentialCommand();

    [GeneratedRegex(@"(?<head>(?<![^\s:""'])(?:PASS|APOP|AUTH\s+[A-Z0-9-]+))\s+[^\r\n]*", RegexOptions.CultureInvariant)]
    private static partial Regex Pop3CredentialCommand();

    // Dovecot appends its timing to tagged answers: "Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs)."
    [GeneratedRegex(@"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)", RegexOptions.CultureInvariant)]
    private static partial Regex DovecotTiming();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
