using MimeKit;

namespace MailImport.Mail.Sync;

/// <summary>Hands MailKit's APPEND a message that serialises to exactly the bytes the source sent.</summary>
/// <remarks>
/// MailKit appends only <see cref="MimeMessage"/>s, and re-serialising a parsed message can change malformed MIME.
/// So the header block is loaded as raw headers (MimeKit writes a header's raw bytes back unchanged) and the body
/// is an entity that writes the source's bytes verbatim; MimeMessage itself adds only the blank line between
/// them, which the source had too. Every literal is checked against the source bytes before it is used; a
/// message that cannot be rebuilt exactly (no header/body separator, unparseable headers, LF-only line ends)
/// falls back to MimeKit's own parser, or to a plain body, and is marked not exact, so the caller can say so.
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

    /// <summary>The largest header block a message may have (256 KB): MimeKit's header parser slows down faster than
    /// linearly on a header folded over many lines (1 MB takes seconds, 4 MB minutes), and no mail program writes
    /// such headers, so bigger ones are refused per message rather than stall the mailbox.</summary>
    public const int MaxHeaderBytes = 256 * 1024;

    /// <summary>The length of the header block: up to the first blank line, or the whole message if it has none.</summary>
    public static int HeaderBytes(ReadOnlySpan<byte> raw)
    {
        var crlf = raw.IndexOf("\r\n\r\n"u8);
        var lf = raw.IndexOf("\n\n"u8);
        return crlf < 0 && lf < 0 ? raw.Length : crlf < 0 ? lf : lf < 0 ? crlf : Math.Min(crlf, lf);
    }

    /// <summary>Wraps the raw bytes of one message. Never throws for content: a message MimeKit cannot parse at all
    /// is sent as a body under an empty header block, not exact, rather than not at all.</summary>
    /// <param name="raw">The message exactly as the source sent it.</param>
    /// <param name="international">True when the destination announced UTF8=ONLY (RFC 6855): MailKit then appends
    /// with international formatting, which re-folds some raw headers, so exactness is checked that way too.</param>
    public static RawMessage Create(byte[] raw, bool international = false)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var format = AppendFormat(international);
        if (TrySplit(raw, format) is { } exact)
        {
            return exact;
        }

        MimeMessage parsed;
        try
        {
            // MimeKit's parser keeps almost everything, but not every malformed structure.
            parsed = MimeMessage.Load(new MemoryStream(raw, writable: false));
        }
        catch (FormatException)
        {
            // Not even MimeKit can read the headers (a first line that is no field, zero bytes): keep every byte as body.
            parsed = new MimeMessage();
            parsed.Headers.Clear();
            parsed.Body = new VerbatimBody(raw, 0);
        }

        return new RawMessage(parsed, format, Serialises(parsed, format, raw));
    }

    private static RawMessage? TrySplit(byte[] raw, FormatOptions format)
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

        // A body without headers of its own keeps MimeMessage from adding MIME-Version or Content-Type.
        message.Body = new VerbatimBody(raw, bodyStart);
        return Serialises(message, format, raw) ? new RawMessage(message, format, true) : null;
    }

    /// <summary>The format MailKit's APPEND writes with: CRLF, and international formatting for UTF8=ONLY servers.</summary>
    public static FormatOptions AppendFormat(bool international)
    {
        // IMAP literals use CRLF (RFC 3501 section 4.3); MailKit forces this too, so the check below sees what APPEND sends.
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = international;
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
