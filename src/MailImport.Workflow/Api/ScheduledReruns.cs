using Cronos;
using MailImport.Core.Batches;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>Starts the incremental re-runs that batches asked for on a schedule, until they are closed. Both hosts
/// call <see cref="RunDueAsync"/> from a timer: the Functions app's timer trigger, the local host's background loop.</summary>
/// <remarks>It builds its <see cref="BatchRuns"/> over the engine it is given: the Functions timer gives it one over the
/// invocation's Durable client, which is a binding of the call, not a service.</remarks>
public sealed class ScheduledReruns(BatchStorage storage, IWorkflowEngine engine, IOptions<WorkflowOptions> workflow, TimeProvider clock, BatchSecrets secrets)
{
    private readonly BatchRuns runs = new(storage, engine, workflow, clock, secrets);

    /// <summary>Whether <paramref name="schedule"/> is a CRON expression (five fields, UTC) this service understands.</summary>
    public static bool IsValid(string schedule) => TryParse(schedule) is not null;

    /// <summary>Starts a run for every open, scheduled batch whose next occurrence since its last run has come and
    /// whose last run has ended (one still running gets its overdue run at the next check after it ends); returns the
    /// runs started.</summary>
    public async Task<IReadOnlyList<string>> RunDueAsync(CancellationToken cancellationToken)
    {
        var started = new List<string>();
        var now = clock.GetUtcNow();
        await foreach (var batchId in storage.ListBatchIdsAsync(cancellationToken))
        {
            var batch = await storage.LoadBatchAsync(batchId, cancellationToken);
            if (batch is not { Closed: false, Options.Schedule: { } schedule } || batch.Runs.Count == 0 || TryParse(schedule) is not { } cron)
            {
                continue;
            }

            var last = batch.Runs[^1];
            var due = cron.GetNextOccurrence(last.StartedAt.UtcDateTime, TimeZoneInfo.Utc);
            if (due is null || due > now.UtcDateTime)
            {
                continue;
            }

            if (await runs.StartScheduledAsync(batch, now, cancellationToken) is { } run)
            {
                started.Add(run.RunId);
            }
        }

        return started;
    }

    private static CronExpression? TryParse(string schedule) =>
        CronExpression.TryParse(schedule, CronFormat.Standard, out var cron) ? cron : null;
}
