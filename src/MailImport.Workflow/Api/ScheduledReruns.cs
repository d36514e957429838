using Cronos;
using MailImport.Core.Batches;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>The timer's pass over every batch: starts the incremental re-runs that batches asked for on a schedule,
/// closes the batches that have been idle too long (<see cref="BatchRetention"/>), and finishes closes that were
/// interrupted. Both hosts call <see cref="RunDueAsync"/> from a timer: the Functions app's timer trigger, the local
/// host's background loop.</summary>
/// <remarks>It builds its <see cref="BatchRuns"/> over the engine it is given: the Functions timer gives it one over the
/// invocation's Durable client, which is a binding of the call, not a service. Closing goes through
/// <see cref="BatchSteps"/>, the close the API uses.</remarks>
public sealed class ScheduledReruns(BatchStorage storage, IWorkflowEngine engine, BatchSteps steps, IOptions<WorkflowOptions> workflow, TimeProvider clock, BatchSecrets secrets, ILogger<ScheduledReruns> logger)
{
    private readonly BatchRuns runs = new(storage, engine, workflow, clock, secrets);

    /// <summary>Whether <paramref name="schedule"/> is a CRON expression (five fields, UTC) this service understands.</summary>
    public static bool IsValid(string schedule) => TryParse(schedule) is not null;

    /// <summary>The first occurrence of <paramref name="schedule"/> after <paramref name="after"/>; null for a schedule
    /// this service does not understand or one that never comes again.</summary>
    public static DateTimeOffset? NextOccurrence(string schedule, DateTimeOffset after) =>
        TryParse(schedule)?.GetNextOccurrence(after.UtcDateTime, TimeZoneInfo.Utc) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    /// <summary>For every batch: an open, scheduled one whose next occurrence since its last run has come and whose last
    /// run has ended gets its run (one still running gets its overdue run at the next check after it ends); an open one
    /// idle past MailImport:Workflow:BatchIdleClose whose last run has ended is closed; a closed one whose deletion was
    /// interrupted is finished. Returns the runs started.</summary>
    /// <remarks>One batch that cannot be handled now (storage or the secret store briefly away) is logged and left to
    /// the next pass; the others go on.</remarks>
    public async Task<IReadOnlyList<string>> RunDueAsync(CancellationToken cancellationToken)
    {
        var started = new List<string>();
        var now = clock.GetUtcNow();
        await foreach (var batchId in storage.ListBatchIdsAsync(cancellationToken))
        {
            try
            {
                if (await PassAsync(batchId, now, cancellationToken) is { } run)
                {
                    started.Add(run);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.RetentionPassFailed(batchId, e);
            }
        }

        await SweepRecordsAsync(now, cancellationToken);
        return started;
    }

    /// <summary>Deletes the records that outlive batches once nothing can read them any more: an Idempotency-Key's after
    /// twice its lifetime, a destination hold a day (or twice its lifetime, if longer) after it was last renewed, a
    /// source account's download record a day (or its window, if longer) after it was last written.</summary>
    private async Task SweepRecordsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var holdLifetime = DestinationHolds.Lifetime(workflow.Value.Budget.MaxDuration);
        try
        {
            await storage.DeleteRecordsWrittenBeforeAsync(BatchStorage.IdempotencyRecords, now - 2 * IdempotentStarts.Lifetime, cancellationToken);
            await storage.DeleteRecordsWrittenBeforeAsync(BatchStorage.DestinationHoldRecords,
                now - (2 * holdLifetime > TimeSpan.FromDays(1) ? 2 * holdLifetime : TimeSpan.FromDays(1)), cancellationToken);
            // A download record counts only within its window, and a block lasts at most a day (the longest hint taken).
            await storage.DeleteRecordsWrittenBeforeAsync(BatchStorage.SourceBudgetRecords,
                now - (workflow.Value.DownloadBudgetWindow > TimeSpan.FromDays(1) ? workflow.Value.DownloadBudgetWindow : TimeSpan.FromDays(1)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.RecordSweepFailed(e);
        }
    }

    /// <summary>How long after a close the pass looks for sealed passwords written after it: longer than any step
    /// runs and than a process keeps a batch's key.</summary>
    private static readonly TimeSpan LateWritesWindow = TimeSpan.FromDays(1);

    /// <summary>One batch's part of the pass; returns the run it started, if any.</summary>
    private async Task<string?> PassAsync(string batchId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await storage.LoadBatchAsync(batchId, cancellationToken) is not { } batch)
        {
            return null;
        }

        if (batch.Closed)
        {
            if (BatchRetention.HasInterruptedClose(batch, now))
            {
                logger.InterruptedCloseFound(batchId, batch.ClosedAt);
                await steps.FinishCloseAsync(batchId, cancellationToken);
            }
            else if (batch.SecretsDeletedAt is { } deleted && now - deleted < LateWritesWindow
                && await storage.DeleteSealedPasswordsContainerAsync(batchId, cancellationToken))
            {
                // A step that was still running when the close deleted the container wrote a line's sealed passwords
                // after it (with the key it had read before), and so made the container again.
                logger.LateSealedPasswordsDeleted(batchId, deleted);
            }

            return null;
        }

        // A run that is due starts before idleness is looked at: starting a run is never lost, a close is.
        if (IsDue(batch, now) && await runs.StartScheduledAsync(batch, now, cancellationToken) is { } run)
        {
            return run.RunId;
        }

        var idleClose = workflow.Value.BatchIdleClose;
        if (BatchRetention.ClosesAt(batch, idleClose) <= now && (batch.Runs.Count == 0 || !await runs.IsGoingAsync(batch, cancellationToken)))
        {
            await steps.CloseIdleAsync(batch, idleClose, now, cancellationToken);
        }

        return null;
    }

    private static bool IsDue(BatchDefinition batch, DateTimeOffset now) =>
        batch is { Options.Schedule: { } schedule, Runs.Count: > 0 } && NextOccurrence(schedule, batch.Runs[^1].StartedAt) <= now;

    private static CronExpression? TryParse(string schedule) =>
        CronExpression.TryParse(schedule, CronFormat.Standard, out var cron) ? cron : null;
}
