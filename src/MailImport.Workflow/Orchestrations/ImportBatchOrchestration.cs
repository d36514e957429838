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
/// mailbox at the source group by group, fan out over the groups to copy them (<see cref="MailboxGroupOrchestration"/>),
/// then write the report from storage.</summary>
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

    /// <summary>The instance id of the orchestration that counts one group at the source.</summary>
    public static string CountInstanceId(string runId, int group) => $"{runId}-c{group}";

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

        // Counted first, every group, so that the run's totals are known before its first chunk and its progress is a
        // share of them; the counts go to storage, and each group's copy takes its mailboxes' counts from there.
        var totals = PlanTotals.Of(plan.Mailboxes);
        context.SetCustomStatus(new BatchProgress(plan.Mailboxes, 0, Plan: totals));
        await InLanesAsync(context, input, plan.Groups, (group, concurrency) => PurgedWhenEndedAsync(context, input, CountInstanceId(input.RunId, group),
            id => context.CallSubOrchestratorAsync<PlanTotals>(WorkflowNames.CountMailboxGroup, new MailboxGroupInput(input, group, concurrency), new SubOrchestrationOptions { InstanceId = id })),
            counted =>
            {
                totals = totals.Plus(counted);
                context.SetCustomStatus(new BatchProgress(plan.Mailboxes, 0, Plan: totals));
            });

        var finished = 0;
        await InLanesAsync(context, input, plan.Groups, (group, concurrency) => PurgedWhenEndedAsync(context, input, GroupInstanceId(input.RunId, group),
            id => context.CallSubOrchestratorAsync<GroupResult>(WorkflowNames.ImportMailboxGroup, new MailboxGroupInput(input, group, concurrency), new SubOrchestrationOptions { InstanceId = id })),
            result =>
            {
                finished += result.Mailboxes;
                context.SetCustomStatus(new BatchProgress(plan.Mailboxes, finished, Plan: totals));
            });

        log.RunFinished(input.RunId, input.BatchId, finished);
        return await FinishAsync(context, input, started, plan, finished, null, totals);
    }

    /// <summary>A group orchestration's result, its history purged once it is here (MailboxHistories.PurgeGroupAsync): the
    /// task hub then holds the groups in flight, not every group of every run. A group that broke keeps its history, and
    /// a purge whose retries are spent leaves it, and nothing else.</summary>
    private static async Task<T> PurgedWhenEndedAsync<T>(TaskOrchestrationContext context, BatchRunInput input, string instanceId, Func<string, Task<T>> call)
    {
        var result = await call(instanceId);
        await Retrying.CallAsync<bool>(context, WorkflowNames.PurgeGroupHistory, new GroupHistoryInput(input.BatchId, input.RunId, instanceId), input.RetryFirstDelaySeconds);
        return result;
    }

    /// <summary>Runs <paramref name="groups"/> group orchestrations in lanes, each lane its groups one after another
    /// with its share of the run's concurrency (the first lanes take the remainder), so that the run never has more than
    /// input.Concurrency mailboxes in flight; <paramref name="finished"/> gets each group's result in the order they end.</summary>
    private static async Task InLanesAsync<T>(TaskOrchestrationContext context, BatchRunInput input, int groups, Func<int, int, Task<T>> start, Action<T> finished)
    {
        var concurrency = Math.Max(1, input.Concurrency);
        var lanes = Math.Min(groups, Math.Min(GroupsAtOnce, concurrency));
        int Share(int lane) => concurrency / lanes + (lane < concurrency % lanes ? 1 : 0);
        await BoundedFanOut.RunAsync(Enumerable.Range(0, groups), lanes, (group, lane) => start(group, Share(lane)), async (_, done) =>
        {
            try
            {
                finished(await done);
            }
            catch (TaskFailedException)
            {
                // The group's workflow itself broke (a bug): its mailboxes have no recorded outcome, and the report says
                // so line by line (BatchSteps.WriteReportAsync); a group not counted leaves the totals short.
            }
        });
    }

    private static async Task<BatchProgress> FinishAsync(TaskOrchestrationContext context, BatchRunInput input, DateTime started, RunPlan? plan, int finished, MailFailure? problem,
        PlanTotals? totals = null)
    {
        var report = new ReportInput(input.BatchId, input.RunId, input.Mode, started, problem, plan?.Groups ?? 0);
        await Retrying.CallAsync<int>(context, WorkflowNames.WriteReport, report, input.RetryFirstDelaySeconds);
        var progress = new BatchProgress(plan?.Mailboxes ?? 0, finished, problem, totals);
        context.SetCustomStatus(progress);
        return progress;
    }
}
