using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Activities;

/// <summary>Which mailbox of which run a step is for: ids only, the passwords are fetched by name.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Entry">The mailbox.</param>
/// <param name="DryRun">The run is a dry run: the source check plans a Gmail source's copy too.</param>
/// <param name="Shown">The mailbox's live state its orchestration shows from this step on (its custom status), which the
/// step puts into the run's progress documents before it runs: showing it costs no activity of its own.</param>
public sealed record MailboxStepInput(string BatchId, string RunId, ManifestEntry Entry, bool DryRun = false, MailboxOutcome? Shown = null);

/// <summary>The steps of one mailbox: log in at the source, make sure the destination mailbox exists, copy a chunk.</summary>
/// <remarks>Expected failures come back as data; a failure a retry may cure throws <see cref="MailFailureException"/>
/// (<see cref="FailureBoundary.AsData"/> sorts them).</remarks>
public sealed class MailboxSteps(
    BatchStorage storage,
    BatchSecrets secrets,
    IDestinationDirectory directory,
    RunDirectory runDirectory,
    DestinationAccounts destinationAccounts,
    SourceAccounts sourceAccounts,
    IMailEngine mail,
    DestinationHolds holds,
    SourceBudgets budgets,
    ConcurrencyLimits limits,
    IOptions<DestinationOptions> destination,
    IOptions<WorkflowOptions> workflow,
    TimeProvider time,
    ILogger<MailboxSteps> logger)
{
    /// <summary>Logs in at the source and, for a dry run, lists what would be copied.</summary>
    public Task<SourceCheckResult> CheckSourceAsync(MailboxStepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return logger.RunMailboxStepAsync(WorkflowNames.CheckSource, input, async () =>
        {
            await ShowAsync(input, cancellationToken);
            var result = await CheckSourceCoreAsync(input, cancellationToken);
            if (result.Result.Failure is { } failure)
            {
                logger.StepFailed(WorkflowNames.CheckSource, failure.Code);
            }
            else
            {
                logger.SourceChecked(result.Folders.Count, result.Messages, result.Bytes);
            }

            return result;
        });
    }

    private async Task<SourceCheckResult> CheckSourceCoreAsync(MailboxStepInput input, CancellationToken cancellationToken)
    {
        var result = await ListSourceAsync(input, cancellationToken);
        if (result.Result.Failure is not null)
        {
            return result;
        }

        // Where the mailbox stands before this run's first chunk: the run's own figures are counted from here.
        var cursor = await storage.CursorStore(input.BatchId, input.Entry.Line).LoadAsync(cancellationToken);
        return result with { Tally = new RunTally(cursor?.MessagesCopied ?? 0, cursor?.BytesCopied ?? 0, cursor?.AlreadyAtDestination ?? 0, cursor?.NotExactCount ?? 0) };
    }

    private async Task<SourceCheckResult> ListSourceAsync(MailboxStepInput input, CancellationToken cancellationToken)
    {
        var batch = await LoadBatchAsync(input.BatchId, cancellationToken);
        // The check opens one source connection: it holds a slot of the source account's and host's limits meanwhile
        // (ConcurrencyLimits), or, when they stay full, the mailbox waits for them on a timer.
        await using var slots = await limits.TakeAsync(batch, input.Entry.SourceLogin, writes: false, cancellationToken);
        if (slots.Busy is { } busy)
        {
            return new SourceCheckResult(StepResult.Success, [], 0, 0, Paused: new SourcePause(time.GetUtcNow(), busy));
        }

        SourceLogin? login = null;
        // The check keeps a chunk's time budget as a deadline on every server call, as a chunk does: a source that
        // trickles its greeting or its LIST cannot hold the activity (MailKit's Timeout counts between reads only).
        var budget = workflow.Value.Budget.MaxDuration;
        using var deadline = new CancellationTokenSource(budget);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var callerToken = cancellationToken;
        cancellationToken = linked.Token;
        try
        {
            // A dry run of a token batch asks for each line's token here, so a missing delegation or consent shows per line.
            login = await sourceAccounts.ForAsync(batch, input.Entry, cancellationToken);
            return await mail.ListSourceAsync(batch, login.Account, input.DryRun, cancellationToken);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !callerToken.IsCancellationRequested && e is OperationCanceledException or MailFailureException)
        {
            var failure = MailFailure.Transient(ErrorCode.SourceTimeout, FormattableString.Invariant(
                $"The source did not finish answering within the check's time budget of {budget.TotalSeconds:0} s; the check is tried again later."));
            return new SourceCheckResult(StepResult.Failed(FailureBoundary.AsData(failure, e)), [], 0, 0);
        }
        catch (MailFailureException e) when (e.Failure.Code == ErrorCode.SourceLimitReached)
        {
            return new SourceCheckResult(StepResult.Success, [], 0, 0, Paused: await PauseForLimitAsync(batch.Source, input.Entry.SourceLogin, e.Failure));
        }
        catch (MailFailureException e)
        {
            return new SourceCheckResult(StepResult.Failed(FailureBoundary.AsData(login?.Explain(e.Failure) ?? e.Failure, e)), [], 0, 0);
        }
    }

    /// <summary>Dry run: is the destination username still free?</summary>
    public Task<StepResult> CheckUsernameAsync(MailboxStepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return logger.RunMailboxStepAsync(WorkflowNames.CheckUsername, input, async () =>
        {
            await ShowAsync(input, cancellationToken);
            var batch = await LoadBatchAsync(input.BatchId, cancellationToken);
            var existing = await runDirectory.FindAsync(input.BatchId, input.RunId, input.Entry.DestinationUsername, cancellationToken);
            var address = DestinationAccounts.LoginOf(input.Entry, batch.Domain);
            if (await destinationAccounts.CheckPasswordAsync(batch, input.Entry, existing is not null, cancellationToken) is { } missing)
            {
                logger.StepFailed(WorkflowNames.CheckUsername, missing.Code);
                return StepResult.Failed(missing);
            }

            if (existing is null)
            {
                logger.UsernameChecked(true);
                return StepResult.Success;
            }

            // A mailbox that already exists is not an error: a real run adds the mail to it, with the service
            // application's token (asked for now, as the copy will) or with the file's password if it is the mailbox's.
            if (destinationAccounts.UsesTokens)
            {
                if (await destinationAccounts.CheckTokenAsync(address, cancellationToken) is { } refused)
                {
                    logger.StepFailed(WorkflowNames.CheckUsername, refused.Code);
                    return StepResult.Failed(refused);
                }

                logger.UsernameChecked(false);
                return new StepResult(Note: $"The mailbox {address} already exists; mail will be added to it with the service application's token.");
            }

            logger.UsernameChecked(false);
            return new StepResult(Note: $"The mailbox {address} already exists; mail will be added to it if the file's password is the mailbox's.");
        });
    }

    /// <summary>Creates the destination mailbox unless it exists.</summary>
    public Task<StepResult> EnsureAccountAsync(MailboxStepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return logger.RunMailboxStepAsync(WorkflowNames.EnsureAccount, input, async () =>
        {
            await ShowAsync(input, cancellationToken);
            var batch = await LoadBatchAsync(input.BatchId, cancellationToken);
            var externalId = NewMailbox.ExternalIdOf(input.BatchId, input.Entry.Line);
            var existing = await runDirectory.FindAsync(input.BatchId, input.RunId, input.Entry.DestinationUsername, cancellationToken);
            ProvisioningResult result;
            if (existing is not null)
            {
                // Made by an earlier run of this line (its external id says so) or by someone else: its password stays.
                result = new ProvisioningResult(ProvisioningOutcome.AlreadyExists);
            }
            else
            {
                result = await CreateAsync(input, batch, externalId, cancellationToken);
            }

            if (result.Outcome != ProvisioningOutcome.Refused)
            {
                // Before the password below may go: a generated one is the admin's to download once the mailbox has it.
                await destinationAccounts.HandOutGeneratedAsync(batch, input.Entry, cancellationToken);
            }

            if (result.Outcome != ProvisioningOutcome.Refused && destinationAccounts.UsesTokens)
            {
                // The copy writes with the service application's token: the mailbox's password is needed no more.
                await secrets.DeleteDestinationPasswordAsync(input.BatchId, input.Entry.Line, cancellationToken);
            }

            var step = result.Outcome == ProvisioningOutcome.Refused
                ? StepResult.Failed(result.Failure ?? MailFailure.Permanent(ErrorCode.DestinationAccountRefused, "The destination refused to create the mailbox."))
                : StepResult.Success;
            if (step.Failure is { } failure)
            {
                logger.StepFailed(WorkflowNames.EnsureAccount, failure.Code);
            }
            else
            {
                logger.AccountEnsured(result.Outcome, existing is null ? result.Outcome == ProvisioningOutcome.Created : existing.ExternalId == externalId);
            }

            return step;
        });
    }

    private async Task<ProvisioningResult> CreateAsync(MailboxStepInput input, BatchDefinition batch, string externalId, CancellationToken cancellationToken)
    {
        var domain = batch.Domain;
        // A token line that gave no password gets a generated one (the destination's create needs one).
        if (await destinationAccounts.PasswordToCreateAsync(batch, input.Entry, cancellationToken) is not { } password)
        {
            // Deleted once an earlier run found the mailbox there (tokens need none); someone has removed it since.
            return ProvisioningResult.Refused(ErrorCode.DestinationAccountRefused,
                $"The mailbox {input.Entry.DestinationUsername}@{domain} existed when an earlier run took this line and has been removed since; its password is no longer kept. Upload its line again to create it anew.");
        }

        var mailbox = new NewMailbox(domain, input.Entry.DestinationUsername, password, externalId, input.Entry.FirstName, input.Entry.LastName);
        try
        {
            return await directory.CreateMailboxAsync(mailbox, cancellationToken);
        }
        catch (DirectoryException e)
        {
            return new ProvisioningResult(ProvisioningOutcome.Refused, FailureBoundary.AsData(e.Failure, e));
        }
    }

    /// <summary>Copies one chunk of the mailbox within the configured budget.</summary>
    public Task<ChunkSummary> CopyChunkAsync(MailboxStepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return logger.RunMailboxStepAsync(WorkflowNames.CopyChunk, input, async () =>
        {
            await ShowAsync(input, cancellationToken);
            var summary = await CopyChunkCoreAsync(input, cancellationToken);
            var counters = summary.Counters;
            logger.ChunkCopied(counters.MessagesCopied, counters.MessagesTotal, summary.FailedMessages.Count, counters.BytesCopied, summary.Completed);
            if (summary.Failure is { } failure)
            {
                // The counts above are still worth a line: they say how far the mailbox got before it stopped.
                logger.StepFailed(WorkflowNames.CopyChunk, failure.Code);
            }

            return summary;
        });
    }

    /// <summary>Gives up the line's hold on its destination mailbox: the copy's retries are spent, so another batch
    /// need not wait for the hold to lapse. True when there was a hold of this line to give up.</summary>
    public Task<bool> ReleaseDestinationAsync(MailboxStepInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return logger.RunMailboxStepAsync(WorkflowNames.ReleaseDestination, input, async () =>
        {
            var batch = await LoadBatchAsync(input.BatchId, cancellationToken);
            var login = DestinationAccounts.LoginOf(input.Entry, batch.Domain);
            return await holds.ReleaseAsync(destination.Value.Endpoint.Host, login, new DestinationHold(input.BatchId, input.RunId, input.Entry.Line), cancellationToken);
        });
    }

    private async Task<ChunkSummary> CopyChunkCoreAsync(MailboxStepInput input, CancellationToken cancellationToken)
    {
        var batch = await LoadBatchAsync(input.BatchId, cancellationToken);
        var store = storage.CursorStore(input.BatchId, input.Entry.Line);
        var server = destination.Value.Endpoint;
        // Its concurrency slots first (ConcurrencyLimits): a mailbox waiting for one reserves no budget, holds no
        // destination and opens no connection. A slot lost mid-chunk stops the chunk, as another may hold it now.
        await using var slots = await limits.TakeAsync(batch, input.Entry.SourceLogin, writes: true, cancellationToken);
        if (slots.Busy is { } busy)
        {
            return new ChunkSummary(false, CountersOf(await store.LoadAsync(cancellationToken)), [], Paused: new SourcePause(time.GetUtcNow(), busy));
        }

        using var guarded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, slots.Lost);
        // Then the source account's budget: a paused mailbox neither connects nor holds its destination.
        var downloads = await ReserveDownloadsAsync(batch, input.Entry.SourceLogin, cancellationToken);
        var before = await store.LoadAsync(cancellationToken);
        if (downloads.Pause is { } pause)
        {
            return new ChunkSummary(false, CountersOf(before), [], Paused: pause);
        }

        // The hold is named by the login alone, so taking it needs no token; a token the destination refuses is a
        // failure of the chunk, below.
        var login = DestinationAccounts.LoginOf(input.Entry, batch.Domain);
        var owner = new DestinationHold(input.BatchId, input.RunId, input.Entry.Line);
        if (await holds.TryHoldAsync(server.Host, login, owner, DestinationHolds.Lifetime(workflow.Value.Budget.MaxDuration), cancellationToken) is { } holder)
        {
            logger.DestinationMailboxHeld(holder.BatchId, holder.Line);
            await SettleDownloadsAsync(batch, input.Entry.SourceLogin, downloads, 0);
            return new ChunkSummary(false, CountersOf(before), [], WaitingFor: holder with { ExpiresAt = default });
        }

        // What the chunk fetched is not known after a failure: what it copied is the part to count.
        async Task<MailboxCursor?> SettleAfterFailureAsync()
        {
            var cursor = await store.LoadAsync(cancellationToken);
            await SettleDownloadsAsync(batch, input.Entry.SourceLogin, downloads, Math.Max(0, (cursor?.BytesCopied ?? 0) - (before?.BytesCopied ?? 0)));
            return cursor;
        }

        SourceLogin? source = null;
        try
        {
            // Inside the chunk's failure handling: a token refused for the source is the chunk's failure with its code.
            source = await sourceAccounts.ForAsync(batch, input.Entry, cancellationToken);
            var job = new MailboxJob(
                input.RunId,
                batch.Source,
                source.Account,
                server,
                await destinationAccounts.ForAsync(batch, input.Entry, cancellationToken),
                CopyOptionsOf(batch));
            var result = await mail.CopyChunkAsync(job, store, workflow.Value.Budget with { MaxDownloadBytes = downloads.Granted }, guarded.Token);
            await SettleDownloadsAsync(batch, input.Entry.SourceLogin, downloads, result.DownloadedThisChunk);
            if (result.Completed)
            {
                await holds.ReleaseAsync(server.Host, login, owner, CancellationToken.None);
            }

            return new ChunkSummary(result.Completed, Counters(result), Failures(result.Failures), null, result.FolderNotes.Count > 0 ? result.FolderNotes : null,
                NotExactMessages: NotExactOrNull(result.NotExactMessages), FlagsUpdated: result.FlagsUpdated, FoldersCreated: result.FoldersCreated);
        }
        catch (Exception e) when (slots.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested && e is OperationCanceledException or MailFailureException)
        {
            // Whatever the chunk appended is journaled; the next chunk, with its slots again, reconciles it first.
            logger.LimitSlotLost();
            var cursor = await SettleAfterFailureAsync();
            return new ChunkSummary(false, CountersOf(cursor), [], Paused: new SourcePause(time.GetUtcNow(), MailFailure.Transient(ErrorCode.SettingsConcurrencyLimitReached,
                "The chunk lost one of its concurrency slots (its lease could not be renewed) and stopped; the mailbox waits for a slot and goes on from where it got to.")));
        }
        catch (MailFailureException e)
        {
            var cursor = await SettleAfterFailureAsync();
            if (e.Failure.Code == ErrorCode.SourceLimitReached)
            {
                // A pause of minutes to hours: another batch need not wait for this one's hold meanwhile.
                await holds.ReleaseAsync(server.Host, login, owner, CancellationToken.None);
                return new ChunkSummary(false, CountersOf(cursor), [], Paused: await PauseForLimitAsync(batch.Source, input.Entry.SourceLogin, e.Failure));
            }

            if (!e.Failure.IsTransient)
            {
                // The mailbox's copy ends here; a transient failure keeps the hold for the retry that follows.
                await holds.ReleaseAsync(server.Host, login, owner, CancellationToken.None);
            }

            var folders = (cursor?.FailedFolders ?? []).Select(f => new FolderNote(f.Folder, null, FolderOutcome.NotCopied, f.Code, f.Reason)).ToList();
            return new ChunkSummary(false, CountersOf(cursor), Failures(cursor?.Failures ?? []), FailureBoundary.AsData(destinationAccounts.Explain(source?.Explain(e.Failure) ?? e.Failure), e),
                folders.Count > 0 ? folders : null, NotExactOrNull(cursor?.NotExact ?? []));
        }
    }

    /// <summary>What this chunk may download from its source account: the budget's grant, or a pause. A source without
    /// a budget is only checked for a block its provider set (<see cref="SourceBudgets.BlockAsync"/>).</summary>
    private async Task<SourceDownloads> ReserveDownloadsAsync(BatchDefinition batch, string sourceLogin, CancellationToken cancellationToken)
    {
        var window = workflow.Value.DownloadBudgetWindow;
        if (batch.Options.DownloadBudgetBytes(batch.Source) is not { } budget)
        {
            return await budgets.BlockedUntilAsync(batch.Source.Host, sourceLogin, cancellationToken) is { } blocked
                ? new SourceDownloads(0, Paused(blocked, $"The source's provider said the account is over its limit; the mailbox is paused until {blocked:u} and goes on by itself."))
                : new SourceDownloads(long.MaxValue, null);
        }

        var allowance = await budgets.ReserveAsync(batch.Source.Host, sourceLogin, budget, workflow.Value.Budget.MaxBytes, window, cancellationToken);
        return allowance.PausedUntil is { } until
            ? new SourceDownloads(0, Paused(until, $"The source account has downloaded its budget of {budget / Core.Sources.SourceLimits.BytesPerMegabyte:N0} MB per {window} (or its provider said it is over its limit); the mailbox is paused until {until:u} and goes on by itself."))
            : new SourceDownloads(allowance.Bytes, null) { Reserved = true };

        SourcePause Paused(DateTimeOffset until, string message)
        {
            logger.SourcePaused(until, ErrorCode.SourceLimitReached);
            return new SourcePause(until, MailFailure.Transient(ErrorCode.SourceLimitReached, message));
        }
    }

    private async Task SettleDownloadsAsync(BatchDefinition batch, string sourceLogin, SourceDownloads downloads, long downloaded)
    {
        if (downloads.Reserved)
        {
            logger.SourceBudgetSettled(downloads.Granted, downloaded);
            // Not the step's token: the bytes were downloaded whether or not the chunk was cancelled.
            await budgets.SettleAsync(batch.Source.Host, sourceLogin, downloads.Granted, downloaded, workflow.Value.DownloadBudgetWindow, CancellationToken.None);
        }
    }

    /// <summary>The provider's answer that the account is over its limit, as a pause for every chunk of the account:
    /// until the time it hinted, or <see cref="WorkflowOptions.LimitPause"/> from now.</summary>
    private async Task<SourcePause> PauseForLimitAsync(SourceServer source, string sourceLogin, MailFailure failure)
    {
        var until = time.GetUtcNow() + (failure.RetryAfter ?? workflow.Value.LimitPause);
        await budgets.BlockAsync(source.Host, sourceLogin, until, CancellationToken.None);
        logger.SourcePaused(until, failure.Code);
        return new SourcePause(until, failure with { Message = $"{failure.Message} Paused until {until:u}; the mailbox goes on by itself." });
    }

    /// <summary>What one chunk may download, or why it waits.</summary>
    private sealed record SourceDownloads(long Granted, SourcePause? Pause)
    {
        /// <summary>True when <see cref="Granted"/> was taken from a budget and is settled when the chunk ends.</summary>
        public bool Reserved { get; init; }
    }

    /// <summary>How the batch's options say its mailboxes are copied.</summary>
    internal static CopyOptions CopyOptionsOf(BatchDefinition batch) => new()
    {
        IncludeGmailAllMail = batch.Options.IncludeGmailAllMail, CopyDuplicates = batch.Options.CopyDuplicates,
        GmailMode = CopyOptions.GmailModeOf(batch.Options.Gmail), IncludeGmailSpam = batch.Options.IncludeGmailSpam, IncludeGmailTrash = batch.Options.IncludeGmailTrash,
    };

    private static MailboxCounters CountersOf(MailboxCursor? cursor) =>
        new(0, cursor?.MessagesCopied ?? 0, cursor?.Failures.Count ?? 0, 0, cursor?.BytesCopied ?? 0,
            AlreadyAtDestination: cursor?.AlreadyAtDestination ?? 0, NotExact: cursor?.NotExactCount ?? 0, ArrivalDates: ArrivalDatesOf(cursor));

    private static MailboxCounters Counters(ChunkResult result) =>
        new(result.MessagesTotal, result.MessagesCopied, result.Failures.Count, result.BytesTotal, result.BytesCopied, result.Folders, result.AlreadyAtDestination,
            result.NotExact, result.ArrivalDates, result.GmailLabels);

    private static ArrivalDateCounts? ArrivalDatesOf(MailboxCursor? cursor) =>
        cursor is null || cursor.DatesFromDateHeader + cursor.DatesFromReceived + cursor.DatesFromImportTime == 0
            ? null
            : new(cursor.DatesFromDateHeader, cursor.DatesFromReceived, cursor.DatesFromImportTime);

    /// <summary>The list as the report carries it: absent when empty, so a clean mailbox's line stays as it was.</summary>
    private static IReadOnlyList<NotExactMessage>? NotExactOrNull(IReadOnlyList<NotExactMessage> messages) =>
        messages.Count == 0 ? null : messages;

    private static List<MessageFailure> Failures(IEnumerable<FailedMessage> failures) =>
        failures.Select(f => new MessageFailure(f.Folder, f.Uid, f.Uidl, f.Size, f.Code, f.Reason)).ToList();

    /// <summary>Puts the state the step's orchestration shows into the run's progress (BatchSteps.ShowProgressAsync's
    /// write), when it sent one.</summary>
    private async Task ShowAsync(MailboxStepInput input, CancellationToken cancellationToken)
    {
        if (input.Shown is { } shown)
        {
            await storage.SaveProgressAsync(new OutcomeRecord(input.BatchId, input.RunId, shown), cancellationToken);
        }
    }

    private async Task<BatchDefinition> LoadBatchAsync(string batchId, CancellationToken cancellationToken) =>
        await storage.LoadBatchAsync(batchId, cancellationToken) ?? throw new InvalidOperationException($"Batch {batchId} has no record.");
}
