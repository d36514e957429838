using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>Starts a batch's runs (the first, the next one a re-run asks for, a scheduled one) and knows whether one is
/// going: the one place that records a run in the batch and schedules its orchestration.</summary>
/// <remarks>A run's id is the batch id and its number (<c>{batch}-r2</c>) and doubles as its orchestration's instance id:
/// the batch's last run names the instance whose state says whether a run is going.</remarks>
public sealed class BatchRuns(BatchStorage storage, IWorkflowEngine engine, IOptions<WorkflowOptions> workflow, TimeProvider clock, BatchSecrets secrets)
{
    /// <summary>Whether a run in this state has yet to end (scheduled, or running).</summary>
    public static bool IsGoing(WorkflowState? state) => state?.Status is WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending;

    /// <summary>Whether the batch's latest run has yet to end.</summary>
    public async Task<bool> IsGoingAsync(BatchDefinition batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return IsGoing(await engine.GetStateAsync(batch.Runs[^1].RunId, cancellationToken));
    }

    /// <summary>Stores a new batch and its credentials and starts its first run: a full run, or a dry run when asked.</summary>
    public async Task<StartedRun> StartFirstAsync(NewImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        var batchId = Guid.NewGuid().ToString("N");
        var run = new BatchRunRecord($"{batchId}-r1", import.Options.DryRun ? RunMode.DryRun : RunMode.Full, clock.GetUtcNow());
        await storage.SaveBatchAsync(new BatchDefinition(batchId, import.Domain, import.Source, import.Options, clock.GetUtcNow()) { Authentication = import.Authentication, Runs = [run] }, cancellationToken);
        if (import.SourceCredential is { } credential)
        {
            // Sealed before the run is scheduled, so its first step finds it; the record and the run only name the batch.
            await secrets.WriteSourceCredentialAsync(batchId, credential, cancellationToken);
        }

        await storage.UploadCredentialsAsync(batchId, run.RunId, import.Credentials.Bytes, import.Credentials.IsJson, cancellationToken);
        await ScheduleAsync(batchId, run, cancellationToken);
        var parsed = import.Credentials.Parsed;
        return new StartedRun(batchId, run.RunId, parsed.Entries.Count, parsed.Problems.Select(p => p.LineNumber).Distinct().Count());
    }

    /// <summary>Starts the batch's next run in <paramref name="mode"/>, with a corrected credential file folded in first
    /// when given; refused while the batch is closed or its last run goes on.</summary>
    public async Task<RunStart> StartNextAsync(BatchDefinition batch, RunMode mode, CredentialUpload? correction, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(batch, cancellationToken) is { } refusal)
        {
            return RunStart.Refused(refusal);
        }

        var now = clock.GetUtcNow();
        await ExtendLifeAsync(batch.BatchId, now, cancellationToken);
        var (run, lost) = await RecordNextAsync(batch, mode, now, cancellationToken);
        if (run is null)
        {
            return RunStart.Refused(lost!.Value);
        }

        if (correction is not null)
        {
            // The run's first activity folds it into the manifest: lines it fixes keep their mailbox's number.
            await storage.UploadCredentialsAsync(batch.BatchId, run.RunId, correction.Bytes, correction.IsJson, cancellationToken);
        }

        // The counts the run will see: the manifest as the corrected file leaves it (the merge has no side effects).
        var manifest = await storage.LoadManifestAsync(batch.BatchId, cancellationToken);
        if (correction is not null)
        {
            manifest = ManifestMerge.Merge(manifest, correction.Parsed).Manifest;
        }

        await ScheduleAsync(batch.BatchId, run, cancellationToken);
        return RunStart.Started(new StartedRun(batch.BatchId, run.RunId, manifest?.Entries.Count ?? 0, manifest?.Invalid.Count ?? 0));
    }

    /// <summary>Starts a scheduled incremental run, recorded as started at <paramref name="now"/>; null (nothing started)
    /// while the last run goes on, so the next check after it ends starts the overdue run, or once the batch is closed.</summary>
    public async Task<BatchRunRecord?> StartScheduledAsync(BatchDefinition batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(batch, cancellationToken) is not null)
        {
            return null;
        }

        await ExtendLifeAsync(batch.BatchId, now, cancellationToken);
        var (run, _) = await RecordNextAsync(batch, RunMode.Incremental, now, cancellationToken, scheduled: true);
        if (run is not null)
        {
            await ScheduleAsync(batch.BatchId, run, cancellationToken);
        }

        return run;
    }

    /// <summary>Ends the batch's latest run if it has yet to end.</summary>
    public async Task StopAsync(BatchDefinition batch, string reason, CancellationToken cancellationToken)
    {
        if (await IsGoingAsync(batch, cancellationToken))
        {
            var runId = batch.Runs[^1].RunId;
            await engine.TerminateAsync(runId, reason, cancellationToken);
            // Ending an orchestration does not end its sub-orchestrations
            // (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-instance-management#terminate-instances):
            // each group of the run would go on starting its mailboxes.
            var groups = await storage.CountPlanGroupsAsync(batch.BatchId, runId, cancellationToken);
            var groupIds = Enumerable.Range(0, groups).SelectMany(g => new[] { ImportBatchOrchestration.CountInstanceId(runId, g), ImportBatchOrchestration.GroupInstanceId(runId, g) });
            foreach (var groupId in groupIds)
            {
                if (IsGoing(await engine.GetStateAsync(groupId, cancellationToken)))
                {
                    await engine.TerminateAsync(groupId, reason, cancellationToken);
                }
            }
        }
    }

    private async Task<RunRefusal?> RefusalAsync(BatchDefinition batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Closed ? RunRefusal.BatchClosed
            : await IsGoingAsync(batch, cancellationToken) ? RunRefusal.RunGoing
            : null;
    }

    /// <summary>Appends the run to the batch's runs, unless another run was recorded since <paramref name="batch"/> was
    /// read (it is starting: this one loses) or the batch was closed meanwhile; its orchestration is scheduled after.</summary>
    private async Task<(BatchRunRecord? Run, RunRefusal? Lost)> RecordNextAsync(BatchDefinition batch, RunMode mode, DateTimeOffset startedAt, CancellationToken cancellationToken, bool scheduled = false)
    {
        var run = new BatchRunRecord($"{batch.BatchId}-r{batch.Runs.Count + 1}", mode, startedAt) { Scheduled = scheduled };
        var update = await storage.UpdateBatchAsync(batch.BatchId,
            current => current.Closed || current.Runs.Count != batch.Runs.Count ? null : current with { Runs = [.. current.Runs, run] },
            cancellationToken);
        return update switch
        {
            { Changed: true } => (run, null),
            { Batch.Closed: true } or null => (null, RunRefusal.BatchClosed),
            _ => (null, RunRefusal.RunGoing),
        };
    }

    /// <summary>A run started at <paramref name="startedAt"/> makes the batch's idle time end later, and with it the
    /// life of its passwords' data key; a batch whose key has gone keeps none (its run reports each password as no
    /// longer kept, and a corrected file brings new ones).</summary>
    private Task ExtendLifeAsync(string batchId, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        secrets.ExtendAsync(batchId, startedAt + workflow.Value.BatchIdleClose, cancellationToken);

    private Task ScheduleAsync(string batchId, BatchRunRecord run, CancellationToken cancellationToken)
    {
        var settings = workflow.Value;
        return engine.StartAsync(WorkflowNames.ImportBatch,
            new BatchRunInput(batchId, run.RunId, run.Mode, settings.Concurrency, settings.ChunksPerGeneration, MailboxesPerGroup: settings.MailboxesPerGroup), run.RunId, cancellationToken);
    }
}
