using System.Collections.Concurrent;

namespace MailImport.Mail.Sync;

/// <summary>Where the bytes of messages on their way from source to destination wait, within one memory cap for the
/// whole process: small messages in pooled blocks of memory while the cap allows, the rest in encrypted spool files
/// (<see cref="EncryptedSpoolFile"/>), so a 100 MB message, or a hundred copies at once, costs a few buffers of memory
/// rather than its size two or three times over.</summary>
/// <remarks>
/// One spool serves a process (the connector holds it, and the connector is a singleton), so the cap is per process
/// whatever the number of mailboxes copied at once. Memory is never waited for: a message that does not fit goes to
/// a file, so no copy can hold another one up. The blocks are kept for reuse up to the cap, which makes the memory
/// that message bytes take a fixed ceiling rather than whatever the garbage collector leaves between batches.
/// </remarks>
public sealed class MessageSpool
{
    /// <summary>The size of one block of memory: small enough that a typical message (20 KB) wastes little, large
    /// enough that a block list stays short.</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>Messages larger than this always go to a spool file: one such message would take a large share of the
    /// cap, and a file costs them only its buffers.</summary>
    public const long SpoolAboveBytes = 1024 * 1024;

    private readonly long maxBlocks;
    private readonly ConcurrentBag<byte[]> free = [];
    private long usedBlocks;
    private long openFiles;

    /// <summary>A spool that holds at most <paramref name="maxInMemoryBytes"/> of message bytes in memory; files go to
    /// <paramref name="directory"/> (the system's temporary folder when null).</summary>
    public MessageSpool(long maxInMemoryBytes, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInMemoryBytes);
        maxBlocks = maxInMemoryBytes / BlockSize;
        Directory = directory ?? Path.GetTempPath();
    }

    /// <summary>Where spool files are made (each is deleted as soon as it is open, where the system allows, else when
    /// it is closed).</summary>
    public string Directory { get; }

    /// <summary>Message bytes held in memory now (whole blocks), never more than the cap.</summary>
    public long InMemoryBytes => Interlocked.Read(ref usedBlocks) * BlockSize;

    /// <summary>Spool files open now.</summary>
    public long OpenFiles => Interlocked.Read(ref openFiles);

    /// <summary>Starts one message's bytes; <paramref name="expectedLength"/> (0 when unknown) picks memory or file
    /// up front, and a message that outgrows its place moves to a file while it is written.</summary>
    internal MessageBodyWriter CreateWriter(long expectedLength) => new(this, expectedLength);

    /// <summary>Takes a block from the cap, or null when the cap is reached.</summary>
    internal byte[]? TryTakeBlock()
    {
        if (Interlocked.Increment(ref usedBlocks) > maxBlocks)
        {
            Interlocked.Decrement(ref usedBlocks);
            return null;
        }

        return free.TryTake(out var block) ? block : new byte[BlockSize];
    }

    /// <summary>Gives blocks back for reuse.</summary>
    internal void Return(IEnumerable<byte[]> blocks)
    {
        foreach (var block in blocks)
        {
            free.Add(block);
            Interlocked.Decrement(ref usedBlocks);
        }
    }

    /// <summary>Opens a new spool file.</summary>
    internal EncryptedSpoolFile OpenFile()
    {
        var file = EncryptedSpoolFile.Create(Directory, () => Interlocked.Decrement(ref openFiles));
        Interlocked.Increment(ref openFiles);
        return file;
    }
}

/// <summary>Receives one message's bytes into a <see cref="MessageSpool"/> and hands them over as a
/// <see cref="MessageBody"/>; a stream so MailKit can write a FETCH literal straight into it.</summary>
/// <remarks>MailKit writes a literal into the stream its folder's CreateStream returned, sets Position to 0 and then
/// reads it (GetStream) or hands it to a callback and disposes it (GetStreams); <see cref="Detach"/> takes the bytes
/// out before that dispose, so they are never copied.</remarks>
internal sealed class MessageBodyWriter : Stream
{
    private readonly MessageSpool spool;
    private List<byte[]>? blocks = [];
    private EncryptedSpoolFile? file;
    private long length;
    private MessageBody? body;
    private Stream? reader;

    public MessageBodyWriter(MessageSpool spool, long expectedLength)
    {
        this.spool = spool;
        if (expectedLength > MessageSpool.SpoolAboveBytes)
        {
            MoveToFile();
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => body is null;

    public override long Length => length;

    /// <summary>Where writing or reading stands. Setting it to 0 ends the writing (MailKit does so after a literal).</summary>
    public override long Position
    {
        get => reader?.Position ?? length;
        set
        {
            if (value != 0)
            {
                throw new NotSupportedException("A message body is read from its start only.");
            }

            reader?.Dispose();
            reader = Complete().OpenRead();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (body is not null)
        {
            throw new InvalidOperationException("The message body is complete.");
        }

        if (file is not null)
        {
            file.Write(buffer);
            length += buffer.Length;
            return;
        }

        while (buffer.Length > 0)
        {
            var used = (int)(length % MessageSpool.BlockSize);
            if (used == 0 && length == blocks!.Count * (long)MessageSpool.BlockSize)
            {
                if (length + buffer.Length > MessageSpool.SpoolAboveBytes || spool.TryTakeBlock() is not { } block)
                {
                    MoveToFile();
                    Write(buffer);
                    return;
                }

                blocks.Add(block);
            }

            var room = MessageSpool.BlockSize - used;
            var part = Math.Min(room, buffer.Length);
            buffer[..part].CopyTo(blocks![^1].AsSpan(used));
            length += part;
            buffer = buffer[part..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => (reader ??= Complete().OpenRead()).Read(buffer);

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (origin != SeekOrigin.Begin)
        {
            throw new NotSupportedException("A message body is read from its start only.");
        }

        Position = offset;
        return 0;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Ends the writing and takes the bytes out: this stream is empty afterwards, and disposing it no longer
    /// frees them; the caller disposes the body.</summary>
    public MessageBody Detach()
    {
        var taken = Complete();
        reader?.Dispose();
        reader = null;
        body = null;
        blocks = null;
        file = null;
        length = 0;
        return taken;
    }

    /// <summary>Ends the writing; the body stays this stream's until <see cref="Detach"/>.</summary>
    public MessageBody Complete()
    {
        if (body is not null)
        {
            return body;
        }

        if (file is not null)
        {
            file.Complete();
            body = MessageBody.InFile(file, length);
        }
        else
        {
            body = MessageBody.InBlocks(blocks ?? [], length, spool);
        }

        return body;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            reader?.Dispose();
            reader = null;
            if (body is not null)
            {
                body.Dispose();
            }
            else
            {
                file?.Dispose();
                if (blocks is not null)
                {
                    spool.Return(blocks);
                }
            }

            body = null;
            blocks = null;
            file = null;
        }

        base.Dispose(disposing);
    }

    /// <summary>Moves what is written so far into a new spool file and goes on there.</summary>
    private void MoveToFile()
    {
        file = spool.OpenFile();
        var remaining = length;
        foreach (var block in blocks!)
        {
            var part = (int)Math.Min(remaining, MessageSpool.BlockSize);
            file.Write(block.AsSpan(0, part));
            remaining -= part;
        }

        spool.Return(blocks);
        blocks = [];
    }
}
