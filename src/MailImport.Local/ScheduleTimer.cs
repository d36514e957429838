using MailImport.Workflow.Api;

namespace MailImport.Local;

/// <summary>The local host's timer for scheduled re-runs: once a minute it starts the runs that are due, closes batches
/// idle too long and finishes interrupted closes (<see cref="ScheduledReruns.RunDueAsync"/>), as the Functions app's
/// timer trigger does in Azure.</summary>
public sealed class ScheduleTimer(IServiceScopeFactory scopes, ILogger<ScheduleTimer> logger) : BackgroundService
{
    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                foreach (var run in await scope.ServiceProvider.GetRequiredService<ScheduledReruns>().RunDueAsync(stoppingToken))
                {
                    Log.ScheduledRunStarted(logger, run);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed check (storage briefly away) must not stop the timer: the next tick tries again.
                Log.ScheduleCheckFailed(logger, e);
            }
        }
    }
}
