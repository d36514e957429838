namespace MailImport.Mail.Sync;

/// <summary>Where a mailbox's cursor lives between chunks and across crashes.</summary>
/// <remarks>A save must be atomic: after a crash the store holds either the old cursor or the new one, whole.</remarks>
public interface ICursorStore
{
    /// <summary>The saved cursor, or null before the first chunk.</summary>
    Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the saved cursor.</summary>
    Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken);

    /// <summary>Holds the mailbox for one chunk, or null while another chunk holds it.</summary>
    /// <remarks>Durable delivers an activity at least once: a chunk's message can reappear while the chunk still runs,
    /// and two chunks of one mailbox at once would both append the same batch. mbsync locks its state file for the same
    /// reason.</remarks>
    Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken);
}

/// <summary>A hold on a mailbox's cursor, released when disposed.</summary>
public interface ICursorLock : IAsyncDisposable
{
    /// <summary>Cancelled when the hold could not be kept (a lease that could not be renewed): the chunk must stop
    /// before its next APPEND, since another may now hold the mailbox.</summary>
    CancellationToken Lost { get; }
}

/// <summary>A cursor in local files: the head at <c>path</c>, written to a new file and renamed over the old one as
/// mbsync does, and its segments beside it as <c>path.N.seg</c> (<see cref="SegmentedCursorStore"/>).</summary>
public sealed class FileCursorStore(string path) : SegmentedCursorStore
{
    /// <summary>Every file the cursor takes now: the head and the segments it names.</summary>
    public IEnumerable<string> Files()
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        yield return path;
        foreach (var segment in MailboxCursor.FromJson(File.ReadAllBytes(path)).Parts?.Segments ?? [])
        {
            yield return SegmentPath(segment[0]);
        }
    }

    /// <inheritdoc/>
    protected override async Task<byte[]?> ReadHeadAsync(CancellationToken cancellationToken) =>
        File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;

    /// <inheritdoc/>
    protected override async Task WriteHeadAsync(byte[] head, CancellationToken cancellationToken)
    {
        var temporary = path + ".new";
        await WriteThroughAsync(temporary, head, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc/>
    protected override Task<byte[]> ReadSegmentAsync(long number, CancellationToken cancellationToken) =>
        File.ReadAllBytesAsync(SegmentPath(number), cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Written through to the disk before the head that names it is renamed into place.</remarks>
    protected override Task WriteSegmentAsync(long number, byte[] content, CancellationToken cancellationToken) =>
        WriteThroughAsync(SegmentPath(number), content, cancellationToken);

    /// <inheritdoc/>
    protected override Task DeleteSegmentAsync(long number, CancellationToken cancellationToken)
    {
        try
        {
            File.Delete(SegmentPath(number));
        }
        catch (IOException)
        {
            // Left behind: it only takes room, no head names it.
        }

        return Task.CompletedTask;
    }

    private string SegmentPath(long number) => FormattableString.Invariant($"{path}.{number}.seg");

    private async Task WriteThroughAsync(string file, byte[] content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
        await stream.WriteAsync(content, cancellationToken);
    }

    /// <inheritdoc/>
    public override Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix; the kernel drops it when the process dies.
            var file = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return Task.FromResult<ICursorLock?>(new FileLock(file));
        }
        catch (IOException)
        {
            return Task.FromResult<ICursorLock?>(null);
        }
    }

    private sealed class FileLock(FileStream file) : ICursorLock
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
