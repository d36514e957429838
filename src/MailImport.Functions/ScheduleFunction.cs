using MailImport.Workflow.Api;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace MailImport.Functions;

/// <summary>The schedule's timer: starts the incremental runs that are due, closes batches idle too long and finishes
/// interrupted closes (<see cref="ScheduledReruns.RunDueAsync"/>), as the local host's timer does.</summary>
public sealed class ScheduleFunction(IServiceProvider services, ILogger<ScheduleFunction> logger)
{
    /// <summary>Every five minutes: batches' schedules are CRON to the minute and daily by default, so five minutes late
    /// at most is fine, and a Flex Consumption app is not woken every minute for it.</summary>
    [Function("ScheduledReruns")]
    public async Task Run([TimerTrigger("0 */5 * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        foreach (var run in await WorkflowClients.Create<ScheduledReruns>(services, client).RunDueAsync(cancellationToken))
        {
            Log.ScheduledRunStarted(logger, run);
        }
    }
}
