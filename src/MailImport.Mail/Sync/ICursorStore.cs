namespace MailImport.Mail.Sync;

/// <summary>Where a mailbox's cursor lives between chunks and across crashes.</summary>
/// <remarks>A save must be atomic: after a crash the store holds either the old cursor or the new one, whole.</remarks>
public interface ICursorStore
{
    /// <summary>The saved cursor, or null before the first chunk.</summary>
    Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the saved cursor.</summary>
    Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken);
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
}
