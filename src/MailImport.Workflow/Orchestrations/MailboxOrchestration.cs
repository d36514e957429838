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
    /// <summary>Runs the mailbox. Its outcome, its report line, goes to storage for the run's report and stays its custom
    /// status for the live status; the group gets the line and status only.</summary>
    public static async Task<MailboxResult> RunAsync(TaskOrchestrationContext context, MailboxRunInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (await DecideAsync(context, input) is not { } outcome)
        {
            return new MailboxResult(input.Entry.Line, MailboxStatus.Running);
        }

        context.SetCustomStatus(outcome);
        var (_, failure) = await Retrying.CallAsync<bool>(context, WorkflowNames.RecordOutcome, new OutcomeRecord(input.BatchId, input.RunId, outcome), input.RetryFirstDelaySeconds);
        // Unrecorded, the report says so for this line (BatchSteps.WriteReportAsync); the status still shows the outcome.
        return new MailboxResult(input.Entry.Line, failure is null ? outcome.Status : MailboxStatus.Failed);
    }

    /// <summary>The mailbox's outcome, or null when it continued as new.</summary>
    private static async Task<MailboxOutcome?> DecideAsync(TaskOrchestrationContext context, MailboxRunInput input)
    {
        var started = input.StartedAt ?? context.CurrentUtcDateTime;
        var step = new MailboxStepInput(input.BatchId, input.RunId, input.Entry, input.Mode == RunMode.DryRun);
        var counters = MailboxCounters.Zero;
        var tally = input.Tally;
        IReadOnlyList<NotExactMessage>? notExact = null;

        IReadOnlyList<FolderNote>? folders = null;
        MailboxOutcome Outcome(MailboxStatus status, MailFailure? failure = null, IReadOnlyList<MessageFailure>? failed = null, string? note = null) => new(
            input.Entry.Line, input.Entry.SourceLogin, input.Entry.DestinationUsername, status, failure?.Code, failure?.Message ?? note,
            counters, context.CurrentUtcDateTime - started, failed ?? [], folders, notExact,
            tally?.Figures(input.RunId, started, new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero), counters));

        // What the custom status shows goes into the run's progress documents too: the status reads those, a blob per
        // 250 lines, instead of asking the engine about each line (a lookup per line per poll took 38 s for 3,000 lines).
        // The next step writes it as it starts (MailboxStepInput.Shown), so showing costs no activity and no episode of
        // its own; before a timer or a continue-as-new, where no step follows, ShowProgress writes it.
        MailboxOutcome? unwritten = null;
        void Show(MailboxOutcome shown)
        {
            context.SetCustomStatus(shown);
            unwritten = shown;
        }

        MailboxStepInput Next()
        {
            var next = step with { Shown = unwritten };
            unwritten = null;
            return next;
        }

        async Task ShowNowAsync(MailboxOutcome shown)
        {
            Show(shown);
            unwritten = null;
            await Retrying.CallAsync<bool>(context, WorkflowNames.ShowProgress, new OutcomeRecord(input.BatchId, input.RunId, shown), input.RetryFirstDelaySeconds);
        }

        // The source account is over its download budget or its provider's limit (SourceBudgets), or a concurrency
        // limit is full (SlotWaits): the mailbox is Paused, never Failed, and waits on a durable timer until the time the
        // activity named or the next poll for a slot. A time already past (a slow activity) still waits a second, so the
        // loop cannot spin.
        async Task PauseAsync(SourcePause pause)
        {
            var until = SlotWaits.Until(context, pause, input.RetryFirstDelaySeconds);
            await ShowNowAsync(Outcome(MailboxStatus.Paused, pause.Failure) with { PausedUntil = until });
            var soonest = context.CurrentUtcDateTime.AddSeconds(1);
            await context.CreateTimer(until.UtcDateTime > soonest ? until.UtcDateTime : soonest, CancellationToken.None);
        }

        if (!input.AccountCreated)
        {
            var source = input.Counted;
            if (source is null)
            {
                Show(Outcome(MailboxStatus.Running));
                var (check, checkFailure) = await Retrying.CallAsync<SourceCheckResult>(context, WorkflowNames.CheckSource, Next(), input.RetryFirstDelaySeconds);
                while (check?.Paused is { } pause)
                {
                    await PauseAsync(pause);
                    (check, checkFailure) = await Retrying.CallAsync<SourceCheckResult>(context, WorkflowNames.CheckSource, Next(), input.RetryFirstDelaySeconds);
                }

                source = SourceCheckResult.CountOf(check, checkFailure);
            }

            if (source.Failure is { } sourceProblem)
            {
                return Outcome(MailboxStatus.Failed, sourceProblem);
            }

            tally = source.Tally;
            counters = new MailboxCounters(source.Messages, tally?.CopiedBefore ?? 0, 0, source.Bytes ?? 0, tally?.BytesBefore ?? 0, source.Folders, tally?.AlreadyBefore ?? 0, tally?.NotExactBefore ?? 0,
                // A dry run reports what the Gmail plan would do; a copy reports what it did, from its first chunk on.
                GmailLabels: input.Mode == RunMode.DryRun ? source.GmailLabels : null);
            // The mailbox's totals show from its first status on, before its first chunk.
            Show(Outcome(MailboxStatus.Running));
            if (input.Mode == RunMode.DryRun)
            {
                var (username, usernameFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.CheckUsername, Next(), input.RetryFirstDelaySeconds);
                var problem = usernameFailure ?? username!.Failure;
                // The folders the copy would rename, by the configured destination separator (README "How a mailbox is copied").
                folders = source.Renamed;
                return problem is null
                    ? Outcome(MailboxStatus.Ready, note: username!.Note)
                    : Outcome(MailboxStatus.Failed, problem);
            }

            var (account, accountFailure) = await Retrying.CallAsync<StepResult>(context, WorkflowNames.EnsureAccount, Next(), input.RetryFirstDelaySeconds);
            var accountProblem = accountFailure ?? account!.Failure;
            if (accountProblem is not null)
            {
                return Outcome(MailboxStatus.Failed, accountProblem);
            }
        }

        for (var chunk = 1; ; chunk++)
        {
            var (summary, failure) = await Retrying.CallAsync<ChunkSummary>(context, WorkflowNames.CopyChunk, Next(), input.RetryFirstDelaySeconds);
            if (failure is not null)
            {
                // The chunk kept its hold on the destination mailbox for a retry that will not come now.
                await Retrying.CallAsync<bool>(context, WorkflowNames.ReleaseDestination, step, input.RetryFirstDelaySeconds);
                return Outcome(MailboxStatus.Failed, failure);
            }

            if (summary!.WaitingFor is { } holder)
            {
                // Another batch's run is copying into the same destination mailbox (DestinationHolds): wait for it
                // on a durable timer, polling at four times the first retry delay; the waits count as chunks, so
                // history stays bounded however long the other run takes.
                await ShowNowAsync(Outcome(MailboxStatus.Running, note: $"Waiting: line {holder.Line} of batch {holder.BatchId} is copying into the same destination mailbox; this one goes on when it ends."));
                await context.CreateTimer(context.CurrentUtcDateTime + TimeSpan.FromSeconds(4 * input.RetryFirstDelaySeconds), CancellationToken.None);
            }
            else if (summary.Paused is { } pause)
            {
                // Like a wait for a holder, a pause counts as a chunk, so history stays bounded however often it pauses.
                await PauseAsync(pause);
            }
            else
            {
                counters = summary.Counters;
                folders = summary.Folders;
                notExact = summary.NotExactMessages;
                tally = tally is null ? null : tally with { FlagsUpdated = tally.FlagsUpdated + summary.FlagsUpdated, FoldersCreated = tally.FoldersCreated + summary.FoldersCreated };
            }

            if (summary.Failure is { } stop)
            {
                return Outcome(MailboxStatus.Failed, stop, summary.FailedMessages);
            }

            if (summary.Completed)
            {
                var notCopied = (summary.Folders ?? []).Where(f => f.Outcome == FolderOutcome.NotCopied).ToList();
                return (summary.FailedMessages.Count, notCopied.Count) switch
                {
                    (0, 0) => Outcome(MailboxStatus.Done),
                    (var messages, 0) => Outcome(MailboxStatus.Partial, MailFailure.Permanent(summary.FailedMessages[0].Code,
                        $"{messages} message(s) could not be copied; the rest of the mailbox was."), summary.FailedMessages),
                    (0, var failedFolders) => Outcome(MailboxStatus.Partial, MailFailure.Permanent(notCopied[0].Code ?? ErrorCode.SourceFolderUnavailable,
                        $"{failedFolders} folder(s) could not be copied; the rest of the mailbox was."), summary.FailedMessages),
                    var (messages, failedFolders) => Outcome(MailboxStatus.Partial, MailFailure.Permanent(notCopied[0].Code ?? ErrorCode.SourceFolderUnavailable,
                        $"{failedFolders} folder(s) and {messages} message(s) could not be copied; the rest of the mailbox was."), summary.FailedMessages),
                };
            }

            if (summary.WaitingFor is null && summary.Paused is null)
            {
                Show(Outcome(MailboxStatus.Running));
            }

            if (chunk >= Math.Max(1, input.ChunksPerGeneration))
            {
                if (unwritten is { } shown)
                {
                    await ShowNowAsync(shown);
                }

                context.ContinueAsNew(input with { Chunks = input.Chunks + chunk, StartedAt = started, AccountCreated = true, Tally = tally });
                return null;
            }
        }
    }
}
