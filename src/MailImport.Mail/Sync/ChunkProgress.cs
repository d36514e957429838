using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Mail.Errors;
using Microsoft.Extensions.Logging;

namespace MailImport.Mail.Sync;

/// <summary>What one chunk has done so far against its budget, and the mailbox's totals in the cursor.</summary>
/// <param name="cursor">The mailbox's cursor, whose totals the result carries.</param>
/// <param name="budget">What the chunk may copy and for how long.</param>
/// <param name="maxMessageFailures">The failed messages a mailbox may have; one more stops it.</param>
/// <param name="logger">Where the chunk logs.</param>
/// <param name="clock">The chunk's clock: the system's, or a test's that moves only when told.</param>
internal sealed class ChunkProgress(MailboxCursor cursor, ChunkBudget budget, int maxMessageFailures, ILogger logger, TimeProvider? clock = null)
{
    private readonly TimeProvider time = clock ?? TimeProvider.System;
    private readonly long started = (clock ?? TimeProvider.System).GetTimestamp();
    private long messagesTotal;
    private long bytesTotal;
    private int folderCount;
    private (long Spam, long Trash)? gmailNotCopied;

    /// <summary>Messages copied by this chunk.</summary>
    public long CopiedThisChunk { get; private set; }

    /// <summary>Bytes copied by this chunk.</summary>
    public long BytesThisChunk { get; private set; }

    /// <summary>Bytes this chunk downloaded from the source.</summary>
    public long DownloadedThisChunk { get; private set; }

    /// <summary>Messages copied earlier whose flags this chunk brought up to date.</summary>
    public long FlagsUpdated { get; set; }

    /// <summary>Messages this chunk recorded as not copied.</summary>
    public int FailedThisChunk { get; private set; }

    /// <summary>Time since the chunk started.</summary>
    public TimeSpan Elapsed => time.GetElapsedTime(started);

    /// <summary>True once the chunk has copied or spent what its budget allows; checked between batches.</summary>
    public bool BudgetSpent =>
        CopiedThisChunk >= budget.MaxMessages || BytesThisChunk >= budget.MaxBytes || Elapsed >= budget.MaxDuration
        || DownloadedThisChunk >= budget.MaxDownloadBytes;

    /// <summary>True when the budget will be spent once a batch of <paramref name="messages"/> messages and
    /// <paramref name="bytes"/> bytes, now being appended, is recorded: the next batch is then not fetched ahead.</summary>
    public bool SpentAfter(int messages, long bytes) =>
        BudgetSpent || CopiedThisChunk + messages >= budget.MaxMessages || BytesThisChunk + bytes >= budget.MaxBytes;

    /// <summary>Counts bytes fetched from the source.</summary>
    public void Downloaded(long bytes) => DownloadedThisChunk += bytes;

    /// <summary>True when fetching <paramref name="bytes"/> more would cross the chunk's download allowance.</summary>
    public bool CrossesDownloads(long bytes) => bytes > budget.MaxDownloadBytes - DownloadedThisChunk;

    /// <summary>True when a batch of <paramref name="count"/> more messages would reach the budget's message count.</summary>
    public bool BatchReachesBudget(int count) => CopiedThisChunk + count >= budget.MaxMessages;

    /// <summary>Takes the source's counts for the result.</summary>
    public void Planned(SourcePlan plan)
    {
        folderCount = plan.Folders.Count;
        messagesTotal = plan.Messages;
        bytesTotal = plan.Bytes;
        gmailNotCopied = plan.GmailNotCopied;
    }

    /// <summary>Counts one message at the destination: appended by this chunk, or found there by reconcile.</summary>
    public void Copied(long size, bool thisChunk = true)
    {
        cursor.MessagesCopied++;
        cursor.BytesCopied += size;
        if (thisChunk)
        {
            CopiedThisChunk++;
            BytesThisChunk += size;
        }
    }

    /// <summary>Counts one message not copied because the destination already held it.</summary>
    public void AlreadyAtDestination(long size)
    {
        cursor.AlreadyAtDestination++;
        Copied(size, thisChunk: false);
    }

    /// <summary>Folders renamed at the destination, for the result.</summary>
    public IReadOnlyList<FolderNote> Renamed { get; set; } = [];

    /// <summary>Records a folder this run cannot copy (the next run tries it again); true the first time it is recorded.</summary>
    public bool FailFolder(string folder, MailFailure failure)
    {
        if (cursor.FailedFolders.Exists(f => f.Folder == folder))
        {
            return false;
        }

        cursor.FailedFolders.Add(new FailedFolder { Folder = folder, Code = failure.Code, Reason = failure.Message });
        Log.FolderNotCopied(logger, folder, failure.Code);
        return true;
    }

    /// <summary>True when this run already found the folder could not be copied.</summary>
    public bool FolderFailed(string folder) => cursor.FailedFolders.Exists(f => f.Folder == folder);

    /// <summary>Records a message copied though not byte for byte: counted always, listed while the list is short.</summary>
    public void NotExact(string folder, SourceKey key, long size, string reason)
    {
        cursor.NotExactCount++;
        if (cursor.NotExact.Count < Core.Reports.MailboxReport.MaxNotExactListed)
        {
            cursor.NotExact.Add(new Core.Reports.NotExactMessage(folder, key.Uid, key.Uidl, size, reason));
        }

        Log.MessageNotExact(logger, folder, key.ToString());
    }

    /// <summary>Counts where a copied message's arrival date came from (sources without INTERNALDATE).</summary>
    public void Dated(ArrivalDateSource source)
    {
        switch (source)
        {
            case ArrivalDateSource.Date:
                cursor.DatesFromDateHeader++;
                break;
            case ArrivalDateSource.Received:
                cursor.DatesFromReceived++;
                break;
            default:
                cursor.DatesFromImportTime++;
                break;
        }
    }

    /// <summary>Records a message that was not copied, for the report and for the next run to retry.</summary>
    public void Fail(string folder, SourceKey key, long size, MailFailure failure)
    {
        cursor.Failures.Add(new FailedMessage { Folder = folder, Uid = key.Uid, Uidl = key.Uidl, Size = size, Code = failure.Code, Reason = failure.Message });
        FailedThisChunk++;
        Log.MessageRefused(logger, folder, key.ToString(), failure.Code);
    }

    /// <summary>Stops the mailbox once more messages failed than the options allow.</summary>
    /// <exception cref="MailFailureException">Too many messages failed.</exception>
    public void ThrowIfTooManyFailures()
    {
        if (cursor.Failures.Count > maxMessageFailures)
        {
            throw new MailFailureException(new MailFailure(ErrorCode.TooManyMessageFailures,
                $"{cursor.Failures.Count} messages could not be copied, more than the limit of {maxMessageFailures}; the mailbox stopped.", false));
        }
    }

    /// <summary>The chunk's result as it stands, with the folders it created at the destination.</summary>
    public ChunkResult Result(bool completed, int foldersCreated = 0) => new(
        completed, CopiedThisChunk, BytesThisChunk, cursor.MessagesCopied, cursor.BytesCopied,
        messagesTotal, bytesTotal, folderCount, cursor.Failures.ToList(), FlagsUpdated, cursor.NotExactCount, cursor.AlreadyAtDestination,
        [.. Renamed, .. cursor.FailedFolders.Select(f => new FolderNote(f.Folder, null, FolderOutcome.NotCopied, f.Code, f.Reason))],
        cursor.NotExact.ToList(), ArrivalDates(), foldersCreated, GmailLabels()) { DownloadedThisChunk = DownloadedThisChunk };

    private Core.Reports.GmailLabelCounts? GmailLabels() =>
        gmailNotCopied is null && cursor.GmailLabels is null
            ? null
            : new(cursor.GmailLabels?.Labelled ?? 0, cursor.GmailLabels?.Labelless ?? 0, cursor.GmailLabels?.LabelsAsKeywords ?? 0,
                cursor.GmailLabels?.LabelsNotKept ?? 0, gmailNotCopied?.Spam ?? 0, gmailNotCopied?.Trash ?? 0);

    private Core.Reports.ArrivalDateCounts? ArrivalDates() =>
        cursor.DatesFromDateHeader + cursor.DatesFromReceived + cursor.DatesFromImportTime == 0
            ? null
            : new(cursor.DatesFromDateHeader, cursor.DatesFromReceived, cursor.DatesFromImportTime);
}
