using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Folders;

namespace MailImport.Mail.Sync;

/// <summary>What one mailbox's copy is asked to do.</summary>
/// <param name="RunId">The run this chunk belongs to; a new run retries failed messages and brings flags up to date.</param>
/// <param name="Source">The source server.</param>
/// <param name="SourceAccount">The login at the source.</param>
/// <param name="Destination">The destination IMAP server.</param>
/// <param name="DestinationAccount">The login at the destination.</param>
/// <param name="Options">How to copy.</param>
public sealed record MailboxJob(
    string RunId,
    SourceServer Source,
    MailAccount SourceAccount,
    ServerEndpoint Destination,
    MailAccount DestinationAccount,
    CopyOptions Options);

/// <summary>How a mailbox is copied.</summary>
public sealed record CopyOptions
{
    /// <summary>Copy Gmail's All Mail and Important whole, as folders, though they repeat every labelled message (off by
    /// default; when on, a Gmail source is copied folder by folder whatever <see cref="GmailMode"/> says).</summary>
    public bool IncludeGmailAllMail { get; init; }

    /// <summary>How a source that announces X-GM-EXT-1 is copied: by message (the default), one copy per label, or
    /// folders as they are.</summary>
    public GmailCopyMode GmailMode { get; init; } = GmailCopyMode.Labels;

    /// <summary>The mode an import's Gmail option names (<see cref="Core.Batches.ImportOptions.Gmail"/>); null is by message.</summary>
    public static GmailCopyMode GmailModeOf(string? option) => option switch
    {
        Core.Batches.ImportOptions.GmailPerLabel => GmailCopyMode.CopyPerLabel,
        Core.Batches.ImportOptions.GmailFolders => GmailCopyMode.Folders,
        null or Core.Batches.ImportOptions.GmailByMessage => GmailCopyMode.Labels,
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, "Not a Gmail copy mode."),
    };

    /// <summary>Copy Gmail's Spam folder too, by message or per label (off by default; folders as they are copies it).</summary>
    public bool IncludeGmailSpam { get; init; }

    /// <summary>Copy Gmail's Trash folder too, by message or per label (off by default; folders as they are copies it).</summary>
    public bool IncludeGmailTrash { get; init; }

    /// <summary>Copy a message even when the destination folder already holds it and this batch did not put it there
    /// (off by default: such messages are matched by <see cref="MessageIdentity"/> and skipped).</summary>
    public bool CopyDuplicates { get; init; }

    /// <summary>After this many messages fail, the mailbox stops with <c>TooManyMessageFailures</c>.</summary>
    public int MaxMessageFailures { get; init; } = 100;

    /// <summary>Most messages in one APPEND batch.</summary>
    public int BatchMessages { get; init; } = 100;

    /// <summary>Most bytes in one APPEND batch (a larger single message goes alone); this bounds memory.</summary>
    public long BatchBytes { get; init; } = 16 * 1024 * 1024;
}

/// <summary>How much one chunk may do before it hands back, so it fits an activity's time limit.</summary>
/// <param name="MaxMessages">Messages to copy at most.</param>
/// <param name="MaxBytes">Bytes to copy at most (the batch that crosses it still finishes).</param>
/// <param name="MaxDuration">Time to spend at most (checked between batches).</param>
public sealed record ChunkBudget(int MaxMessages, long MaxBytes, TimeSpan MaxDuration)
{
    /// <summary>Bytes to download from the source at most (what is left of its account's download budget): the
    /// batch that crosses it still finishes, so a budget is overshot by at most one APPEND batch.</summary>
    public long MaxDownloadBytes { get; init; } = long.MaxValue;

    /// <summary>A budget that fits comfortably in a five-minute Functions timeout.</summary>
    public static ChunkBudget Default { get; } = new(5_000, 512L * 1024 * 1024, TimeSpan.FromMinutes(3));
}

/// <summary>What one chunk did and where the mailbox stands.</summary>
/// <param name="Completed">True when every folder is copied and flags are up to date for this run.</param>
/// <param name="CopiedThisChunk">Messages copied by this chunk.</param>
/// <param name="BytesThisChunk">Bytes copied by this chunk.</param>
/// <param name="MessagesCopied">Messages copied over the mailbox's life.</param>
/// <param name="BytesCopied">Bytes copied over the mailbox's life.</param>
/// <param name="MessagesTotal">Messages at the source now.</param>
/// <param name="BytesTotal">Bytes at the source now, where the source says (0 when unknown).</param>
/// <param name="Folders">Folders being copied.</param>
/// <param name="Failures">Messages that could not be copied.</param>
/// <param name="FlagsUpdated">Messages copied earlier whose flags this chunk brought up to date.</param>
/// <param name="NotExact">Messages over the mailbox's life copied though not byte for byte (counted in <paramref name="MessagesCopied"/> too).</param>
/// <param name="AlreadyAtDestination">Messages over the mailbox's life not copied because the destination already held them (counted in <paramref name="MessagesCopied"/> too).</param>
/// <param name="FolderNotes">Folders renamed at the destination, and folders this run could not copy.</param>
/// <param name="NotExactMessages">The first of the not-exact messages (at most <see cref="Core.Reports.MailboxReport.MaxNotExactListed"/>).</param>
/// <param name="ArrivalDates">For a POP3 source, where the copied messages' arrival dates came from; null when no
/// message was dated from its headers (an IMAP source keeps the source's INTERNALDATE).</param>
/// <param name="FoldersCreated">Folders this chunk created at the destination.</param>
/// <param name="GmailLabels">For a Gmail source copied by message or per label, what became of its labels; null otherwise.</param>
public sealed record ChunkResult(
    bool Completed,
    long CopiedThisChunk,
    long BytesThisChunk,
    long MessagesCopied,
    long BytesCopied,
    long MessagesTotal,
    long BytesTotal,
    int Folders,
    IReadOnlyList<FailedMessage> Failures,
    long FlagsUpdated,
    long NotExact,
    long AlreadyAtDestination,
    IReadOnlyList<MailImport.Core.Reports.FolderNote> FolderNotes,
    IReadOnlyList<Core.Reports.NotExactMessage> NotExactMessages,
    Core.Reports.ArrivalDateCounts? ArrivalDates,
    int FoldersCreated = 0,
    Core.Reports.GmailLabelCounts? GmailLabels = null)
{
    /// <summary>Bytes this chunk downloaded from the source: every message fetched, also those the destination
    /// already held or refused, which <see cref="BytesThisChunk"/> leaves out.</summary>
    public long DownloadedThisChunk { get; init; }
}

/// <summary>The points of a chunk where a test can interrupt it, as mbsync's tests do.</summary>
public enum CopyStep
{
    /// <summary>The batch is journaled; nothing appended yet.</summary>
    Journaled,
    /// <summary>The batch's bytes are fetched from the source.</summary>
    Fetched,
    /// <summary>Half of an APPEND's bytes are on the wire.</summary>
    Appending,
    /// <summary>The APPEND succeeded; the cursor is not saved yet.</summary>
    Appended,
    /// <summary>The cursor is saved and the journal cleared.</summary>
    Saved,
    /// <summary>One page of a folder's flags was brought up to date and another is to come; the budget is asked next.</summary>
    FlagsPageSynced,
    /// <summary>Flags of one folder were brought up to date; the cursor is not saved yet.</summary>
    FlagsSynced,
}
