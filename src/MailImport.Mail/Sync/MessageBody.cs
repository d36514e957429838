namespace MailImport.Mail.Sync;

/// <summary>The bytes of one message exactly as the source sent them, held once: in blocks of a
/// <see cref="MessageSpool"/>'s memory, in an <see cref="EncryptedSpoolFile"/>, or (tests, small callers) in one array.
/// Disposing it gives the memory back or deletes the file.</summary>
public sealed class MessageBody : IDisposable
{
    private readonly byte[]? array;
    private List<byte[]>? blocks;
    private EncryptedSpoolFile? file;
    private readonly MessageSpool? spool;

    private MessageBody(long length, byte[]? array, List<byte[]>? blocks, EncryptedSpoolFile? file, MessageSpool? spool)
    {
        Length = length;
        this.array = array;
        this.blocks = blocks;
        this.file = file;
        this.spool = spool;
    }

    /// <summary>Its size in bytes.</summary>
    public long Length { get; }

    /// <summary>True when the bytes wait in a spool file rather than in memory.</summary>
    public bool InSpoolFile => file is not null;

    /// <summary>A body over bytes the caller already holds (nothing is copied, nothing counted against a spool).</summary>
    public static MessageBody Of(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new(bytes.Length, bytes, null, null, null);
    }

    internal static MessageBody InBlocks(List<byte[]> blocks, long length, MessageSpool spool) => new(length, null, blocks, null, spool);

    internal static MessageBody InFile(EncryptedSpoolFile file, long length) => new(length, null, null, file, null);

    /// <summary>Takes the bytes a MailKit stream holds: those written into a spool's writer are taken over without a
    /// copy; any other stream is read into <paramref name="spool"/>.</summary>
    internal static async Task<MessageBody> TakeAsync(Stream stream, MessageSpool spool, CancellationToken cancellationToken)
    {
        if (stream is MessageBodyWriter writer)
        {
            return writer.Detach();
        }

        await using var copy = spool.CreateWriter(stream.CanSeek ? stream.Length : 0);
        await stream.CopyToAsync(copy, cancellationToken);
        return copy.Detach();
    }

    /// <summary>A stream of the bytes from the first; each call gives a new, independent one.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(array is null && blocks is null && file is null, this);
        return file is not null ? file.OpenRead()
            : array is not null ? new MemoryStream(array, writable: false)
            : new BlockReader(blocks!, Length);
    }

    /// <summary>Writes every byte to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (file is null)
        {
            foreach (var segment in MemorySegments())
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(segment.Span);
            }

            return;
        }

        using var reader = file.OpenRead();
        reader.CopyTo(stream, EncryptedSpoolFile.SegmentSize);
    }

    /// <summary>Writes every byte to <paramref name="stream"/>.</summary>
    public async Task WriteToAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (file is null)
        {
            foreach (var segment in MemorySegments())
            {
                await stream.WriteAsync(segment, cancellationToken);
            }

            return;
        }

        await using var reader = file.OpenRead();
        await reader.CopyToAsync(stream, EncryptedSpoolFile.SegmentSize, cancellationToken);
    }

    /// <summary>The header block (what <see cref="MessageIdentity.HeaderBlock"/> gives for the whole message), read
    /// from the start without holding the rest.</summary>
    public byte[] HeaderBlock()
    {
        if (array is not null)
        {
            return MessageIdentity.HeaderBlock(array).ToArray();
        }

        using var reader = OpenRead();
        var read = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = reader.Read(buffer)) > 0)
        {
            var searchFrom = (int)Math.Max(0, read.Length - 3);
            read.Write(buffer, 0, n);
            var span = read.GetBuffer().AsSpan(0, (int)read.Length);
            if (span.StartsWith("\r\n"u8))
            {
                return span[..2].ToArray();
            }

            var end = span[searchFrom..].IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return span[..(searchFrom + end + 4)].ToArray();
            }
        }

        return read.ToArray();
    }

    /// <summary>All the bytes in one array (tests, and callers that need a span); costs the message's size.</summary>
    public byte[] ToArray()
    {
        if (array is not null)
        {
            return array;
        }

        using var all = new MemoryStream(checked((int)Length));
        WriteTo(all, CancellationToken.None);
        return all.ToArray();
    }

    /// <summary>Gives the memory back to the spool, or deletes the spool file.</summary>
    public void Dispose()
    {
        if (blocks is not null)
        {
            spool!.Return(blocks);
            blocks = null;
        }

        file?.Dispose();
        file = null;
    }

    private IEnumerable<ReadOnlyMemory<byte>> MemorySegments()
    {
        if (array is not null)
        {
            yield return array;
            yield break;
        }

        ObjectDisposedException.ThrowIf(blocks is null, this);
        var remaining = Length;
        foreach (var block in blocks)
        {
            var part = (int)Math.Min(remaining, MessageSpool.BlockSize);
            yield return block.AsMemory(0, part);
            remaining -= part;
        }
    }

    /// <summary>Reads a block list front to back.</summary>
    private sealed class BlockReader(List<byte[]> blocks, long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (position >= length)
            {
                return 0;
            }

            var index = (int)(position / MessageSpool.BlockSize);
            var offset = (int)(position % MessageSpool.BlockSize);
            var part = (int)Math.Min(Math.Min(buffer.Length, MessageSpool.BlockSize - offset), length - position);
            blocks[index].AsSpan(offset, part).CopyTo(buffer);
            position += part;
            return part;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
