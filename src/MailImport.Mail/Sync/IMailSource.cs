using MailImport.Mail.Folders;
using MailKit;

namespace MailImport.Mail.Sync;

/// <summary>A mail source as the copy loop sees it, as mbsync's sync loop sees a driver: plan the folders, list what
/// is new, fetch a batch, name the messages of a journal; the loop owns journal, APPEND, cursor and budget.</summary>
/// <remarks>
/// One instance serves one chunk, over one open connection, and keeps its own part of the
/// <see cref="MailboxCursor"/> (an IMAP source its folder cursors, a POP3 source its copied UIDLs). A source
/// classifies its own failures (<see cref="Classified"/>): it alone knows which server each call goes to.
/// A new kind of source (Gmail's labels by X-GM-MSGID, an OAuth login) is a new implementation opened in
/// <see cref="MailboxCopier"/>; the copy loop in <see cref="ChunkCopy"/> does not change.
/// </remarks>
internal interface IMailSource : IDisposable
{
    /// <summary>Which folders the copy takes, in copy order, with the source's counts. Called once, first.</summary>
    Task<SourcePlan> PlanAsync(CancellationToken cancellationToken);

    /// <summary>True when a journal was written by this kind of source (IMAP journals name UIDs, POP3 ones UIDLs).</summary>
    bool Wrote(InFlightBatch journal);

    /// <summary>The identities of a journal's messages, to find which of them reached the destination; null when its
    /// messages can no longer be named (the folder is gone, or its UIDVALIDITY changed and the folder is re-matched).</summary>
    Task<IReadOnlyList<(SourceKey Key, MessageIdentity Identity)>?> JournaledIdentitiesAsync(InFlightBatch journal, CancellationToken cancellationToken);

    /// <summary>Records that a journaled message is at the destination already, as <paramref name="destinationUid"/>.</summary>
    void Reconciled(InFlightBatch journal, SourceKey key, uint destinationUid, DestinationFolder target);

    /// <summary>Opens one planned folder for copying.</summary>
    Task<ISourceFolder> OpenFolderAsync(FolderPlan plan, CancellationToken cancellationToken);
}

/// <summary>One source folder open for copying: lists what is new, fetches batches, and records what became of them.</summary>
internal interface ISourceFolder
{
    /// <summary>The folder's full name at the source (what reports and journals name).</summary>
    string Name { get; }

    /// <summary>True when this run has still to bring the destination's flags up to the source's.</summary>
    bool FlagsPending { get; }

    /// <summary>Checks the folder's cursor against the destination folder it lands in, before anything is listed:
    /// a re-created destination folder, or a changed source UIDVALIDITY (which re-matches the folder by identity).</summary>
    /// <returns>True when the folder was re-matched: the cursor must be saved before anything is copied.</returns>
    Task<bool> MatchTargetAsync(DestinationFolder target, CancellationToken cancellationToken);

    /// <summary>The messages not copied yet, a page at a time, in copy order.</summary>
    IAsyncEnumerable<MessageSlice> NewMessagesAsync(CancellationToken cancellationToken);

    /// <summary>A journal entry naming these messages on the source side; the copy loop fills in the destination.</summary>
    InFlightBatch Journal(IReadOnlyList<SourceMessage> batch);

    /// <summary>The messages' bytes exactly as the source has them, without marking them read; messages gone
    /// meanwhile are left out.</summary>
    Task<IReadOnlyList<OutgoingMessage>> FetchAsync(IReadOnlyList<SourceMessage> batch, CancellationToken cancellationToken);

    /// <summary>Records that a message is at the destination, as <paramref name="destinationUid"/> when the server said.</summary>
    void Appended(SourceKey key, UniqueId? destinationUid);

    /// <summary>Destination UIDs this folder's cursor already accounts for (copied, reconciled or matched), so they are
    /// not matched again; a source that keeps no UID map has none.</summary>
    IEnumerable<uint> MappedDestinationUids => [];

    /// <summary>Records that a message was not copied (it is reported; the next run tries it again).</summary>
    void Refused(SourceKey key);

    /// <summary>Records that every one of these messages is handled: copied, refused, or gone.</summary>
    void Advance(IEnumerable<SourceKey> handled);

    /// <summary>Brings the destination's flags up to the source's for this run, page by page while
    /// <paramref name="budgetSpent"/> says false; returns how many messages changed and whether the folder is done (when
    /// not, the cursor says where the next chunk goes on).</summary>
    Task<(long Updated, bool Done)> SyncFlagsAsync(DestinationFolder target, Func<bool> budgetSpent, CancellationToken cancellationToken);
}
