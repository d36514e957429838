using MailImport.Workflow.Activities;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>A batch's close once the HTTP call has marked it closed: ends its latest run and the run's group
/// sub-orchestrations, then deletes its upload and secrets and records when (the status's Closing, then Closed).</summary>
/// <remarks>Deterministic: it only calls activities. Ending a run of thousands of mailboxes took minutes inside the HTTP
/// request (314 s for 3,000 lines); as an orchestration the close answers 202 at once and survives a restart. An end
/// that fails after its retries does not keep the secrets: a closed batch starts no run (its plan says closed), and
/// the deletion goes on; a deletion that fails is finished by the timer (<see cref="Api.BatchRetention.HasInterruptedClose"/>).</remarks>
public static class CloseBatchOrchestration
{
    /// <summary>Closes the batch <paramref name="batchId"/>; returns the secrets deleted.</summary>
    public static async Task<int> RunAsync(TaskOrchestrationContext context, string batchId)
    {
        ArgumentNullException.ThrowIfNull(context);
        await Retrying.CallAsync<bool>(context, WorkflowNames.StopBatchRun, batchId, RetryFirstDelaySeconds);
        // A page of the secrets a step (BatchSteps.ClosePageBlobs), so no step's length grows with the batch; a page
        // that fails after its retries leaves the rest to the timer, as a whole close that failed would.
        var deleted = 0;
        while (true)
        {
            var (page, failure) = await Retrying.CallAsync<ClosePage>(context, WorkflowNames.FinishClose, batchId, RetryFirstDelaySeconds);
            deleted += page?.Deleted ?? 0;
            if (failure is not null || page!.Finished)
            {
                return deleted;
            }
        }
    }

    /// <summary>The first retry's delay: a storage or engine fault, not a mail server's throttle.</summary>
    private const double RetryFirstDelaySeconds = 2;

    /// <summary>The close orchestration's instance id: one per close request, so closing again (a first close may have
    /// been interrupted) starts a new one.</summary>
    public static string InstanceId(string batchId, Guid request) => $"{batchId}-close-{request:N}";
}
