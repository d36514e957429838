using MailImport.Core.Errors;
using MailImport.Workflow.Activities;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>How an orchestration waits for a concurrency slot (<see cref="ConcurrencyLimits"/>): a step that found its
/// limits full answers with a pause of <see cref="ErrorCode.SettingsConcurrencyLimitReached"/>, which names no time,
/// since nobody knows when another copy gives its slot back; the orchestration calls again on a durable timer, at four
/// times the first retry delay, as it waits for another batch's hold on a destination mailbox.</summary>
/// <remarks>Deterministic: the time comes from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>.</remarks>
public static class SlotWaits
{
    /// <summary>True when <paramref name="pause"/> is a wait for a slot, not a provider's limit or a budget.</summary>
    public static bool IsSlotWait(SourcePause? pause) => pause?.Failure.Code == ErrorCode.SettingsConcurrencyLimitReached;

    /// <summary>When the mailbox tries again after <paramref name="pause"/>: the time the step named, or for a wait for a
    /// slot the next poll.</summary>
    public static DateTimeOffset Until(TaskOrchestrationContext context, SourcePause pause, double firstDelaySeconds)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pause);
        return IsSlotWait(pause)
            ? new DateTimeOffset(context.CurrentUtcDateTime + TimeSpan.FromSeconds(4 * firstDelaySeconds), TimeSpan.Zero)
            : pause.Until;
    }

    /// <summary>CheckSource for a run's count, called again after each wait for a slot; a provider's pause is returned
    /// as it came (the mailbox counts itself once it ends).</summary>
    public static async Task<(SourceCheckResult? Result, MailFailure? Failure)> CheckSourceAsync(TaskOrchestrationContext context, MailboxStepInput step, double firstDelaySeconds)
    {
        ArgumentNullException.ThrowIfNull(context);
        while (true)
        {
            var (result, failure) = await Retrying.CallAsync<SourceCheckResult>(context, WorkflowNames.CheckSource, step, firstDelaySeconds);
            if (!IsSlotWait(result?.Paused))
            {
                return (result, failure);
            }

            await context.CreateTimer(Until(context, result!.Paused!, firstDelaySeconds).UtcDateTime, CancellationToken.None);
        }
    }
}
