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
public sealed record BatchProgress(int Total, int Finished, MailFailure? Problem = null);

/// <summary>One run of a batch: ingest the upload (first run), check the domain, read the directory once, fan out over
/// groups of mailboxes (<see cref="MailboxGroupOrchestration"/>), then write the report from storage.</summary>
/// <remarks>Deterministic: no I/O, clocks or random numbers here; every effect is an activity. Mailbox entries and
/// outcomes never pass through this orchestration: the plan and the outcomes are blobs, and its history holds a few
/// events per group, so it stays small however many lines the file has. Mailbox sub-orchestration ids are
/// "{runId}-{line}", so the status API finds each mailbox's live progress without asking this orchestration.</remarks>
public static class ImportBatchOrchestration
{
    /// <summary>Groups that run at the same time, each with its share of the run's concurrency: with two, the last
    /// slow mailbox of one group holds back only that group's share while the other group goes on.</summary>
    public const int GroupsAtOnce = 2;

    /// <summary>The instance id of one mailbox's orchestration in a run.</summary>
    public static string MailboxInstanceId(string runId, int line) => $"{runId}-{line}";

    /// <summary>The instance id of one group's orchestration in a run.</summary>
    public static string GroupInstanceId(string runId, int group) => $"{runId}-g{group}";

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
            return await FinishAsync(context, input, started, null, 0, fileProblem);
        }

        var (plan, planFailure) = await Retrying.CallAsync<RunPlan>(context, WorkflowNames.PlanRun, input, input.RetryFirstDelaySeconds);
        if (planFailure is not null || plan!.Closed)
        {
            return await FinishAsync(context, input, started, null, 0, planFailure ?? MailFailure.Permanent(ErrorCode.BatchClosed, "The batch is closed."));
        }

        var (domain, domainFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.CheckDomain, plan.Domain, input.RetryFirstDelaySeconds);
        var domainProblem = domainFailure ?? domain!.Failure;
        if (domainProblem is not null)
        {
            return await FinishAsync(context, input, started, plan, 0, domainProblem);
        }

        if (plan.Mailboxes > 0)
        {
            var (directory, directoryFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.ReadDirectory,
                new DirectoryReadInput(input.BatchId, input.RunId, plan.Domain), input.RetryFirstDelaySeconds);
            var directoryProblem = directoryFailure ?? directory!.Failure;
            if (directoryProblem is not null)
            {
                return await FinishAsync(context, input, started, plan, 0, directoryProblem);
            }
        }

        // Lanes, each running its groups one after another with its share of the concurrency (the first lanes take
        // the remainder), so that the run never has more than input.Concurrency mailboxes in flight.
        var concurrency = Math.Max(1, input.Concurrency);
        var lanes = Math.Min(plan.Groups, Math.Min(GroupsAtOnce, concurrency));
        var running = new List<(Task<GroupResult> Task, int Lane)>();
        var nextGroup = 0;
        var finished = 0;
        context.SetCustomStatus(new BatchProgress(plan.Mailboxes, 0));
        for (var lane = 0; lane < lanes; lane++)
        {
            running.Add((StartGroup(context, input, nextGroup++, concurrency / lanes + (lane < concurrency % lanes ? 1 : 0)), lane));
        }

        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running.Select(r => r.Task));
            var index = running.FindIndex(r => r.Task == done);
            var doneLane = running[index].Lane;
            running.RemoveAt(index);
            finished += await GroupMailboxesAsync(done);
            context.SetCustomStatus(new BatchProgress(plan.Mailboxes, finished));
            if (nextGroup < plan.Groups)
            {
                running.Add((StartGroup(context, input, nextGroup++, concurrency / lanes + (doneLane < concurrency % lanes ? 1 : 0)), doneLane));
            }
        }

        log.RunFinished(input.RunId, input.BatchId, finished);
        return await FinishAsync(context, input, started, plan, finished, null);
    }

    private static Task<GroupResult> StartGroup(TaskOrchestrationContext context, BatchRunInput input, int group, int concurrency) =>
        context.CallSubOrchestratorAsync<GroupResult>(WorkflowNames.ImportMailboxGroup, new MailboxGroupInput(input, group, concurrency),
            new SubOrchestrationOptions { InstanceId = GroupInstanceId(input.RunId, group) });

    private static async Task<int> GroupMailboxesAsync(Task<GroupResult> group)
    {
        try
        {
            return (await group).Mailboxes;
        }
        catch (TaskFailedException)
        {
            // The group's workflow itself broke (a bug): its mailboxes have no recorded outcome, and the report says
            // so line by line (BatchSteps.WriteReportAsync).
            return 0;
        }
    }

    private static async Task<BatchProgress> FinishAsync(TaskOrchestrationContext context, BatchRunInput input, DateTime started, RunPlan? plan, int finished, MailFailure? problem)
    {
        var report = new ReportInput(input.BatchId, input.RunId, input.Mode, started, problem, plan?.Groups ?? 0);
        await Retrying.CallAsync<int>(context, WorkflowNames.WriteReport, report, input.RetryFirstDelaySeconds);
        var progress = new BatchProgress(plan?.Mailboxes ?? 0, finished, problem);
        context.SetCustomStatus(progress);
        return progress;
    }
}
