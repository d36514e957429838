using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using Microsoft.Extensions.Logging;

namespace MailImport.Mail.Sync;

/// <summary>Copies one mailbox to the destination a chunk at a time, exactly once across crashes and re-runs.</summary>
/// <remarks>
/// Each chunk holds the mailbox's cursor (one chunk of a mailbox at a time), loads it, opens the destination and
/// the source the job names, and runs <see cref="ChunkCopy"/> over them: reconcile a batch journaled by a chunk
/// that died, then copy batches until the budget is spent.
/// </remarks>
public sealed class MailboxCopier(MailConnector connector, ILogger<MailboxCopier> logger)
{
    /// <summary>Called at each step of a batch; tests throw from it to simulate a crash there.</summary>
    internal Func<CopyStep, ValueTask>? StepHook { get; set; }

    /// <summary>Copies up to <paramref name="budget"/> of the mailbox and saves where it got to.</summary>
    /// <exception cref="MailFailureException">The mailbox cannot go on now: login refused, destination full, a
    /// connection lost (transient), too many failed messages. The cursor keeps everything done so far.</exception>
    public async Task<ChunkResult> CopyChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(budget);
        await using var hold = await store.TryLockAsync(cancellationToken)
            ?? throw new MailFailureException(Busy("Another copy of this mailbox's chunk is running; this one will retry after it."));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hold.Lost);
        try
        {
            return await CopyHeldChunkAsync(job, store, budget, linked.Token);
        }
        catch (OperationCanceledException) when (hold.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Whatever this chunk appended is journaled; the next holder reconciles it before copying anything.
            throw new MailFailureException(Busy("This chunk lost its hold on the mailbox and stopped; the copy resumes from the cursor."));
        }
    }

    private static MailFailure Busy(string message) => new(ErrorCode.MailboxBusy, message, IsTransient: true, TimeSpan.FromSeconds(15));

    private async Task<ChunkResult> CopyHeldChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken)
    {
        var cursor = await store.LoadAsync(cancellationToken) ?? new MailboxCursor();
        StartRun(cursor, job.RunId);
        var progress = new ChunkProgress(cursor, budget, job.Options.MaxMessageFailures, logger);
        Log.ChunkStarted(logger, job.RunId, job.Source.Protocol, cursor.MessagesCopied, cursor.InFlight is not null);
        try
        {
            var result = await CopyAsync(job, cursor, store, progress, cancellationToken);
            Log.ChunkEnded(logger, job.RunId, result.Completed, result.CopiedThisChunk, result.BytesThisChunk, result.FlagsUpdated,
                progress.FailedThisChunk, (long)progress.Elapsed.TotalMilliseconds);
            return result;
        }
        catch (MailFailureException e)
        {
            Log.ChunkStopped(logger, job.RunId, e.Failure.Code, e.Failure.IsTransient, progress.CopiedThisChunk, progress.BytesThisChunk,
                progress.FailedThisChunk, (long)progress.Elapsed.TotalMilliseconds);
            throw;
        }
    }

    private async Task<ChunkResult> CopyAsync(MailboxJob job, MailboxCursor cursor, ICursorStore store, ChunkProgress progress, CancellationToken cancellationToken)
    {
        using var destinationClient = await connector.OpenImapAsync(job.Destination, job.DestinationAccount, MailSide.Destination, cancellationToken);
        try
        {
            using var source = await OpenSourceAsync(job, cursor, cancellationToken);
            var chunk = new ChunkCopy(job.Options, cursor, store, progress, source, new DestinationMailbox(destinationClient), new CopySteps(StepHook), logger);
            try
            {
                return await chunk.RunAsync(cancellationToken);
            }
            catch (MailFailureException e) when (source is ImapSource { LimitAlert: { } limit })
            {
                // The command failed for want of the account's limit, which the server said only in an ALERT.
                throw new MailFailureException(limit, e);
            }
        }
        finally
        {
            await QuietlyDisconnectAsync(destinationClient);
        }
    }

    /// <summary>Connects to the source the job names; a new kind of source is one more case here.</summary>
    private async Task<IMailSource> OpenSourceAsync(MailboxJob job, MailboxCursor cursor, CancellationToken cancellationToken)
    {
        var endpoint = ServerEndpoint.Of(job.Source);
        return job.Source.Protocol == MailProtocol.Pop3
            ? new Pop3Source(await connector.OpenPop3Async(endpoint, job.SourceAccount, MailSide.Source, cancellationToken), cursor)
            : new ImapSource(await connector.OpenImapAsync(endpoint, job.SourceAccount, MailSide.Source, cancellationToken), job, cursor, logger);
    }

    /// <summary>A new run retries the messages that failed in the last one and brings flags up to date.</summary>
    private static void StartRun(MailboxCursor cursor, string runId)
    {
        if (cursor.RunId == runId)
        {
            return;
        }

        cursor.RunId = runId;
        foreach (var failure in cursor.Failures.Where(f => f.Uid is not null))
        {
            if (cursor.Folders.TryGetValue(failure.Folder, out var folder))
            {
                folder.Retry.Add(failure.Uid!.Value);
            }
        }

        cursor.Failures.Clear();
        cursor.FailedFolders.Clear();
    }

    private static async Task QuietlyDisconnectAsync(IMailService client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(true, timeout.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ServiceNotConnectedException or ImapProtocolException or Pop3ProtocolException or ImapCommandException)
        {
            // The chunk's outcome is already decided; a failed LOGOUT changes nothing.
        }
    }
}
