using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>One group of a run's mailboxes: load the group's entries, run a mailbox orchestration for each with the
/// group's share of the concurrency, and return how many ran.</summary>
/// <remarks>Deterministic: no I/O, clocks or random numbers here. Its history holds the group's entries once and a
/// small result per mailbox (<see cref="MailboxResult"/>), so its size is set by the group's size, not the batch's.</remarks>
public static class MailboxGroupOrchestration
{
    /// <summary>Runs the group.</summary>
    public static async Task<GroupResult> RunAsync(TaskOrchestrationContext context, MailboxGroupInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = input.Run;
        var (entries, failure) = await Retrying.CallAsync<IReadOnlyList<ManifestEntry>>(context, WorkflowNames.LoadPlanGroup,
            new PlanGroupInput(run.BatchId, run.RunId, input.Group), run.RetryFirstDelaySeconds);
        if (failure is not null)
        {
            // Storage would not give the group: none of its mailboxes ran, and the report marks each (no outcome).
            return new GroupResult(0, 0);
        }

        var results = new List<MailboxResult>(entries!.Count);
        var running = new List<(Task<MailboxResult> Task, ManifestEntry Entry)>();
        foreach (var entry in entries)
        {
            if (running.Count >= Math.Max(1, input.Concurrency))
            {
                results.Add(await CollectOneAsync(context, run, running));
            }

            var mailbox = new MailboxRunInput(run.BatchId, run.RunId, run.Mode, entry,
                ChunksPerGeneration: run.ChunksPerGeneration, RetryFirstDelaySeconds: run.RetryFirstDelaySeconds);
            running.Add((context.CallSubOrchestratorAsync<MailboxResult>(WorkflowNames.ImportMailbox, mailbox,
                new SubOrchestrationOptions { InstanceId = ImportBatchOrchestration.MailboxInstanceId(run.RunId, entry.Line) }), entry));
        }

        while (running.Count > 0)
        {
            results.Add(await CollectOneAsync(context, run, running));
        }

        return new GroupResult(results.Count, results.Count(r => r.Status is MailboxStatus.Done or MailboxStatus.Partial or MailboxStatus.Ready));
    }

    private static async Task<MailboxResult> CollectOneAsync(TaskOrchestrationContext context, BatchRunInput run, List<(Task<MailboxResult> Task, ManifestEntry Entry)> running)
    {
        var finished = await Task.WhenAny(running.Select(r => r.Task));
        var index = running.FindIndex(r => r.Task == finished);
        var entry = running[index].Entry;
        running.RemoveAt(index);
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
