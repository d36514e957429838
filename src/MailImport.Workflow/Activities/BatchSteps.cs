using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Api;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Telemetry;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Activities;

/// <summary>What a run is about to do: how many mailboxes it takes, in how many groups (stored, <see cref="BatchStorage.LoadPlanGroupAsync"/>), and the batch's domain.</summary>
/// <param name="Domain">The destination domain.</param>
/// <param name="Mailboxes">The mailboxes this run takes.</param>
/// <param name="Groups">The groups they are stored in, each of at most <see cref="BatchRunInput.MailboxesPerGroup"/>.</param>
/// <param name="Closed">True when the batch is closed and the run must not start.</param>
public sealed record RunPlan(string Domain, int Mailboxes, int Groups, bool Closed);

/// <summary>What the report step needs: the run; the outcomes and the lines it took are in storage.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Mode">The run's mode.</param>
/// <param name="StartedAt">When the run started (orchestration time).</param>
/// <param name="BatchProblem">A failure of the whole run (domain not confirmed, file unreadable), if any.</param>
/// <param name="Groups">The groups of the run's plan (0 when it failed before planning): the lines it took.</param>
public sealed record ReportInput(string BatchId, string RunId, RunMode Mode, DateTimeOffset StartedAt, MailFailure? BatchProblem = null, int Groups = 0);

/// <summary>Which run reads the directory, for which domain.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
/// <param name="Domain">The destination domain.</param>
public sealed record DirectoryReadInput(string BatchId, string RunId, string Domain);

/// <summary>The batch-wide steps: plan a run, check the domain, read the directory, write the report, close the batch.</summary>
public sealed class BatchSteps(BatchStorage storage, BatchSecrets secrets, SourceTokenProviders sourceTokens, IDestinationDirectory directory, TimeProvider clock, ILogger<BatchSteps> logger)
{
    /// <summary>Chooses the mailboxes of a run: all of them, or only those the last report does not show done (failed,
    /// partial, or a line a corrected file has just made valid).</summary>
    public async Task<RunPlan> PlanAsync(BatchRunInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = logger.BeginRunScope(input.BatchId, input.RunId);
        var batch = await storage.LoadBatchAsync(input.BatchId, cancellationToken) ?? throw new InvalidOperationException($"Batch {input.BatchId} has no record.");
        var manifest = await storage.LoadManifestAsync(input.BatchId, cancellationToken) ?? new Manifest([], []);
        var mailboxes = manifest.Entries;
        if (input.Mode == RunMode.RetryFailed)
        {
            var report = await storage.LoadReportAsync(input.BatchId, cancellationToken);
            var done = report?.Mailboxes.Where(m => m.Status == MailboxStatus.Done).Select(m => m.LineNumber).ToHashSet() ?? [];
            mailboxes = manifest.Entries.Where(e => !done.Contains(e.Line)).ToList();
        }

        // Earlier runs' plans and outcomes are in their reports now; only this run's are kept from here on.
        await storage.DeleteRunRecordsExceptAsync(input.BatchId, input.RunId, cancellationToken);
        var size = Math.Max(1, input.MailboxesPerGroup);
        var groups = (mailboxes.Count + size - 1) / size;
        await Parallel.ForEachAsync(Enumerable.Range(0, groups), new ParallelOptions { MaxDegreeOfParallelism = BatchStorage.ParallelRequests, CancellationToken = cancellationToken },
            async (group, ct) => await storage.SavePlanGroupAsync(input.BatchId, input.RunId, group, [.. mailboxes.Skip(group * size).Take(size)], ct));
        logger.RunPlanned(mailboxes.Count, input.Mode, batch.Closed);
        return new RunPlan(batch.Domain, mailboxes.Count, groups, batch.Closed);
    }

    /// <summary>The mailboxes of one group of a run's plan, each with its count once the group was counted.</summary>
    public async Task<IReadOnlyList<PlannedMailbox>> LoadPlanGroupAsync(PlanGroupInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var entries = await storage.LoadPlanGroupAsync(input.BatchId, input.RunId, input.Group, cancellationToken);
        var counts = (await storage.LoadGroupCountsAsync(input.BatchId, input.RunId, input.Group, cancellationToken) ?? []).ToDictionary(c => c.Line, c => c.Count);
        return [.. entries.Select(e => new PlannedMailbox(e, counts.GetValueOrDefault(e.Line)))];
    }

    /// <summary>Keeps what counting a group found until the group is copied.</summary>
    public async Task<bool> SaveGroupCountsAsync(GroupCounts counts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(counts);
        await storage.SaveGroupCountsAsync(counts, cancellationToken);
        return true;
    }

    /// <summary>Keeps a mailbox's outcome until the run's report is written from it, and shows it in the run's progress.</summary>
    public async Task<bool> RecordOutcomeAsync(OutcomeRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await storage.SaveOutcomeAsync(record, cancellationToken);
        await storage.SaveProgressAsync(record, cancellationToken);
        return true;
    }

    /// <summary>Puts a running mailbox's state (running with its counters, paused, waiting) into the run's progress
    /// documents, which the status reads instead of asking the engine about every line.</summary>
    public async Task<bool> ShowProgressAsync(OutcomeRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await storage.SaveProgressAsync(record, cancellationToken);
        return true;
    }

    /// <summary>Whether the destination domain is confirmed.</summary>
    public async Task<StepResult> CheckDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        StepResult result;
        try
        {
            result = await directory.IsDomainConfirmedAsync(domain, cancellationToken)
                ? StepResult.Success
                : StepResult.Failed(ErrorCode.DomainNotConfirmed, $"The domain {domain} is not confirmed at the destination, so no mailbox was created.");
        }
        catch (DirectoryException e)
        {
            result = StepResult.Failed(FailureBoundary.AsData(e.Failure, e));
        }

        if (result.Failure is { } failure)
        {
            logger.StepFailed(WorkflowNames.CheckDomain, failure.Code);
        }
        else
        {
            logger.DomainConfirmed(domain);
        }

        return result;
    }

    /// <summary>Reads the destination's mailboxes once for the run and keeps them in the batch's storage: every line
    /// is then checked against that list, so a batch costs a few list pages instead of a lookup per line.</summary>
    public async Task<StepResult> ReadDirectoryAsync(DirectoryReadInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = logger.BeginRunScope(input.BatchId, input.RunId);
        IReadOnlyList<DirectoryMailbox> mailboxes;
        try
        {
            mailboxes = await directory.ListMailboxesAsync(input.Domain, cancellationToken);
        }
        catch (DirectoryException e)
        {
            var failure = FailureBoundary.AsData(e.Failure, e);
            logger.StepFailed(WorkflowNames.ReadDirectory, failure.Code);
            return StepResult.Failed(failure);
        }

        await storage.SaveDirectorySnapshotAsync(input.BatchId, new DirectorySnapshot(input.RunId, mailboxes), cancellationToken);
        logger.DirectoryRead(mailboxes.Count);
        return StepResult.Success;
    }

    /// <summary>Writes report.json and report.csv: this run's outcomes over the last report's lines, plus the invalid
    /// lines. Returns the number of report lines, not the report: history keeps ids and counts, not payloads.</summary>
    public async Task<int> WriteReportAsync(ReportInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = logger.BeginRunScope(input.BatchId, input.RunId);
        var batch = await storage.LoadBatchAsync(input.BatchId, cancellationToken) ?? throw new InvalidOperationException($"Batch {input.BatchId} has no record.");
        var manifest = await storage.LoadManifestAsync(input.BatchId, cancellationToken) ?? new Manifest([], []);
        var previous = await storage.LoadReportAsync(input.BatchId, cancellationToken);
        var lines = new SortedDictionary<int, MailboxReport>();
        foreach (var line in previous?.Mailboxes ?? [])
        {
            lines[line.LineNumber] = line;
        }

        foreach (var invalid in manifest.Invalid)
        {
            lines[invalid.LineNumber] = invalid;
        }

        foreach (var entry in manifest.Entries.Where(e => !lines.ContainsKey(e.Line)))
        {
            // A mailbox the run never reached (the whole run failed first) still gets its line.
            lines[entry.Line] = entry.PendingReport() with
            {
                Code = input.BatchProblem?.Code, Message = input.BatchProblem?.Message, Fix = input.BatchProblem?.Code is { } c ? ErrorCatalog.Get(c).Fix : null,
            };
        }

        var outcomes = await storage.LoadOutcomesAsync(input.BatchId, input.RunId, cancellationToken);
        foreach (var outcome in outcomes)
        {
            lines[outcome.Line] = outcome.ToReport();
        }

        var taken = new HashSet<int>();
        for (var group = 0; group < input.Groups; group++)
        {
            taken.UnionWith((await storage.LoadPlanGroupAsync(input.BatchId, input.RunId, group, cancellationToken)).Select(e => e.Line));
        }

        if (input.BatchProblem is null)
        {
            // A mailbox the run took whose outcome storage never got (its record kept failing) must not read as the
            // last run's result.
            var recorded = outcomes.Select(o => o.Line).ToHashSet();
            foreach (var line in taken.Where(l => !recorded.Contains(l) && lines.ContainsKey(l)))
            {
                lines[line] = lines[line] with
                {
                    Status = MailboxStatus.Failed, Code = ErrorCode.InternalError, Fix = ErrorCatalog.Get(ErrorCode.InternalError).Fix,
                    Message = "The run ended without a recorded outcome for this mailbox; run the batch again to copy what is missing.",
                };
            }
        }

        if (input.BatchProblem is { Code: { } code } problem)
        {
            // The lines this run took say why it stopped, whatever an earlier run said of them, except mail already
            // copied: a Done mailbox stays done.
            foreach (var line in lines.Values.Where(l => l.Status == MailboxStatus.Pending || (taken.Contains(l.LineNumber) && l.Status != MailboxStatus.Done)).ToList())
            {
                lines[line.LineNumber] = line with { Status = MailboxStatus.Failed, Code = code, Message = problem.Message, Fix = ErrorCatalog.Get(code).Fix };
            }
        }

        var ended = clock.GetUtcNow();
        var mailboxes = lines.Values.ToList();
        // Earlier runs' summaries are kept as written; this run's is summed from the lines it took.
        var runs = (previous?.Runs ?? []).Where(r => r.RunId != input.RunId)
            .Append(RunSummary.Of(input.RunId, input.Mode, input.StartedAt, ended, mailboxes)).ToList();
        var report = new BatchReport(input.BatchId, batch.Domain, input.Mode == RunMode.DryRun, input.StartedAt, ended, mailboxes, runs);
        await storage.SaveReportAsync(report, cancellationToken);
        await storage.DeleteDirectorySnapshotAsync(input.BatchId, input.RunId, cancellationToken);
        // How the run ended goes into its record: a scheduled run in which no mailbox succeeded does not keep the batch
        // open (BatchRetention).
        var succeeded = outcomes.Count(o => o.Status is MailboxStatus.Done or MailboxStatus.Partial or MailboxStatus.Ready);
        await storage.UpdateBatchAsync(input.BatchId, current => current.Runs.Any(r => r.RunId == input.RunId && r.EndedAt is null)
            ? current with { Runs = [.. current.Runs.Select(r => r.RunId == input.RunId ? r with { EndedAt = ended, MailboxesSucceeded = succeeded } : r)] }
            : null, cancellationToken);
        logger.ReportWritten(report.Mailboxes.Count);
        return report.Mailboxes.Count;
    }

    /// <summary>Closes a batch at the admin's request: no more runs, and its raw upload and secrets are deleted.</summary>
    /// <returns>The secrets deleted (the data key, the batch's container of sealed passwords, and each blob deleted one by
    /// one: generated passwords, or the sealed passwords of a batch from before that container).</returns>
    public async Task<int> CloseAsync(string batchId, CancellationToken cancellationToken = default)
    {
        using var scope = logger.BeginBatchScope(batchId);
        return await CloseAsync(batchId, BatchCloseReason.Requested, static _ => true, cancellationToken) ?? 0;
    }

    /// <summary>Marks a batch closed at the admin's request, at once: from then on no run is recorded (BatchRuns refuses
    /// a closed batch under If-Match) and an ingestion still running deletes what it writes. Its run is ended and its
    /// upload and secrets deleted afterwards, by the close orchestration (<see cref="CloseBatchOrchestration"/>).</summary>
    /// <returns>False for an unknown batch.</returns>
    public async Task<bool> MarkClosedAsync(string batchId, CancellationToken cancellationToken = default)
    {
        using var scope = logger.BeginBatchScope(batchId);
        return await MarkAsync(batchId, BatchCloseReason.Requested, static _ => true, cancellationToken) is { Batch.Closed: true };
    }

    /// <summary>Closes a batch for idleness, unless the record as written no longer is idle at <paramref name="now"/>
    /// (a run was recorded since <paramref name="seen"/> was read, the schedule changed) or is closed already.</summary>
    /// <remarks>The caller has made sure <paramref name="seen"/>'s last run has ended: a run starting after that
    /// appends to the runs, which the condition sees.</remarks>
    /// <returns>True when this call closed it.</returns>
    public async Task<bool> CloseIdleAsync(BatchDefinition seen, TimeSpan idleClose, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seen);
        using var scope = logger.BeginBatchScope(seen.BatchId);
        return await CloseAsync(seen.BatchId, BatchCloseReason.Idle,
            current => current.Runs.Count == seen.Runs.Count && BatchRetention.ClosesAt(current, idleClose) <= now, cancellationToken) is not null;
    }

    /// <summary>Deletes the raw upload and every secret of a closed batch and records when that finished. Each step can
    /// be repeated: a close interrupted anywhere is finished by calling this again (the timer does).</summary>
    /// <returns>The secrets deleted by this call.</returns>
    public async Task<int> FinishCloseAsync(string batchId, CancellationToken cancellationToken = default)
    {
        using var scope = logger.BeginBatchScope(batchId);
        return (await DeleteSecretsAsync(batchId, int.MaxValue, cancellationToken)).Deleted;
    }

    /// <summary>How many blobs one page of a close deletes one by one. A batch's container of sealed passwords goes in
    /// one request with the first page; what is deleted blob by blob (generated passwords, or a line's sealed passwords
    /// in a batch from before that container, one blob a line) is paged, so a batch of 20,000 such lines closes in ten
    /// steps, each a few seconds, instead of one that outlives a Functions timeout.</summary>
    public const int ClosePageBlobs = 2000;

    /// <summary>As <see cref="FinishCloseAsync"/>, one page at a time (<see cref="ClosePageBlobs"/>): the close
    /// orchestration calls it until it says <see cref="ClosePage.Finished"/>, and the last page records when.</summary>
    public async Task<ClosePage> FinishClosePageAsync(string batchId, CancellationToken cancellationToken = default)
    {
        using var scope = logger.BeginBatchScope(batchId);
        return await DeleteSecretsAsync(batchId, ClosePageBlobs, cancellationToken);
    }

    /// <summary>Marks the batch closed when <paramref name="closeIf"/> holds of its record as written, then deletes its
    /// upload and secrets. A batch the admin closes again is deleted again (a first close may have been interrupted); an
    /// idle close of a batch closed meanwhile leaves it to whoever closed it.</summary>
    /// <returns>The secrets deleted; null when the batch is unknown or was not closed by this call.</returns>
    private async Task<int?> CloseAsync(string batchId, BatchCloseReason reason, Func<BatchDefinition, bool> closeIf, CancellationToken cancellationToken)
    {
        var update = await MarkAsync(batchId, reason, closeIf, cancellationToken);
        if (update is not { Batch.Closed: true } || (reason == BatchCloseReason.Idle && !update.Value.Changed))
        {
            return null;
        }

        if (reason == BatchCloseReason.Idle)
        {
            var batch = update.Value.Batch;
            logger.BatchClosedForIdleness(batch.Runs.Count > 0 ? batch.Runs[^1].StartedAt : batch.CreatedAt, batch.Options.Schedule);
        }

        return (await DeleteSecretsAsync(batchId, int.MaxValue, cancellationToken)).Deleted;
    }

    private Task<(BatchDefinition Batch, bool Changed)?> MarkAsync(string batchId, BatchCloseReason reason, Func<BatchDefinition, bool> closeIf, CancellationToken cancellationToken)
    {
        var marked = clock.GetUtcNow();
        // Closed first: an ingestion still running sees it and deletes what it wrote after this (CredentialIngestion).
        return storage.UpdateBatchAsync(batchId,
            batch => batch.Closed || !closeIf(batch) ? null : batch with { Closed = true, ClosedAt = marked, ClosedFor = reason }, cancellationToken);
    }

    private async Task<ClosePage> DeleteSecretsAsync(string batchId, int blobsAtMost, CancellationToken cancellationToken)
    {
        await storage.DeleteAllCredentialsAsync(batchId, cancellationToken);
        var (deleted, more) = await secrets.DeleteAsync(batchId, blobsAtMost, cancellationToken);
        // The key or client secret this process unsealed lives on in the batch's token provider, with its tokens.
        sourceTokens.Forget(batchId);
        if (more)
        {
            logger.BatchClosePage(deleted);
            return new ClosePage(deleted, Finished: false);
        }

        var finished = clock.GetUtcNow();
        await storage.UpdateBatchAsync(batchId, batch => batch is { Closed: true, SecretsDeletedAt: null } ? batch with { SecretsDeletedAt = finished } : null, cancellationToken);
        logger.BatchClosed(deleted);
        return new ClosePage(deleted, Finished: true);
    }
}
