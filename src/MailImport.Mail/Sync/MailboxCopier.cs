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

    /// <summary>The clock of the chunk's time budget and deadline; tests move their own to stop a chunk at a chosen step.</summary>
    internal TimeProvider Clock { get; set; } = TimeProvider.System;

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
        // The chunk's time budget as a deadline: every server call of the chunk (connect and greeting included) is
        // cancelled when it passes, so a server that trickles bytes cannot hold a chunk past its budget by more than
        // the round trip that saves the cursor. The budget is also checked between batches, where stopping costs nothing.
        using var deadline = new CancellationTokenSource(budget.MaxDuration, Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hold.Lost, deadline.Token);
        try
        {
            return await CopyHeldChunkAsync(job, store, budget, new ChunkTokens(linked.Token, deadline.Token, cancellationToken));
        }
        catch (OperationCanceledException) when (hold.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Whatever this chunk appended is journaled; the next holder reconciles it before copying anything.
            throw new MailFailureException(Busy("This chunk lost its hold on the mailbox and stopped; the copy resumes from the cursor."));
        }
    }

    private static MailFailure Busy(string message) => new(ErrorCode.MailboxBusy, message, IsTransient: true, TimeSpan.FromSeconds(15));

    /// <summary>The tokens of one chunk: <paramref name="Chunk"/> for every call (caller, hold and deadline together),
    /// <paramref name="Deadline"/> the time budget alone, <paramref name="Caller"/> the caller's alone.</summary>
    private readonly record struct ChunkTokens(CancellationToken Chunk, CancellationToken Deadline, CancellationToken Caller)
    {
        /// <summary>True when it was the time budget that cancelled, not the caller.</summary>
        public bool DeadlinePassed => Deadline.IsCancellationRequested && !Caller.IsCancellationRequested;
    }

    private async Task<ChunkResult> CopyHeldChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, ChunkTokens tokens)
    {
        var cancellationToken = tokens.Chunk;
        var cursor = await store.LoadAsync(cancellationToken) ?? new MailboxCursor();
        StartRun(cursor, job.RunId);
        var progress = new ChunkProgress(cursor, budget, job.Options.MaxMessageFailures, logger, Clock);
        Log.ChunkStarted(logger, job.RunId, job.Source.Protocol, cursor.MessagesCopied, cursor.InFlight is not null);
        try
        {
            var result = await CopyAsync(job, cursor, store, progress, tokens, budget);
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

    private async Task<ChunkResult> CopyAsync(MailboxJob job, MailboxCursor cursor, ICursorStore store, ChunkProgress progress, ChunkTokens tokens, ChunkBudget budget)
    {
        DestinationMailbox? destination = null;
        try
        {
            return await CopyConnectedAsync(job, cursor, store, progress, mailbox => destination = mailbox, tokens.Chunk);
        }
        catch (Exception e) when (tokens.DeadlinePassed && e is OperationCanceledException or MailFailureException)
        {
            // A call cut by the deadline (MailKit drops a connection whose command was cancelled, which may also surface as
            // a classified I/O failure). Everything the cursor holds is consistent at any await: a batch cut before its
            // record stays journaled and the next chunk reconciles it, so saving now loses nothing and doubles nothing.
            Log.ChunkDeadline(logger, job.RunId, (long)budget.MaxDuration.TotalMilliseconds);
            using var save = CancellationTokenSource.CreateLinkedTokenSource(tokens.Caller);
            save.CancelAfter(connector.Options.Timeout);
            await store.SaveAsync(cursor, save.Token);
            return progress.Result(completed: false, destination?.FoldersCreated ?? 0);
        }
    }

    private async Task<ChunkResult> CopyConnectedAsync(MailboxJob job, MailboxCursor cursor, ICursorStore store, ChunkProgress progress,
        Action<DestinationMailbox> opened, CancellationToken cancellationToken)
    {
        using var destinationClient = await connector.OpenImapAsync(job.Destination, job.DestinationAccount, MailSide.Destination, cancellationToken);
        try
        {
            using var source = await OpenSourceAsync(job, cursor, cancellationToken);
            var destination = new DestinationMailbox(destinationClient);
            opened(destination);
            var chunk = new ChunkCopy(job.Options, cursor, store, progress, source, destination, new CopySteps(StepHook), logger);
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
            ? new Pop3Source(await connector.OpenPop3Async(endpoint, job.SourceAccount, MailSide.Source, cancellationToken), cursor, connector.Spool)
            : new ImapSource(await connector.OpenImapAsync(endpoint, job.SourceAccount, MailSide.Source, cancellationToken), job, cursor, logger, connector.Spool);
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
        foreach (var folder in cursor.Folders.Values)
        {
            // A flag sync the last run left half done starts over: this run compares every message again.
            folder.FlagsSyncedUpTo = null;
            folder.FlagsSyncFromModSeq = null;
        }
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
