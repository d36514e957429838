using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;

namespace MailImport.Workflow.Activities;

/// <summary>An expected outcome of a step, as data: fine (perhaps with a note for the admin), or the failure that
/// stopped it.</summary>
/// <param name="Failure">The failure, when the step did not succeed.</param>
/// <param name="Note">For a success, something the admin should know (a dry run's "the mailbox already exists").</param>
public sealed record StepResult(MailFailure? Failure = null, string? Note = null)
{
    /// <summary>Success.</summary>
    public static StepResult Success { get; } = new();

    /// <summary>True when the step succeeded.</summary>
    public bool Ok => Failure is null;

    /// <summary>A failure the step ends with.</summary>
    public static StepResult Failed(MailFailure failure) => new(failure ?? throw new ArgumentNullException(nameof(failure)));

    /// <summary>A permanent failure with its code and message.</summary>
    public static StepResult Failed(ErrorCode code, string message) => new(MailFailure.Permanent(code, message));
}

/// <summary>What one page of a close's deletion did (<see cref="BatchSteps.FinishClosePageAsync"/>).</summary>
/// <param name="Deleted">The secrets this page deleted, the data key counting as one.</param>
/// <param name="Finished">True when none is left: the close is recorded as finished.</param>
public sealed record ClosePage(int Deleted, bool Finished);

/// <summary>What ingestion did.</summary>
/// <param name="Entries">Mailboxes to import.</param>
/// <param name="Invalid">Lines that cannot be imported.</param>
/// <param name="FileProblem">The file-level failure, when the file could not be read at all.</param>
public sealed record IngestResult(int Entries, int Invalid, MailFailure? FileProblem = null);

/// <summary>What logging in at the source found: the dry run's figures, or why it failed.</summary>
/// <param name="Result">Success, or the classified failure.</param>
/// <param name="Folders">Folders that would be copied.</param>
/// <param name="Messages">Messages at the source.</param>
/// <param name="Bytes">Bytes at the source, where it says.</param>
/// <param name="Tally">Where the mailbox stood before this run (its cursor's cumulative counters), to sum the run up.</param>
/// <param name="BytesKnown">False when the source does not say its size cheaply (IMAP without STATUS=SIZE): then
/// <paramref name="Bytes"/> is 0 for want of a figure, not because the mailbox is empty.</param>
/// <param name="Paused">Set when the source account is over its download budget or its provider's limit: nothing was
/// checked, and the step is tried again once the pause ends.</param>
/// <param name="Renamed">The folders a copy would rename by the configured destination separator; null when none.</param>
/// <param name="GmailLabels">A Gmail source: what the chosen mode would do with its labels, each destination folder's
/// messages with them; <paramref name="Folders"/> then names the destination folders.</param>
public sealed record SourceCheckResult(StepResult Result, IReadOnlyList<string> Folders, long Messages, long Bytes, RunTally? Tally = null, bool BytesKnown = true,
    SourcePause? Paused = null, IReadOnlyList<FolderNote>? Renamed = null, GmailLabelCounts? GmailLabels = null)
{
    /// <summary>The counts alone, as a mailbox's orchestration input carries them.</summary>
    public SourceCount Count() => new(Folders.Count, Messages, BytesKnown ? Bytes : null, Tally, Result.Failure, Renamed, GmailLabels);

    /// <summary>The counts of a CheckSource call: its result's, or nothing counted and the failure its retries ended with.</summary>
    public static SourceCount CountOf(SourceCheckResult? result, MailFailure? failure) =>
        failure is not null ? new SourceCount(0, 0, null, null, failure) : (result ?? throw new ArgumentNullException(nameof(result))).Count();
}

/// <summary>Why a mailbox waits for its source account, and until when (<see cref="SourceBudgets"/>).</summary>
/// <param name="Until">When the account may download again.</param>
/// <param name="Failure">What the admin is told: <see cref="ErrorCode.SourceLimitReached"/> and the reason.</param>
public sealed record SourcePause(DateTimeOffset Until, MailFailure Failure);

/// <summary>One chunk's result as the orchestration keeps it: counts, no message content.</summary>
/// <param name="Completed">True when the mailbox is fully copied for this run.</param>
/// <param name="Counters">The mailbox's counters after the chunk.</param>
/// <param name="FailedMessages">Messages that could not be copied.</param>
/// <param name="Failure">Set when the mailbox cannot go on (permanent failure).</param>
/// <param name="Folders">Folders renamed at the destination or not copied in this run; null when there are none.</param>
/// <param name="NotExactMessages">Messages copied but not byte for byte (the first <see cref="MailboxReport.MaxNotExactListed"/>); null when none.</param>
/// <param name="WaitingFor">Set when the chunk copied nothing because another batch holds the destination mailbox
/// (<see cref="DestinationHolds"/>): that batch and line, to wait for.</param>
/// <param name="FlagsUpdated">Messages whose flags this chunk brought up to date.</param>
/// <param name="FoldersCreated">Folders this chunk created at the destination.</param>
/// <param name="Paused">Set when the chunk copied nothing because the source account is over its download budget or
/// its provider's limit (<see cref="SourceBudgets"/>): until when, and why.</param>
public sealed record ChunkSummary(bool Completed, MailboxCounters Counters, IReadOnlyList<MessageFailure> FailedMessages, MailFailure? Failure = null,
    IReadOnlyList<FolderNote>? Folders = null, IReadOnlyList<NotExactMessage>? NotExactMessages = null, DestinationHold? WaitingFor = null, long FlagsUpdated = 0,
    int FoldersCreated = 0, SourcePause? Paused = null);
