using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using Microsoft.DurableTask;

namespace MailImport.Workflow.Orchestrations;

/// <summary>One mailbox of a run: log in at the source, ensure the destination mailbox, copy chunk after chunk.</summary>
/// <remarks>Deterministic: it only decides and calls activities. Its custom status is the mailbox's live progress;
/// every <see cref="MailboxRunInput.ChunksPerGeneration"/> chunks it continues as new so its history stays small.</remarks>
public static class MailboxOrchestration
{
    /// <summary>Runs the mailbox; the outcome is its report line.</summary>
    public static async Task<MailboxOutcome> RunAsync(TaskOrchestrationContext context, MailboxRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var started = input.StartedAt ?? context.CurrentUtcDateTime;
        var step = new MailboxStepInput(input.BatchId, input.RunId, input.Entry);
        var counters = MailboxCounters.Zero;
        IReadOnlyList<NotExactMessage>? notExact = null;

        MailboxOutcome Outcome(MailboxStatus status, MailFailure? failure = null, IReadOnlyList<MessageFailure>? failed = null, string? note = null) => new(
            input.Entry.Line, input.Entry.SourceLogin, input.Entry.DestinationUsername, status, failure?.Code, failure?.Message ?? note,
            counters, context.CurrentUtcDateTime - started, failed ?? [], notExact);

        if (!input.AccountCreated)
        {
            context.SetCustomStatus(Outcome(MailboxStatus.Running));
            var (source, sourceFailure) = await Retrying.CallAsync<SourceCheckResult>(context, WorkflowNames.CheckSource, step, input.RetryFirstDelaySeconds);
            var sourceProblem = sourceFailure ?? source!.Result.Failure;
            if (sourceProblem is not null)
            {
                return Outcome(MailboxStatus.Failed, sourceProblem);
            }

            counters = new MailboxCounters(source!.Messages, 0, 0, source.Bytes, 0, source.Folders.Count);
            if (input.Mode == RunMode.DryRun)
            {
                var (username, usernameFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.CheckUsername, step, input.RetryFirstDelaySeconds);
                var problem = usernameFailure ?? username!.Failure;
                return problem is null
                    ? Outcome(MailboxStatus.Ready, note: username!.Note)
                    : Outcome(MailboxStatus.Failed, problem);
            }

            var (account, accountFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.EnsureAccount, step, input.RetryFirstDelaySeconds);
            var accountProblem = accountFailure ?? account!.Failure;
            if (accountProblem is not null)
            {
                return Outcome(MailboxStatus.Failed, accountProblem);
            }
        }

        for (var chunk = 1; ; chunk++)
        {
            var (summary, failure) = await Retrying.CallAsync<ChunkSummary>(context, WorkflowNames.CopyChunk, step, input.RetryFirstDelaySeconds);
            if (failure is not null)
            {
                return Outcome(MailboxStatus.Failed, failure);
            }

            counters = summary!.Counters;
            notExact = summary.NotExactMessages;
            if (summary.Failure is { } stop)
            {
                return Outcome(MailboxStatus.Failed, stop, summary.FailedMessages);
            }

            if (summary.Completed)
            {
                return summary.FailedMessages.Count == 0
                    ? Outcome(MailboxStatus.Done)
                    : Outcome(MailboxStatus.Partial, MailFailure.Permanent(summary.FailedMessages[0].Code,
                        $"{summary.FailedMessages.Count} message(s) could not be copied; the rest of the mailbox was."), summary.FailedMessages);
            }

            context.SetCustomStatus(Outcome(MailboxStatus.Running));
            if (chunk >= Math.Max(1, input.ChunksPerGeneration))
            {
                context.ContinueAsNew(input with { Chunks = input.Chunks + chunk, StartedAt = started, AccountCreated = true });
                return Outcome(MailboxStatus.Running);
            }
        }
    }
}
