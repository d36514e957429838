using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Orchestrations;

/// <summary>Where a run stands: the batch orchestration's custom status and output.</summary>
/// <param name="Total">Mailboxes the run takes.</param>
/// <param name="Finished">Mailboxes finished so far.</param>
/// <param name="Problem">A failure of the whole run, if any.</param>
/// <param name="Plan">What the run has to copy, as counted at the source before the first mailbox is copied; null
/// until the count begins.</param>
public sealed record BatchProgress(int Total, int Finished, MailFailure? Problem = null, PlanTotals? Plan = null);

/// <summary>One run of a batch: ingest the upload (first run), check the domain, read the directory once, count every
/// mailbox at the source, fan out one mailbox orchestration per mailbox with bounded concurrency, fan in to the report.</summary>
/// <remarks>Deterministic: no I/O, clocks or random numbers here; every effect is an activity. Sub-orchestration ids
/// are "{runId}-{line}", so the status API finds each mailbox's live progress without asking this orchestration.</remarks>
public static class ImportBatchOrchestration
{
    /// <summary>The instance id of one mailbox's orchestration in a run.</summary>
    public static string MailboxInstanceId(string runId, int line) => $"{runId}-{line}";

    /// <summary>Runs the batch.</summary>
    public static async Task<BatchProgress> RunAsync(TaskOrchestrationContext context, BatchRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var log = context.CreateReplaySafeLogger(nameof(ImportBatchOrchestration));
        var started = context.CurrentUtcDateTime;

        var (ingest, ingestFailure) = await Retrying.CallAsync<IngestResult>(context, WorkflowNames.IngestCredentials, new IngestInput(input.BatchId, input.RunId), input.RetryFirstDelaySeconds);
        var fileProblem = ingestFailure ?? ingest!.FileProblem;
        if (fileProblem is not null)
        {
            return await FinishAsync(context, input, started, [], [], fileProblem);
        }

        var (plan, planFailure) = await Retrying.CallAsync<RunPlan>(context, WorkflowNames.PlanRun, input, input.RetryFirstDelaySeconds);
        if (planFailure is not null || plan!.Closed)
        {
            return await FinishAsync(context, input, started, [], [], planFailure ?? MailFailure.Permanent(ErrorCode.BatchClosed, "The batch is closed."));
        }

        var (domain, domainFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.CheckDomain, plan.Domain, input.RetryFirstDelaySeconds);
        var domainProblem = domainFailure ?? domain!.Failure;
        if (domainProblem is not null)
        {
            return await FinishAsync(context, input, started, [], plan.Mailboxes, domainProblem);
        }

        if (plan.Mailboxes.Count > 0)
        {
            var (directory, directoryFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.ReadDirectory,
                new DirectoryReadInput(input.BatchId, input.RunId, plan.Domain), input.RetryFirstDelaySeconds);
            var directoryProblem = directoryFailure ?? directory!.Failure;
            if (directoryProblem is not null)
            {
                return await FinishAsync(context, input, started, [], plan.Mailboxes, directoryProblem);
            }
        }

        var (counts, totals) = await CountAsync(context, input, plan.Mailboxes);
        var outcomes = new List<MailboxOutcome>(plan.Mailboxes.Count);
        var running = new List<(Task<MailboxOutcome> Task, ManifestEntry Entry)>();
        foreach (var entry in plan.Mailboxes)
        {
            if (running.Count >= Math.Max(1, input.Concurrency))
            {
                await CollectOneAsync(running, outcomes);
                context.SetCustomStatus(new BatchProgress(plan.Mailboxes.Count, outcomes.Count, Plan: totals));
            }

            var mailbox = new MailboxRunInput(input.BatchId, input.RunId, input.Mode, entry,
                ChunksPerGeneration: input.ChunksPerGeneration, RetryFirstDelaySeconds: input.RetryFirstDelaySeconds, Counted: counts[entry.Line]);
            running.Add((context.CallSubOrchestratorAsync<MailboxOutcome>(WorkflowNames.ImportMailbox, mailbox,
                new SubOrchestrationOptions { InstanceId = MailboxInstanceId(input.RunId, entry.Line) }), entry));
        }

        while (running.Count > 0)
        {
            await CollectOneAsync(running, outcomes);
            context.SetCustomStatus(new BatchProgress(plan.Mailboxes.Count, outcomes.Count, Plan: totals));
        }

        log.RunFinished(input.RunId, input.BatchId, outcomes.Count);
        return await FinishAsync(context, input, started, outcomes, plan.Mailboxes, null, totals);
    }

    /// <summary>Counts every mailbox at the source (LIST and STATUS, as many at once as the run copies) before any is
    /// copied, so the run's totals are known from its first chunk on and its progress is a share of them.</summary>
    private static async Task<(Dictionary<int, SourceCount> Counts, PlanTotals Totals)> CountAsync(TaskOrchestrationContext context, BatchRunInput input, IReadOnlyList<ManifestEntry> mailboxes)
    {
        var totals = PlanTotals.Of(mailboxes.Count);
        var counts = new Dictionary<int, SourceCount>(mailboxes.Count);
        var running = new List<(Task<(SourceCheckResult? Result, MailFailure? Failure)> Task, int Line)>();
        context.SetCustomStatus(new BatchProgress(mailboxes.Count, 0, Plan: totals));
        async Task CountOneAsync()
        {
            var finished = await Task.WhenAny(running.Select(r => r.Task));
            var index = running.FindIndex(r => r.Task == finished);
            var line = running[index].Line;
            running.RemoveAt(index);
            var (result, failure) = await finished;
            var count = SourceCheckResult.CountOf(result, failure);
            counts[line] = count;
            totals = totals.Add(count);
            context.SetCustomStatus(new BatchProgress(mailboxes.Count, 0, Plan: totals));
        }

        foreach (var entry in mailboxes)
        {
            if (running.Count >= Math.Max(1, input.Concurrency))
            {
                await CountOneAsync();
            }

            running.Add((Retrying.CallAsync<SourceCheckResult>(context, WorkflowNames.CheckSource, new MailboxStepInput(input.BatchId, input.RunId, entry), input.RetryFirstDelaySeconds), entry.Line));
        }

        while (running.Count > 0)
        {
            await CountOneAsync();
        }

        return (counts, totals);
    }

    private static async Task CollectOneAsync(List<(Task<MailboxOutcome> Task, ManifestEntry Entry)> running, List<MailboxOutcome> outcomes)
    {
        var finished = await Task.WhenAny(running.Select(r => r.Task));
        var index = running.FindIndex(r => r.Task == finished);
        var entry = running[index].Entry;
        running.RemoveAt(index);
        try
        {
            outcomes.Add(await finished);
        }
        catch (TaskFailedException e)
        {
            // The mailbox orchestration itself broke (a bug): that mailbox fails, the batch goes on.
            outcomes.Add(new MailboxOutcome(entry.Line, entry.SourceLogin, entry.DestinationUsername, MailboxStatus.Failed, ErrorCode.InternalError,
                $"The mailbox's workflow failed: {e.FailureDetails.ErrorType}: {e.FailureDetails.ErrorMessage}", MailboxCounters.Zero, TimeSpan.Zero, []));
        }
    }

    private static async Task<BatchProgress> FinishAsync(TaskOrchestrationContext context, BatchRunInput input, DateTime started, List<MailboxOutcome> outcomes, IReadOnlyList<ManifestEntry> taken, MailFailure? problem,
        PlanTotals? totals = null)
    {
        var report = new ReportInput(input.BatchId, input.RunId, input.Mode, started, outcomes.OrderBy(o => o.Line).ToList(), problem, [.. taken.Select(e => e.Line)]);
        await Retrying.CallAsync<int>(context, WorkflowNames.WriteReport, report, input.RetryFirstDelaySeconds);
        var progress = new BatchProgress(taken.Count, outcomes.Count, problem, totals);
        context.SetCustomStatus(progress);
        return progress;
    }
}
