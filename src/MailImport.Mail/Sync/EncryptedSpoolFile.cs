using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace MailImport.Mail.Sync;

/// <summary>One message's bytes in a temporary file, encrypted with AES-GCM under a key that exists only in this
/// process's memory, and gone from the file system as soon as it is open (Unix) or when it is closed (Windows).</summary>
/// <remarks>
/// Mail content must not outlive its copy on a worker's disk: a spool file left behind by a killed process is
/// unreadable, because its key died with the process (a random 256-bit key made once per process). The file is
/// written once, front to back, in segments of <see cref="SegmentSize"/> bytes, each sealed with its own 16-byte tag
/// (NIST SP 800-38D): a segment altered on disk fails to open rather than being appended. A nonce is this file's
/// number in the process and the segment's index, so no nonce repeats under the key (SP 800-38D section 8.2.1,
/// deterministic construction). Readers use positional reads (<see cref="RandomAccess"/>), so the APPEND's measuring
/// pass, its writing pass and the exactness check each read with their own stream over the one handle.
/// </remarks>
internal sealed class EncryptedSpoolFile : IDisposable
{
    /// <summary>Plaintext bytes per sealed segment.</summary>
    public const int SegmentSize = 64 * 1024;

    private const int TagSize = 16;

    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static long files;

    private readonly SafeFileHandle handle;
    private readonly uint number;
    private readonly Action closed;
    private readonly AesGcm writer = new(Key, TagSize);
    private readonly byte[] sealedSegment = new byte[SegmentSize + TagSize];
    private byte[]? pending = new byte[SegmentSize];
    private int pendingLength;
    private long segments;
    private bool disposed;

    private EncryptedSpoolFile(SafeFileHandle handle, uint number, Action closed)
    {
        this.handle = handle;
        this.number = number;
        this.closed = closed;
    }

    /// <summary>Creates and opens a new spool file in <paramref name="directory"/>.</summary>
    public static EncryptedSpoolFile Create(string directory, Action closed)
    {
        System.IO.Directory.CreateDirectory(directory);
        var number = (uint)Interlocked.Increment(ref files);
        var path = Path.Combine(directory, $"mailimport-{Environment.ProcessId}-{number}.spool");
        var unix = !OperatingSystem.IsWindows();
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            unix ? FileOptions.None : FileOptions.DeleteOnClose);
        if (unix)
        {
            // An open file outlives its name on Unix: unlinked now, it vanishes with the handle even if the process is killed.
            File.Delete(path);
        }

        return new EncryptedSpoolFile(handle, number, closed);
    }

    /// <summary>Plaintext bytes written.</summary>
    public long Length { get; private set; }

    /// <summary>Appends plaintext.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        var buffer = pending ?? throw new InvalidOperationException("The spool file is complete.");
        while (data.Length > 0)
        {
            var part = Math.Min(SegmentSize - pendingLength, data.Length);
            data[..part].CopyTo(buffer.AsSpan(pendingLength));
            pendingLength += part;
            Length += part;
            data = data[part..];
            if (pendingLength == SegmentSize)
            {
                Seal();
            }
        }
    }

    /// <summary>Seals the last, partial segment; nothing more can be written.</summary>
    public void Complete()
    {
        if (pending is null)
        {
            return;
        }

        if (pendingLength > 0)
        {
            Seal();
        }

        pending = null;
        writer.Dispose();
    }

    /// <summary>A stream over the plaintext from its start; each has its own buffers.</summary>
    public Stream OpenRead() => new Reader(this);

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        pending = null;
        writer.Dispose();
        handle.Dispose();
        closed();
    }

    private void Seal()
    {
        writer.Encrypt(Nonce(segments), pending.AsSpan(0, pendingLength), sealedSegment.AsSpan(0, pendingLength), sealedSegment.AsSpan(pendingLength, TagSize));
        RandomAccess.Write(handle, sealedSegment.AsSpan(0, pendingLength + TagSize), segments * (SegmentSize + TagSize));
        segments++;
        pendingLength = 0;
    }

    private byte[] Nonce(long segment)
    {
        var nonce = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(nonce, number);
        BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), segment);
        return nonce;
    }

    /// <summary>Reads the plaintext front to back, one segment opened at a time.</summary>
    private sealed class Reader(EncryptedSpoolFile file) : Stream
    {
        private readonly AesGcm aes = new(Key, TagSize);
        private readonly byte[] sealedSegment = new byte[SegmentSize + TagSize];
        private readonly byte[] plain = new byte[SegmentSize];
        private long segment;
        private int plainLength;
        private int plainOffset;
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => file.Length;

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (plainOffset == plainLength && !Open())
            {
                return 0;
            }

            var part = Math.Min(buffer.Length, plainLength - plainOffset);
            plain.AsSpan(plainOffset, part).CopyTo(buffer);
            plainOffset += part;
            position += part;
            return part;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Read(buffer.AsSpan(offset, count)));
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                aes.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>Decrypts the next segment; false at the end.</summary>
        private bool Open()
        {
            var start = segment * SegmentSize;
            if (start >= file.Length)
            {
                return false;
            }

            var size = (int)Math.Min(SegmentSize, file.Length - start);
            var read = 0;
            while (read < size + TagSize)
            {
                var n = RandomAccess.Read(file.handle, sealedSegment.AsSpan(read, size + TagSize - read), segment * (SegmentSize + TagSize) + read);
                if (n == 0)
                {
                    throw new IOException("A message's spool file ended early.");
                }

                read += n;
            }

            // Throws AuthenticationTagMismatchException when the segment was altered on disk.
            aes.Decrypt(file.Nonce(segment), sealedSegment.AsSpan(0, size), sealedSegment.AsSpan(size, TagSize), plain.AsSpan(0, size));
            segment++;
            plainLength = size;
            plainOffset = 0;
            return true;
        }
    }
}
