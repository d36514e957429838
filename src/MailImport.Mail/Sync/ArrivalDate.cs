using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MailImport.Mail.Sync;

/// <summary>Where a POP3 message's arrival date (the INTERNALDATE given to APPEND) came from.</summary>
public enum ArrivalDateSource
{
    /// <summary>The message's Date header (RFC 5322 section 3.6.1).</summary>
    Date,
    /// <summary>The topmost (newest) Received header's date (RFC 5321 section 4.4).</summary>
    Received,
    /// <summary>Neither could be read: no date is given to APPEND, so the destination uses the time of the import.</summary>
    ImportTime,
}

/// <summary>The arrival date of a message that comes without one (POP3 has no INTERNALDATE), read from its headers.</summary>
/// <remarks>
/// The Date header wherever it stands among the header fields, parsed by RFC 5322 section 3.3 with the obsolete
/// forms of section 4.3 (two- and three-digit years, comments, the zones UT, GMT, EST/EDT, CST/CDT, MST/MDT,
/// PST/PDT, and the military letters and other alphabetic zones, which mean -0000); else the date after the last
/// ';' of the topmost Received header, the one the last server added (RFC 5321 section 4.4); else none. The header
/// block is scanned byte by byte, so any first line (a byte-order mark, an mbox "From " line, a line that is no
/// field) and any size of header costs only a linear pass.
/// </remarks>
public static partial class ArrivalDate
{
    /// <summary>The arrival date of a raw message and where it came from; a null date means the import time.</summary>
    public static (DateTimeOffset? Date, ArrivalDateSource Source) Of(ReadOnlySpan<byte> raw)
    {
        string? date = null;
        string? received = null;
        foreach (var (name, value) in HeaderFields.Of(raw))
        {
            if (date is null && name.Equals("Date", StringComparison.OrdinalIgnoreCase))
            {
                date = value;
            }
            else if (received is null && name.Equals("Received", StringComparison.OrdinalIgnoreCase))
            {
                received = value;
            }
        }

        if (date is not null && Parse(date) is { } fromDate)
        {
            return (fromDate, ArrivalDateSource.Date);
        }

        // RFC 5321 section 4.4: the date-time follows the last ';' of a Received line.
        if (received is not null && received.LastIndexOf(';') is var semicolon and >= 0 && Parse(received[(semicolon + 1)..]) is { } fromReceived)
        {
            return (fromReceived, ArrivalDateSource.Received);
        }

        return (null, ArrivalDateSource.ImportTime);
    }

    /// <summary>Parses an RFC 5322 date-time (section 3.3, with the obsolete syntax of section 4.3); null when it is
    /// not one, or names no real moment (31 February, hour 24).</summary>
    public static DateTimeOffset? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = WithoutComments(text);
        // The longest date-time the syntax takes with ordinary spacing is some 40 characters; a longer text is no
        // date a mail program wrote, and is not handed to the pattern at all.
        if (text.Length > MaxDateLength)
        {
            return null;
        }

        var match = DateTimePattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var g = match.Groups;
        var month = Array.IndexOf(Months, g["month"].Value.ToUpperInvariant()) + 1;
        if (month == 0 || !int.TryParse(g["year"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return null;
        }

        // RFC 5322 section 4.3: a two-digit year below 50 is 20xx, otherwise 19xx; a three-digit year has 1900 added.
        year = g["year"].Length switch
        {
            2 => year < 50 ? 2000 + year : 1900 + year,
            3 => 1900 + year,
            _ => year,
        };
        var day = int.Parse(g["day"].ValueSpan, CultureInfo.InvariantCulture);
        var hour = int.Parse(g["hour"].ValueSpan, CultureInfo.InvariantCulture);
        var minute = int.Parse(g["minute"].ValueSpan, CultureInfo.InvariantCulture);
        var second = g["second"].Success ? int.Parse(g["second"].ValueSpan, CultureInfo.InvariantCulture) : 0;
        if (ZoneOffset(g["zone"].Value) is not { } offset
            || year is < 1 or > 9999 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 60)
        {
            return null;
        }

        // Section 3.3 allows second 60 for a leap second, which DateTimeOffset cannot hold: it is the next second's start.
        var leap = second == 60 ? 1 : 0;
        try
        {
            return new DateTimeOffset(year, month, day, hour, minute, second - leap, offset).AddSeconds(leap);
        }
        catch (ArgumentOutOfRangeException)
        {
            // An offset past DateTimeOffset's 14 hours, or a moment outside its range.
            return null;
        }
    }

    private const int MaxDateLength = 200;

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    private static TimeSpan? ZoneOffset(string zone)
    {
        if (zone[0] is '+' or '-')
        {
            var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var minutes = int.Parse(zone.AsSpan(3, 2), CultureInfo.InvariantCulture);
            if (minutes > 59)
            {
                return null;
            }

            var offset = new TimeSpan(hours, minutes, 0);
            return zone[0] == '-' ? -offset : offset;
        }

        // RFC 5322 section 4.3 obs-zone. The military letters were defined with the wrong sign in RFC 822 and other
        // alphabetic zones mean nothing certain: both SHOULD be taken as -0000, that is UTC with no local zone known.
        return zone.ToUpperInvariant() switch
        {
            "EDT" => TimeSpan.FromHours(-4),
            "EST" or "CDT" => TimeSpan.FromHours(-5),
            "CST" or "MDT" => TimeSpan.FromHours(-6),
            "MST" or "PDT" => TimeSpan.FromHours(-7),
            "PST" => TimeSpan.FromHours(-8),
            _ => TimeSpan.Zero,
        };
    }

    /// <summary>The text with its comments (RFC 5322 section 3.2.2, nested, with quoted-pairs) turned into spaces.</summary>
    private static string WithoutComments(string text)
    {
        var result = new StringBuilder(text.Length);
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (depth > 0 && c == '\\')
            {
                i++;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
                result.Append(' ');
            }
            else if (depth == 0)
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    /// <summary>[day-of-week ","] day month year hour ":" minute [":" second] zone, with the white space (FWS/CFWS,
    /// comments already removed) the standard and its obsolete syntax allow between the parts.</summary>
    [GeneratedRegex(
        @"^\s*(?:[A-Za-z]{3}\s*,)?\s*(?<day>\d{1,2})\s+(?<month>[A-Za-z]{3})\s+(?<year>\d{2,4})\s+(?<hour>\d{2})\s*:\s*(?<minute>\d{2})(?:\s*:\s*(?<second>\d{2}))?\s*(?<zone>[+-]\d{4}|[A-Za-z]{1,5})\s*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex DateTimePattern();
}
