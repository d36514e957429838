using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>One group of a run's mailboxes: counted at the source before the run copies anything, then copied, a
/// mailbox orchestration for each line with the group's share of the concurrency.</summary>
/// <remarks>Deterministic: no I/O, clocks or random numbers here. Its history holds the group's entries once and a
/// small result per mailbox (<see cref="MailboxResult"/>), so its size is set by the group's size, not the batch's.</remarks>
public static class MailboxGroupOrchestration
{
    /// <summary>Counts the group's mailboxes at the source (CheckSource, a few at a time), keeps the counts for the
    /// group's copy, and returns their sum.</summary>
    public static async Task<PlanTotals> CountAsync(TaskOrchestrationContext context, MailboxGroupInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = input.Run;
        var (planned, failure) = await LoadAsync(context, input);
        if (failure is not null)
        {
            // Not counted: the group's mailboxes count themselves when they are copied.
            return PlanTotals.Of(0);
        }

        var counts = new List<LineCount>(planned!.Count);
        var paused = 0;
        await BoundedFanOut.RunAsync(planned, input.Concurrency,
            // A mailbox whose concurrency slots are taken waits for them here, so the count still covers it.
            (mailbox, _) => SlotWaits.CheckSourceAsync(context, new MailboxStepInput(run.BatchId, run.RunId, mailbox.Entry, run.Mode == RunMode.DryRun),
                run.RetryFirstDelaySeconds),
            async (mailbox, check) =>
            {
                var (result, checkFailure) = await check;
                if (result?.Paused is not null)
                {
                    // The source account is over its limit: the mailbox counts itself once its pause ends (MailboxOrchestration).
                    paused++;
                    return;
                }

                counts.Add(new LineCount(mailbox.Entry.Line, SourceCheckResult.CountOf(result, checkFailure)));
            });

        // Unsaved (retries spent), the totals still stand; each mailbox then counts itself again when it is copied.
        await Retrying.CallAsync<bool>(context, WorkflowNames.SaveGroupCounts, new GroupCounts(run.BatchId, run.RunId, input.Group, counts), run.RetryFirstDelaySeconds);
        var totals = counts.Aggregate(PlanTotals.Of(planned.Count), (sum, count) => sum.Add(count.Count));
        return totals with { Counted = totals.Counted + paused };
    }

    /// <summary>Copies the group.</summary>
    public static async Task<GroupResult> RunAsync(TaskOrchestrationContext context, MailboxGroupInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = input.Run;
        var (planned, failure) = await LoadAsync(context, input);
        if (failure is not null)
        {
            // Storage would not give the group: none of its mailboxes ran, and the report marks each (no outcome).
            return new GroupResult(0, 0);
        }

        var results = new List<MailboxResult>(planned!.Count);
        await BoundedFanOut.RunAsync(planned, input.Concurrency,
            (mailbox, _) => context.CallSubOrchestratorAsync<MailboxResult>(WorkflowNames.ImportMailbox,
                new MailboxRunInput(run.BatchId, run.RunId, run.Mode, mailbox.Entry, ChunksPerGeneration: run.ChunksPerGeneration,
                    RetryFirstDelaySeconds: run.RetryFirstDelaySeconds, Counted: mailbox.Counted),
                new SubOrchestrationOptions { InstanceId = ImportBatchOrchestration.MailboxInstanceId(run.RunId, mailbox.Entry.Line) }),
            async (mailbox, copy) => results.Add(await ResultOfAsync(context, run, mailbox.Entry, copy)));

        // Every mailbox of the group has ended and recorded its outcome: the engine's history of them can go
        // (MailboxHistories). A purge that fails after its retries leaves it there, and nothing else.
        await Retrying.CallAsync<int>(context, WorkflowNames.PurgeMailboxHistories,
            new MailboxHistoriesInput(run.BatchId, run.RunId, [.. planned.Select(p => p.Entry.Line)]), run.RetryFirstDelaySeconds);
        return new GroupResult(results.Count, results.Count(r => r.Status is MailboxStatus.Done or MailboxStatus.Partial or MailboxStatus.Ready));
    }

    /// <summary>The group's mailboxes as the run's plan stored them, with their counts once counted.</summary>
    private static Task<(IReadOnlyList<PlannedMailbox>? Planned, MailFailure? Failure)> LoadAsync(TaskOrchestrationContext context, MailboxGroupInput input) =>
        Retrying.CallAsync<IReadOnlyList<PlannedMailbox>>(context, WorkflowNames.LoadPlanGroup,
            new PlanGroupInput(input.Run.BatchId, input.Run.RunId, input.Group), input.Run.RetryFirstDelaySeconds);

    /// <summary>The mailbox's result, or Failed with InternalError recorded when its orchestration itself broke.</summary>
    private static async Task<MailboxResult> ResultOfAsync(TaskOrchestrationContext context, BatchRunInput run, ManifestEntry entry, Task<MailboxResult> finished)
    {
        try
        {
            return await finished;
        }
        catch (TaskFailedException e)
        {
            // The mailbox orchestration itself broke (a bug): that mailbox fails, the group goes on.
            var outcome = new MailboxOutcome(entry.Line, entry.SourceLogin, entry.DestinationUsername, MailboxStatus.Failed, ErrorCode.InternalError,
                $"The mailbox's workflow failed: {e.FailureDetails.ErrorType}: {e.FailureDetails.ErrorMessage}", MailboxCounters.Zero, TimeSpan.Zero, []);
            await Retrying.CallAsync<bool>(context, WorkflowNames.RecordOutcome, new OutcomeRecord(run.BatchId, run.RunId, outcome), run.RetryFirstDelaySeconds);
            return new MailboxResult(entry.Line, MailboxStatus.Failed);
        }
    }
}
