using System.Buffers;
using MimeKit;

namespace MailImport.Mail.Sync;

/// <summary>Hands MailKit's APPEND a message that serialises to exactly the bytes the source sent, whatever they are.</summary>
/// <remarks>
/// MailKit appends only <see cref="MimeMessage"/>s (ImapLiteral measures and writes them with MimeMessage.WriteTo),
/// and MimeMessage's WriteTo is not overridable; re-serialising a parsed message changes malformed MIME, and even a
/// header block loaded raw cannot carry a first line that is no header field (a BOM, an mbox "From " line, a
/// leading space), nor a message with no blank line. So nothing of the message is parsed: every byte goes as the
/// content of a body that writes it verbatim, under an empty header list. MimeMessage.WriteTo (MimeKit 4.18)
/// writes, for a message with a body, the merged headers of message and body (none here), then the blank line
/// only when the message is Strict or the body's headers had a body separator, then the body. A MimeMessage made
/// with <c>new</c> is Strict; a parsed one is Loose, and MimeKit's ExperimentalMimeParser records whether the parsed
/// entity had a body separator (the classic MimeParser always says it had). So the message is parsed once from a
/// template of one header line without a blank line, with <see cref="VerbatimBody"/> registered for its
/// text/plain type (ParserOptions.RegisterMimeType), and its headers removed: nothing but the body's bytes is
/// written, not even the newline MailKit's EnsureNewLine asks for, which only MimeKit's own entities honour.
/// Every message is still checked against the source bytes before it is used (<see cref="IsExact"/>), so a MimeKit
/// that one day writes something else is caught per message and reported, not copied altered in silence.
/// </remarks>
public sealed class RawMessage
{
    /// <summary>The template: one header field, no header/body separator, no body.</summary>
    private static readonly byte[] Template = "X-Verbatim: 1"u8.ToArray();

    private static readonly ParserOptions Parsing = VerbatimParsing();

    [ThreadStatic]
    private static ExperimentalMimeParser? templateParser;

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

    /// <summary>True when APPEND will send exactly the source's bytes (checked by writing the message once).</summary>
    public bool IsExact { get; }

    /// <summary>Why the message is not exact, for the report; null when it is.</summary>
    public string? NotExactReason => IsExact ? null : "MimeKit did not write the message back byte for byte; it was appended as MimeKit wrote it.";

    /// <summary>Wraps the raw bytes of one message. Never throws for content: any bytes, none included.</summary>
    /// <param name="raw">The message exactly as the source sent it.</param>
    /// <param name="international">True when the destination announced UTF8=ONLY (RFC 6855): MailKit then appends
    /// with international formatting, so exactness is checked that way too.</param>
    public static RawMessage Create(byte[] raw, bool international = false)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return Create(MessageBody.Of(raw), international);
    }

    /// <summary>Wraps one message's bytes where they wait (memory or a spool file), without copying them: APPEND
    /// reads them from there as it writes, and the exactness check reads them once more alongside.</summary>
    /// <param name="raw">The message exactly as the source sent it; it must stay undisposed until the APPEND is done.</param>
    /// <param name="international">As for the array overload (no default, so a null argument names one overload).</param>
    public static RawMessage Create(MessageBody raw, bool international)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var format = AppendFormat(international);
        MimeMessage message;
        using (var template = new MemoryStream(Template, writable: false))
        {
            // One parser a thread, given each template anew (SetStream): a new parser's read buffers were most of the
            // 12 KB a message cost before anything of the message was touched.
            var parser = templateParser ??= new ExperimentalMimeParser(Parsing, template);
            parser.SetStream(template);
            message = parser.ParseMessage();
        }

        message.Headers.Clear();
        var body = message.Body as VerbatimBody
            ?? throw new InvalidOperationException("MimeKit did not make the registered verbatim body for the template.");
        body.Raw = raw;
        return new RawMessage(message, format, Serialises(message, format, raw));
    }

    /// <summary>The format MailKit's APPEND writes with: CRLF, EnsureNewLine, and international formatting for
    /// UTF8=ONLY servers (MailKit 4.18, ImapFolder.CreateAppendOptions).</summary>
    public static FormatOptions AppendFormat(bool international)
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.EnsureNewLine = true;
        format.International = international;
        return format;
    }

    private static ParserOptions VerbatimParsing()
    {
        var options = ParserOptions.Default.Clone();
        // The template has no Content-Type, so its body is text/plain (RFC 2045 section 5.2).
        options.RegisterMimeType("text/plain", typeof(VerbatimBody));
        return options;
    }

    /// <summary>True when <paramref name="message"/> written with <paramref name="format"/> is exactly <paramref name="expected"/>.</summary>
    internal static bool Serialises(MimeMessage message, FormatOptions format, byte[] expected) =>
        Serialises(message, format, MessageBody.Of(expected));

    /// <summary>True when <paramref name="message"/> written with <paramref name="format"/> is exactly <paramref name="expected"/>.</summary>
    internal static bool Serialises(MimeMessage message, FormatOptions format, MessageBody expected)
    {
        using var compare = new ComparingStream(expected);
        message.WriteTo(format, compare);
        return compare.Matches;
    }

    /// <summary>A body that writes the source's bytes untouched and has no headers of its own.</summary>
    /// <remarks>Public with a <see cref="MimeEntityConstructorArgs"/> constructor because MimeKit's parser makes it
    /// by reflection (ParserOptions.RegisterMimeType).</remarks>
    public sealed class VerbatimBody : MimePart
    {
        /// <summary>Made by the parser from the template's (empty) body.</summary>
        public VerbatimBody(MimeEntityConstructorArgs args)
            : base(args)
        {
        }

        /// <summary>The bytes to write.</summary>
        public MessageBody Raw { get; set; } = MessageBody.Of([]);

        /// <inheritdoc/>
        public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
        {
        }

        /// <inheritdoc/>
        public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(stream);
            cancellationToken.ThrowIfCancellationRequested();
            Raw.WriteTo(stream, cancellationToken);
        }

        /// <inheritdoc/>
        public override Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(stream);
            return Raw.WriteToAsync(stream, cancellationToken);
        }
    }

    /// <summary>Compares what is written with the expected bytes as they are read alongside, without keeping a copy.</summary>
    /// <remarks>Its read buffer is rented, not allocated: one check per message made a new 16 KB array each, 80 MB of
    /// garbage for 5,000 messages, which the GC's gen0 budget turned into resident memory (scripts/bench copy).</remarks>
    private sealed class ComparingStream(MessageBody expected) : Stream
    {
        private readonly Stream reader = expected.OpenRead();
        private byte[]? buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
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

        public override void Write(ReadOnlySpan<byte> written)
        {
            position += written.Length;
            if (differs || position > expected.Length)
            {
                differs = true;
                return;
            }

            while (written.Length > 0)
            {
                var n = reader.Read(buffer.AsSpan(0, Math.Min(buffer!.Length, written.Length)));
                if (n == 0 || !written[..n].SequenceEqual(buffer.AsSpan(0, n)))
                {
                    differs = true;
                    return;
                }

                written = written[n..];
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Dispose();
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }

            base.Dispose(disposing);
        }
    }
}
