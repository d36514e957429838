using System.Text;

namespace MailImport.Mail.Sync;

/// <summary>Reads header fields from raw message bytes in one linear pass, whatever the bytes are: no MimeKit parser,
/// so no first line, header size or malformed field makes it fail or stall.</summary>
public static class HeaderFields
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The header fields of a raw message, in order, unfolded, as Latin-1 text (one char a byte, so 8-bit
    /// headers come through unchanged): every line up to the first empty one, a line that starts with white space continuing the field before it (RFC 5322 section 2.2.3); a
    /// line that is no "name:" field (RFC 5322 section 3.6.8, with the obsolete white space before the colon of
    /// section 4.5) is passed over. A leading UTF-8 byte-order mark belongs to no field.</summary>
    public static IReadOnlyList<(string Name, string Value)> Of(ReadOnlySpan<byte> raw)
    {
        if (raw.StartsWith(ByteOrderMark))
        {
            raw = raw[3..];
        }

        var fields = new List<(string, string)>();
        string? name = null;
        StringBuilder? value = null;
        while (raw.Length > 0)
        {
            var end = raw.IndexOf((byte)'\n');
            var line = end < 0 ? raw : raw[..end];
            raw = end < 0 ? [] : raw[(end + 1)..];
            if (line.EndsWith("\r"u8))
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                break;
            }

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                value?.Append(Encoding.Latin1.GetString(line));
                continue;
            }

            if (name is not null)
            {
                fields.Add((name, value!.ToString()));
            }

            name = null;
            value = null;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var field = line[..colon].TrimEnd(" \t"u8);
            if (field.IsEmpty || field.ContainsAnyExceptInRange((byte)33, (byte)126))
            {
                continue;
            }

            name = Encoding.ASCII.GetString(field);
            value = new StringBuilder(Encoding.Latin1.GetString(line[(colon + 1)..]));
        }

        if (name is not null)
        {
            fields.Add((name, value!.ToString()));
        }

        return fields;
    }
}
