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

/// <summary>A cursor in a local file, written to a new file and renamed over the old one, as mbsync does.</summary>
public sealed class FileCursorStore(string path) : ICursorStore
{
    /// <inheritdoc/>
    public async Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken) =>
        File.Exists(path) ? MailboxCursor.FromJson(await File.ReadAllBytesAsync(path, cancellationToken)) : null;

    /// <inheritdoc/>
    public async Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".new";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await stream.WriteAsync(cursor.ToJson(), cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc/>
    public Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken)
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
