using MailImport.Core.Errors;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>Calls an activity and retries only what a retry can cure, waiting with backoff and never less than the
/// server asked for.</summary>
/// <remarks>
/// A <see cref="RetryPolicy"/> has fixed delays; servers hint their own ("Suggested Backoff Time", Retry-After), so
/// the loop is ours, on durable timers (replay-safe: the timer's fire time is recorded in history). What is retried,
/// and with which code and hint, comes from the failure's properties (<see cref="FailureBoundary"/>), not its text.
/// </remarks>
public static class Retrying
{
    /// <summary>Attempts before a transient failure becomes the mailbox's final failure.</summary>
    public const int MaxAttempts = 6;

    private static readonly TimeSpan LongestDelay = TimeSpan.FromMinutes(10);

    /// <summary>The activity's result, or the classified failure once retries are spent.</summary>
    /// <param name="context">The orchestration.</param>
    /// <param name="activity">The activity's name.</param>
    /// <param name="input">Its input.</param>
    /// <param name="firstDelaySeconds">The first wait; it doubles per attempt up to ten minutes.</param>
    public static async Task<(T? Result, MailFailure? Failure)> CallAsync<T>(TaskOrchestrationContext context, string activity, object input, double firstDelaySeconds)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await context.CallActivityAsync<T>(activity, input), null);
            }
            catch (TaskFailedException e) when (FailureBoundary.TryGetRetry(e.FailureDetails, out var failure))
            {
                if (attempt >= MaxAttempts)
                {
                    return (default, failure with { Message = $"{failure.Message} (gave up after {attempt} attempts)" });
                }

                var backoff = TimeSpan.FromTicks(Math.Min(LongestDelay.Ticks, TimeSpan.FromSeconds(firstDelaySeconds).Ticks << (attempt - 1)));
                var delay = failure.RetryAfter is { } h && h > backoff ? h : backoff;
                // Retries are otherwise visible only in history: an operator reading logs should see them too.
                context.CreateReplaySafeLogger(nameof(Retrying)).StepRetrying(activity, context.InstanceId, failure.Code, attempt, delay);
                await context.CreateTimer(context.CurrentUtcDateTime + delay, CancellationToken.None);
            }
            catch (TaskFailedException e)
            {
                // A bug, not a server: report it as such instead of retrying it.
                return (default, MailFailure.Permanent(ErrorCode.InternalError, $"{activity} failed: {e.FailureDetails.ErrorType}: {e.FailureDetails.ErrorMessage}"));
            }
        }
    }
}
