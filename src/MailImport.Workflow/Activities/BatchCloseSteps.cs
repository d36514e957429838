using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Api;

namespace MailImport.Workflow.Activities;

/// <summary>The close orchestration's step that needs the engine: ending the batch's run and its groups.</summary>
public sealed class BatchCloseSteps(BatchStorage storage, BatchRuns runs)
{
    /// <summary>Ends the latest run of the closed batch <paramref name="batchId"/> and its group sub-orchestrations, if it
    /// goes on. Read after the close's mark, the record names every run there will be: none is recorded after it.</summary>
    /// <returns>False for an unknown batch.</returns>
    public async Task<bool> StopRunAsync(string batchId, CancellationToken cancellationToken = default)
    {
        if (await storage.LoadBatchAsync(batchId, cancellationToken) is not { } batch)
        {
            return false;
        }

        if (batch.Runs.Count > 0)
        {
            await runs.StopAsync(batch, "The batch was closed.", cancellationToken);
        }

        return true;
    }
}
