using MimeKit;

namespace MailImport.Mail.Sync;

/// <summary>Hands MailKit's APPEND a message that serialises to exactly the bytes the source sent.</summary>
/// <remarks>
/// MailKit appends only <see cref="MimeMessage"/>s, and re-serialising a parsed message can change malformed MIME.
/// So the header block is loaded as raw headers (MimeKit writes a header's raw bytes back unchanged) and the body
/// is an entity that writes the source's bytes verbatim; MimeMessage itself adds only the blank line between
/// them, which the source had too. Every literal is checked against the source bytes before it is used; a
/// message that cannot be rebuilt exactly (no header/body separator, unparseable headers) falls back to MimeKit's
/// own parser and is marked not exact, so the caller can say so.
/// </remarks>
public sealed class RawMessage
{
    private RawMessage(MimeMessage message, FormatOptions format, bool exact)
    {
        Message = message;
        Format = format;
        IsExact = exact;
    }

    /// <summary>The message to hand to APPEND.</summary>
    public MimeMessage Message { get; }

    /// <summary>The format options to append it with.</summary>
    public FormatOptions Format { get; }

    /// <summary>True when APPEND will send exactly the source's bytes.</summary>
    public bool IsExact { get; }

    /// <summary>Wraps the raw bytes of one message.</summary>
    public static RawMessage Create(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (TrySplit(raw) is { } exact)
        {
            return exact;
        }

        // Fallback: MimeKit's parser keeps almost everything, but not every malformed structure.
        var parsed = MimeMessage.Load(new MemoryStream(raw, writable: false));
        var format = AppendFormat();
        return new RawMessage(parsed, format, Serialises(parsed, format, raw));
    }

    private static RawMessage? TrySplit(byte[] raw)
    {
        var span = raw.AsSpan();
        int headerEnd, bodyStart;
        if (span.StartsWith("\r\n"u8))
        {
            // No headers at all: MimeMessage's blank line is the source's first line.
            headerEnd = 0;
            bodyStart = 2;
        }
        else
        {
            var separator = span.IndexOf("\r\n\r\n"u8);
            if (separator < 0)
            {
                return null;
            }

            headerEnd = separator + 2;
            bodyStart = separator + 4;
        }

        HeaderList headers;
        try
        {
            var block = new byte[headerEnd + 2];
            span[..headerEnd].CopyTo(block);
            "\r\n"u8.CopyTo(block.AsSpan(headerEnd));
            headers = HeaderList.Load(new MemoryStream(block, writable: false));
        }
        catch (FormatException)
        {
            return null;
        }

        var message = new MimeMessage();
        message.Headers.Clear();
        foreach (var header in headers)
        {
            message.Headers.Add(header);
        }

        message.Body = new VerbatimBody(raw, bodyStart);
        var format = AppendFormat();
        if (!headers.Contains(HeaderId.MimeVersion))
        {
            // MimeMessage adds "MIME-Version: 1.0" to a message with a body unless told to hide it.
            format.HiddenHeaders.Add(HeaderId.MimeVersion);
        }

        return Serialises(message, format, raw) ? new RawMessage(message, format, true) : null;
    }

    private static FormatOptions AppendFormat()
    {
        // IMAP literals use CRLF (RFC 3501 section 4.3); MailKit forces this too, so the check below sees what APPEND sends.
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    private static bool Serialises(MimeMessage message, FormatOptions format, byte[] expected)
    {
        using var compare = new ComparingStream(expected);
        message.WriteTo(format, compare);
        return compare.Matches;
    }

    /// <summary>A body that writes the source's bytes from an offset, untouched.</summary>
    private sealed class VerbatimBody : MimeEntity
    {
        private readonly byte[] raw;
        private readonly int offset;

        public VerbatimBody(byte[] raw, int offset)
            : base(new ContentType("application", "octet-stream"))
        {
            this.raw = raw;
            this.offset = offset;
            // Its own Content-Type must not be written: the real one is among the raw headers.
            Headers.Clear();
        }

        public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
        {
        }

        public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            stream.Write(raw, offset, raw.Length - offset);

        public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default) =>
            stream.WriteAsync(raw.AsMemory(offset), cancellationToken).AsTask();
    }

    /// <summary>Compares what is written with the expected bytes without keeping a copy.</summary>
    private sealed class ComparingStream(byte[] expected) : Stream
    {
        private long position;
        private bool differs;

        public bool Matches => !differs && position == expected.Length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => position;

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!differs)
            {
                differs = position + buffer.Length > expected.Length
                    || !buffer.SequenceEqual(expected.AsSpan((int)position, buffer.Length));
            }

            position += buffer.Length;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
