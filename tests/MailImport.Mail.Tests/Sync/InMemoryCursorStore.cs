using MailImport.Mail.Sync;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Keeps the cursor's head and segments as serialised bytes, as a real store would, so no object is shared
/// with the engine.</summary>
internal sealed class InMemoryCursorStore : SegmentedCursorStore
{
    private readonly Dictionary<long, byte[]> segments = [];
    private byte[]? head;
    private int held;

    public int Saves { get; private set; }

    /// <summary>The saved cursor, read back by a store of its own, as the next chunk would.</summary>
    public MailboxCursor? Current => Copy().LoadAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The head's size in bytes.</summary>
    public int HeadBytes => head?.Length ?? 0;

    /// <summary>Every byte stored: the head and every segment, named or not.</summary>
    public long TotalBytes => HeadBytes + segments.Values.Sum(s => (long)s.Length);

    /// <summary>Segments stored, named by the head or not.</summary>
    public int SegmentCount => segments.Count;

    /// <summary>Bytes written since the store was made: heads and segments.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Segment bytes written since the store was made.</summary>
    public long SegmentBytesWritten { get; private set; }

    /// <summary>"segment", "head" or "delete": that write fails once with an IOException, as a crash there would
    /// cut the save short.</summary>
    public string? FailAt { get; set; }

    /// <summary>Stores the head bytes as they are, as a cursor written by an earlier release would be.</summary>
    public void PutHead(byte[] bytes) => head = bytes;

    public override Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ICursorLock?>(Interlocked.CompareExchange(ref held, 1, 0) == 0 ? new Hold(this) : null);

    protected override Task<byte[]?> ReadHeadAsync(CancellationToken cancellationToken) => Task.FromResult(head);

    protected override Task WriteHeadAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        FailIf("head");
        head = bytes;
        Saves++;
        BytesWritten += bytes.Length;
        return Task.CompletedTask;
    }

    protected override Task<byte[]> ReadSegmentAsync(long number, CancellationToken cancellationToken) =>
        Task.FromResult(segments[number]);

    protected override Task WriteSegmentAsync(long number, byte[] content, CancellationToken cancellationToken)
    {
        FailIf("segment");
        segments[number] = content;
        BytesWritten += content.Length;
        SegmentBytesWritten += content.Length;
        return Task.CompletedTask;
    }

    protected override Task DeleteSegmentAsync(long number, CancellationToken cancellationToken)
    {
        FailIf("delete");
        segments.Remove(number);
        return Task.CompletedTask;
    }

    private void FailIf(string step)
    {
        if (FailAt == step)
        {
            FailAt = null;
            throw new IOException($"The {step} write was cut short.");
        }
    }

    private InMemoryCursorStore Copy()
    {
        var copy = new InMemoryCursorStore { head = head };
        foreach (var (number, content) in segments)
        {
            copy.segments[number] = content;
        }

        return copy;
    }

    private sealed class Hold(InMemoryCursorStore store) : ICursorLock
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync()
        {
            Volatile.Write(ref store.held, 0);
            return ValueTask.CompletedTask;
        }
    }
}
