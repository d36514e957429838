using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Activities;

/// <summary>Which mailbox orchestrations of a run to purge: a group's lines, once the group has ended.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Lines">The group's lines.</param>
public sealed record MailboxHistoriesInput(string BatchId, string RunId, IReadOnlyList<int> Lines);

/// <summary>Which orchestration of a run's group to purge once the batch has its result: the group's count or its copy.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="InstanceId">The group orchestration's instance (<see cref="ImportBatchOrchestration.CountInstanceId"/> or
/// <see cref="ImportBatchOrchestration.GroupInstanceId"/>).</param>
public sealed record GroupHistoryInput(string BatchId, string RunId, string InstanceId);

/// <summary>Purges the task hub's history of a group's finished mailbox orchestrations, and of a finished group's count
/// and copy, so the task hub holds the history of the mailboxes and groups in flight, not of every one every batch has
/// had.</summary>
/// <remarks>A mailbox's outcome, its cursor and the run's report are blobs of the batch, and nothing reads a finished
/// mailbox's instance: the status reads the progress documents. Purging is the task hub's documented housekeeping (Learn,
/// "Manage instances in Durable Functions", https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-instance-management#purge-instance-history);
/// locally it also keeps Azurite's table queries to the groups in flight, as each of them tests every row of its table
/// (LokiTableMetadataStore.queryTableEntities in Azurite 3.37.0). <see cref="WorkflowOptions.KeepMailboxHistory"/>
/// keeps them.</remarks>
public sealed class MailboxHistories(IWorkflowEngine engine, IOptions<WorkflowOptions> workflow, ILogger<MailboxHistories> logger)
{
    /// <summary>Instances purged at once. A purge is housekeeping beside the run's own work, and each one is several
    /// requests to the task hub: with Azurite each of its History and blob-prefix queries tests every row or blob
    /// (LokiTableMetadataStore.queryTableEntities, LokiBlobMetadataStore.listBlobs in Azurite 3.37.0). With 16 at once
    /// the slowest status calls (up to 3 s) all came in the seconds of a group's purge; with 4, status p95 was 507 ms
    /// (scripts/bench scale, 2,000 mailboxes, the task hub and the batches on one Azurite).</summary>
    internal const int PurgesAtOnce = 4;

    /// <summary>Purges the group's mailbox orchestrations; returns how many were there to purge.</summary>
    public async Task<int> PurgeAsync(MailboxHistoriesInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (workflow.Value.KeepMailboxHistory)
        {
            return 0;
        }

        using var scope = logger.BeginRunScope(input.BatchId, input.RunId);
        var purged = 0;
        await Parallel.ForEachAsync(input.Lines, new ParallelOptions { MaxDegreeOfParallelism = PurgesAtOnce, CancellationToken = cancellationToken }, async (line, ct) =>
        {
            if (await engine.PurgeAsync(ImportBatchOrchestration.MailboxInstanceId(input.RunId, line), ct))
            {
                Interlocked.Increment(ref purged);
            }
        });
        logger.MailboxHistoriesPurged(purged, input.Lines.Count);
        return purged;
    }

    /// <summary>Purges a group orchestration that has ended and whose result the batch orchestration holds: its count, or
    /// its copy once its mailboxes' histories are gone. At 5,000 lines the 40 finished groups were 40 of the 42 instances
    /// left in the task hub's History table at the end of the run (37,966 rows in all, 30 MB in Azurite's database, which
    /// it writes whole every 5 s); the run's report is assembled from blobs, not from them.</summary>
    /// <returns>True when there was a history to purge.</returns>
    public async Task<bool> PurgeGroupAsync(GroupHistoryInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (workflow.Value.KeepMailboxHistory)
        {
            return false;
        }

        using var scope = logger.BeginRunScope(input.BatchId, input.RunId);
        return await engine.PurgeAsync(input.InstanceId, cancellationToken);
    }
}
