using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;

namespace MailImport.Core.Batches;

/// <summary>How an import behaves, as the admin chose when starting it.</summary>
public sealed record ImportOptions
{
    /// <summary>Check everything and report what a real run would do; create and copy nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Copy Gmail's All Mail and Important whole too, as folders (then a Gmail source is copied folder by folder).</summary>
    public bool IncludeGmailAllMail { get; init; }

    /// <summary>The <see cref="Gmail"/> value that copies a Gmail source by message, the default.</summary>
    public const string GmailByMessage = "labels";

    /// <summary>The <see cref="Gmail"/> value that copies a Gmail message once into each of its labels' folders.</summary>
    public const string GmailPerLabel = "per-label";

    /// <summary>The <see cref="Gmail"/> value that copies a Gmail source's folders as they are, with All Mail's label-less mail.</summary>
    public const string GmailFolders = "folders";

    /// <summary>How a source that announces X-GM-EXT-1 (Gmail) is copied: "labels" (the default, null) puts each message
    /// in one folder and keeps its other labels as keywords; "per-label" copies it into every label's folder;
    /// "folders" copies the folders as Gmail lists them, and All Mail's label-less mail into Archive.</summary>
    public string? Gmail { get; init; }

    /// <summary>Copy Gmail's Spam too when copying by message or per label (off by default).</summary>
    public bool IncludeGmailSpam { get; init; }

    /// <summary>Copy Gmail's Trash too when copying by message or per label (off by default).</summary>
    public bool IncludeGmailTrash { get; init; }

    /// <summary>The problem with <see cref="Gmail"/>, or null when it is absent or one of the three modes.</summary>
    public string? GmailProblem() =>
        Gmail is null or GmailByMessage or GmailPerLabel or GmailFolders
            ? null
            : "Give \"labels\" (each message once, other labels as keywords; the default), \"per-label\" (a copy in every label's folder) or \"folders\" (Gmail's folders as they are).";

    /// <summary>What to do with a message the destination folder already holds (same Message-ID and size, or the same
    /// header block and size) though this batch did not put it there: "skip" (the default, null) copies only what is
    /// missing, so a second batch of the same mailboxes doubles nothing; "copy" copies it anyway.</summary>
    public string? Duplicates { get; init; }

    /// <summary>True when <see cref="Duplicates"/> asks for copies of messages already at the destination.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool CopyDuplicates => string.Equals(Duplicates, "copy", StringComparison.OrdinalIgnoreCase);

    /// <summary>The problem with <see cref="Duplicates"/>, or null when it is absent, "skip" or "copy".</summary>
    public string? DuplicatesProblem() =>
        Duplicates is null || Duplicates.Equals("skip", StringComparison.OrdinalIgnoreCase) || CopyDuplicates
            ? null
            : "Give \"skip\" (copy only messages not already at the destination, the default) or \"copy\" (copy them all).";

    /// <summary>Re-run incrementally on this CRON schedule (five fields, UTC) until the batch is closed; null for
    /// none; "default" for the service's default (daily).</summary>
    public string? Schedule { get; init; }

    /// <summary>Megabytes (1,000,000 bytes) one source account may download per budget window
    /// (MailImport:Workflow:DownloadBudgetWindow, a day), counted across every batch that reads it: null for the
    /// source preset's default (<see cref="Sources.SourceLimits.Of"/>; Gmail 2,500 over IMAP, 1,250 over POP), 0 for
    /// no budget. When it is spent the mailbox is paused until enough of the window has passed.</summary>
    public int? DownloadBudgetMegabytes { get; init; }

    /// <summary>The problem with <see cref="DownloadBudgetMegabytes"/>, or null when it is absent or in range.</summary>
    public string? DownloadBudgetProblem() =>
        DownloadBudgetMegabytes is null or (>= 0 and <= Sources.SourceLimits.MaxDownloadMegabytes)
            ? null
            : $"Give a whole number of megabytes from 0 (no budget) to {Sources.SourceLimits.MaxDownloadMegabytes:N0}, or leave it out for the source preset's default.";

    /// <summary>The download budget in bytes for a source, or null for none.</summary>
    public long? DownloadBudgetBytes(Sources.SourceServer source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var megabytes = DownloadBudgetMegabytes ?? Sources.SourceLimits.Of(source.Provider, source.Protocol).DownloadMegabytes;
        return megabytes is > 0 ? megabytes * Sources.SourceLimits.BytesPerMegabyte : null;
    }
}

/// <summary>One batch: what the admin asked for, kept in blob storage for every run of it.</summary>
/// <param name="BatchId">32 lower-case hex digits.</param>
/// <param name="Domain">The destination domain.</param>
/// <param name="Source">The source server.</param>
/// <param name="Options">The admin's choices.</param>
/// <param name="CreatedAt">When the batch was created.</param>
public sealed record BatchDefinition(string BatchId, string Domain, SourceServer Source, ImportOptions Options, DateTimeOffset CreatedAt)
{
    /// <summary>How every mailbox of the batch logs in to the source, without its secret (the key or client secret is
    /// sealed with the batch's passwords); passwords for records written before it was kept.</summary>
    public SourceAuthentication Authentication { get; init; } = SourceAuthentication.Password;

    /// <summary>A closed batch takes no more runs and its secrets are deleted.</summary>
    public bool Closed { get; init; }

    /// <summary>When the batch was marked closed; null while open (and on records closed before this was kept).</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>Who closed it: the admin, or the timer because it was idle; null while open.</summary>
    public BatchCloseReason? ClosedFor { get; init; }

    /// <summary>When the close finished deleting the raw upload and every secret of the batch; null while open, and
    /// while a close is under way or was interrupted (the timer's next pass finishes it).</summary>
    public DateTimeOffset? SecretsDeletedAt { get; init; }

    /// <summary>The runs so far, oldest first: their ids double as orchestration instance ids.</summary>
    public IReadOnlyList<BatchRunRecord> Runs { get; init; } = [];
}

/// <summary>Why a batch was closed.</summary>
public enum BatchCloseReason
{
    /// <summary>The admin asked for it (POST /api/imports/{id}/close).</summary>
    Requested,
    /// <summary>No run started for longer than MailImport:Workflow:BatchIdleClose.</summary>
    Idle,
}

/// <summary>Which mailboxes a run takes and how.</summary>
public enum RunMode
{
    /// <summary>Every mailbox of the batch (the first run).</summary>
    Full,
    /// <summary>Only mailboxes that failed or finished partially, resuming from their cursors.</summary>
    RetryFailed,
    /// <summary>Every mailbox, for what arrived since the last run.</summary>
    Incremental,
    /// <summary>Pre-flight: logins, folders, counts and username availability; nothing created or copied.</summary>
    DryRun,
}

/// <summary>One run of a batch.</summary>
/// <param name="RunId">The run's id, also its orchestration instance id.</param>
/// <param name="Mode">Which mailboxes and how.</param>
/// <param name="StartedAt">When it was started.</param>
public sealed record BatchRunRecord(string RunId, RunMode Mode, DateTimeOffset StartedAt)
{
    /// <summary>True for a run the batch's schedule started, false for one the admin asked for.</summary>
    public bool Scheduled { get; init; }

    /// <summary>When its report was written; null while it goes on (or when it never got that far).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Mailboxes the run took that ended done, partial or ready (dry run); null until it ended.</summary>
    public int? MailboxesSucceeded { get; init; }
}

/// <summary>One mailbox of the sanitised manifest: no password, only what names its secrets.</summary>
/// <param name="Line">The credential line (or JSON entry); with the batch id it names the mailbox's secrets.</param>
/// <param name="SourceLogin">The login at the source.</param>
/// <param name="DestinationUsername">The username at the destination.</param>
public sealed record ManifestEntry(int Line, string SourceLogin, string DestinationUsername)
{
    /// <summary>The employee's first name for the destination's directory, when the admin gave one.</summary>
    public string? FirstName { get; init; }

    /// <summary>The employee's last name for the destination's directory, when the admin gave one.</summary>
    public string? LastName { get; init; }

    /// <summary>This mailbox's report line before a run has reached it: pending, nothing counted, no error.</summary>
    public MailboxReport PendingReport() =>
        new(Line, SourceLogin, DestinationUsername, MailboxStatus.Pending, null, null, null, MailboxCounters.Zero, TimeSpan.Zero, []);
}

/// <summary>What ingestion made of the credential file: the mailboxes to import and the lines that cannot be.</summary>
/// <param name="Entries">Valid lines.</param>
/// <param name="Invalid">Report lines for the lines that broke the grammar or the rules.</param>
public sealed record Manifest(IReadOnlyList<ManifestEntry> Entries, IReadOnlyList<MailboxReport> Invalid);

/// <summary>The input of a batch run's orchestration: ids and choices, no password, no message.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">This run.</param>
/// <param name="Mode">Which mailboxes and how.</param>
/// <param name="Concurrency">Mailboxes in flight at once (fixed per run, so replays decide alike).</param>
/// <param name="ChunksPerGeneration">Chunks a mailbox orchestration runs before it continues as new.</param>
/// <param name="RetryFirstDelaySeconds">The first wait before retrying a transient failure; it doubles per attempt.</param>
/// <param name="MailboxesPerGroup">Mailboxes one group orchestration takes: the batch's history grows with its groups,
/// each group's with its mailboxes, so neither grows with the batch.</param>
public sealed record BatchRunInput(string BatchId, string RunId, RunMode Mode, int Concurrency = 8, int ChunksPerGeneration = 10, double RetryFirstDelaySeconds = 5, int MailboxesPerGroup = 250);

/// <summary>The input of one group of a run's mailboxes: which group, and how many of its mailboxes run at once.</summary>
/// <param name="Run">The run.</param>
/// <param name="Group">The group's number, from 0, as the run's plan stored it.</param>
/// <param name="Concurrency">Mailboxes of this group in flight at once: the group's share of the run's.</param>
public sealed record MailboxGroupInput(BatchRunInput Run, int Group, int Concurrency);

/// <summary>What a mailbox's orchestration returns to its group: the line and how it ended, no more. The whole outcome
/// went to storage (<see cref="OutcomeRecord"/>), so a group's history does not carry a hundred failures a mailbox.</summary>
/// <param name="Line">The credential line.</param>
/// <param name="Status">How the mailbox ended (Running: it continued as new).</param>
public sealed record MailboxResult(int Line, MailboxStatus Status);

/// <summary>What a group returns to its run.</summary>
/// <param name="Mailboxes">Mailboxes the group ran.</param>
/// <param name="Succeeded">Of those, Done, Partial or Ready.</param>
public sealed record GroupResult(int Mailboxes, int Succeeded);

/// <summary>A mailbox's final outcome in a run, to be kept in storage until the run's report is written.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Outcome">The outcome.</param>
public sealed record OutcomeRecord(string BatchId, string RunId, MailboxOutcome Outcome);

/// <summary>One mailbox of a group of a run's plan, with what the run's count found at its source.</summary>
/// <param name="Entry">The mailbox.</param>
/// <param name="Counted">Its count; null before the group was counted.</param>
public sealed record PlannedMailbox(ManifestEntry Entry, SourceCount? Counted = null);

/// <summary>One mailbox's count at the source, by its line.</summary>
/// <param name="Line">The credential line.</param>
/// <param name="Count">What the count found.</param>
public sealed record LineCount(int Line, SourceCount Count);

/// <summary>The counts of one group of a run's plan, to be kept until the group is copied.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Group">The group's number, from 0.</param>
/// <param name="Counts">One per mailbox of the group.</param>
public sealed record GroupCounts(string BatchId, string RunId, int Group, IReadOnlyList<LineCount> Counts);

/// <summary>Which group of which run's plan.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Group">The group's number, from 0.</param>
public sealed record PlanGroupInput(string BatchId, string RunId, int Group);

/// <summary>The input of one mailbox's orchestration; carried across ContinueAsNew with what it has done so far.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Mode">The run's mode.</param>
/// <param name="Entry">The mailbox.</param>
/// <param name="Chunks">Chunks copied so far in this run.</param>
/// <param name="StartedAt">When this run started on the mailbox (orchestration time).</param>
/// <param name="AccountCreated">True once the destination mailbox is known to exist.</param>
/// <param name="ChunksPerGeneration">Chunks before the orchestration continues as new.</param>
/// <param name="RetryFirstDelaySeconds">The first wait before retrying a transient failure.</param>
/// <param name="Tally">What the run has done so far, once its first step read where the mailbox stood.</param>
/// <param name="Counted">What the run's count found at the source before any mailbox was copied; the mailbox then
/// logs in at the source only to copy. Null for a run counted by its mailbox's own first step.</param>
public sealed record MailboxRunInput(string BatchId, string RunId, RunMode Mode, ManifestEntry Entry, int Chunks = 0, DateTimeOffset? StartedAt = null, bool AccountCreated = false, int ChunksPerGeneration = 10, double RetryFirstDelaySeconds = 5, RunTally? Tally = null,
    SourceCount? Counted = null);

/// <summary>What counting one mailbox at the source found (LIST and STATUS, no message read), or why it could not.</summary>
/// <param name="Folders">Folders the copy takes.</param>
/// <param name="Messages">Messages in them.</param>
/// <param name="Bytes">Their bytes; null where the source does not say cheaply (an IMAP server without STATUS=SIZE).</param>
/// <param name="Tally">Where the mailbox stood before the run (its cursor's cumulative counters).</param>
/// <param name="Failure">Why the source could not be counted (login refused, ...); the mailbox fails with it.</param>
/// <param name="Renamed">The folders the copy would rename (the destination's hierarchy separator in a name), as the
/// dry run reports them; null when none.</param>
/// <param name="GmailLabels">A dry run of a Gmail source: what the chosen mode would do with its labels.</param>
public sealed record SourceCount(int Folders, long Messages, long? Bytes, RunTally? Tally, MailFailure? Failure = null, IReadOnlyList<Reports.FolderNote>? Renamed = null,
    Reports.GmailLabelCounts? GmailLabels = null);

/// <summary>Where one mailbox stands: the sub-orchestration's custom status while it runs, its output at the end.</summary>
/// <param name="Line">The credential line.</param>
/// <param name="SourceLogin">The source login.</param>
/// <param name="DestinationUsername">The destination username.</param>
/// <param name="Status">Running, done, partial, failed, or ready (dry run).</param>
/// <param name="Code">The error, if any.</param>
/// <param name="Message">What happened.</param>
/// <param name="Counters">Messages and bytes.</param>
/// <param name="Duration">Time spent in this run.</param>
/// <param name="FailedMessages">Messages that could not be copied.</param>
/// <param name="Folders">Folders renamed at the destination or not copied; null when there are none.</param>
/// <param name="NotExactMessages">Messages copied but not byte for byte (the first <see cref="MailboxReport.MaxNotExactListed"/>).</param>
/// <param name="ThisRun">What this run did for the mailbox, so far.</param>
public sealed record MailboxOutcome(
    int Line,
    string SourceLogin,
    string DestinationUsername,
    MailboxStatus Status,
    ErrorCode? Code,
    string? Message,
    MailboxCounters Counters,
    TimeSpan Duration,
    IReadOnlyList<MessageFailure> FailedMessages,
    IReadOnlyList<FolderNote>? Folders = null,
    IReadOnlyList<NotExactMessage>? NotExactMessages = null,
    RunFigures? ThisRun = null)
{
    /// <summary>While <see cref="Status"/> is <see cref="MailboxStatus.Paused"/>: when the mailbox goes on by itself.</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>The report line of this outcome, with the fix from the catalogue.</summary>
    public MailboxReport ToReport() => new(Line, SourceLogin, DestinationUsername, Status, Code, Message,
        Code is { } code ? ErrorCatalog.Get(code).Fix : null, Counters, Duration, FailedMessages, Folders, NotExactMessages, ThisRun) { PausedUntil = PausedUntil };
}

/// <summary>What a mailbox's orchestration carries to sum up its run: the cumulative counters before the run's first
/// chunk (from the cursor) and what the chunks so far reported of themselves.</summary>
/// <param name="CopiedBefore">Messages at the destination before the run.</param>
/// <param name="BytesBefore">Their bytes.</param>
/// <param name="AlreadyBefore">Messages found already at the destination before the run.</param>
/// <param name="NotExactBefore">Messages copied not byte for byte before the run.</param>
/// <param name="FlagsUpdated">Messages whose flags the run's chunks brought up to date.</param>
/// <param name="FoldersCreated">Folders the run's chunks created at the destination.</param>
public sealed record RunTally(long CopiedBefore, long BytesBefore, long AlreadyBefore, long NotExactBefore = 0, long FlagsUpdated = 0, int FoldersCreated = 0)
{
    /// <summary>The run's figures once the mailbox's counters are <paramref name="now"/>.</summary>
    public RunFigures Figures(string runId, DateTimeOffset startedAt, DateTimeOffset at, MailboxCounters now)
    {
        ArgumentNullException.ThrowIfNull(now);
        return new RunFigures(runId, startedAt, at, Math.Max(0, now.MessagesCopied - CopiedBefore), Math.Max(0, now.BytesCopied - BytesBefore),
            FlagsUpdated, Math.Max(0, now.AlreadyAtDestination - AlreadyBefore), Math.Max(0, now.NotExact - NotExactBefore), now.MessagesFailed, FoldersCreated);
    }
}
