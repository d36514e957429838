using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Orchestrations;

namespace MailImport.Workflow.Tests.Orchestrations;

public class ImportBatchOrchestrationTests
{
    private static BatchRunInput Run(string id, int concurrency = 8, int chunksPerGeneration = 10) =>
        new("b" + new string('0', 31), id, RunMode.Full, concurrency, chunksPerGeneration, RetryFirstDelaySeconds: 0.05);

    [Fact]
    public async Task RunAsync_ManyMailboxes_FansOutWithinTheConcurrencyLimitAndReportsEach()
    {
        var steps = new ScriptedSteps();
        for (var line = 1; line <= 12; line++)
        {
            steps.Mailboxes[line] = new MailboxScript(Chunks: 3);
        }

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        var progress = await workflow.RunAsync(Run("run-fanout", concurrency: 3));

        Assert.Equal((12, 12, null), (progress.Total, progress.Finished, progress.Problem));
        Assert.InRange(steps.MaxInFlight, 2, 3);
        // Every mailbox was counted before the first chunk, each once: the run's totals are whole from its first chunk on.
        Assert.Equal(12, steps.CountsBeforeFirstChunk);
        Assert.Equal(12, steps.Calls[WorkflowNames.CheckSource]);
        Assert.Equal(new PlanTotals(12, 12, 12, 120, 12000, 120, 12000), progress.Plan);
        var report = Assert.Single(steps.Reports);
        Assert.Equal(Enumerable.Range(1, 12), report.Outcomes.Select(o => o.Line));
        Assert.All(report.Outcomes, o => Assert.Equal(MailboxStatus.Done, o.Status));
        Assert.Equal(36, steps.Calls[WorkflowNames.CopyChunk]);
    }

    [Fact]
    public async Task RunAsync_MoreMailboxesThanAGroup_RunsEveryGroupWithinTheConcurrencyAndReportsEachLine()
    {
        var steps = new ScriptedSteps();
        for (var line = 1; line <= 45; line++)
        {
            steps.Mailboxes[line] = new MailboxScript(Chunks: 2);
        }

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        var progress = await workflow.RunAsync(Run("run-groups", concurrency: 5) with { MailboxesPerGroup = 10 });

        Assert.Equal((45, 45, null), (progress.Total, progress.Finished, progress.Problem));
        Assert.True(steps.MaxInFlight <= 5, $"{steps.MaxInFlight} chunks at once");
        // Each group loaded once to count it and once to copy it; every mailbox counted once, all before the first chunk,
        // and the five groups' counts summed.
        Assert.Equal(10, steps.Calls[WorkflowNames.LoadPlanGroup]);
        Assert.Equal(45, steps.CountsBeforeFirstChunk);
        Assert.Equal(45, steps.Calls[WorkflowNames.CheckSource]);
        Assert.Equal(new PlanTotals(45, 45, 45, 450, 45000, 450, 45000), progress.Plan);
        var report = Assert.Single(steps.Reports);
        Assert.Equal(5, report.Input.Groups);
        Assert.Equal(Enumerable.Range(1, 45), report.Outcomes.Select(o => o.Line));
        // Each group purged the engine's history of its own mailboxes once they had all ended, each mailbox once.
        Assert.Equal(Enumerable.Range(1, 45), steps.Purged.Where(p => p.RunId == "run-groups").Select(p => p.Line).Order());
        // And the batch purged each group's count and copy once it had their results, each once.
        string[] groups = [.. Enumerable.Range(0, 5).SelectMany(g => new[] { ImportBatchOrchestration.CountInstanceId("run-groups", g), ImportBatchOrchestration.GroupInstanceId("run-groups", g) })];
        Assert.Equal(groups.Order(), steps.PurgedGroups.Order());
        Assert.All(report.Outcomes, o => Assert.Equal(MailboxStatus.Done, o.Status));
    }

    [Fact]
    public async Task RunAsync_ThreeTimesTheMailboxesInAsManyGroups_TheRunsHistoryDoesNotGrow()
    {
        async Task<(int Run, int Group)> HistoryAsync(int mailboxes, int perGroup)
        {
            var steps = new ScriptedSteps();
            for (var line = 1; line <= mailboxes; line++)
            {
                steps.Mailboxes[line] = new MailboxScript();
            }

            await using var workflow = await InMemoryWorkflow.StartAsync(steps);
            await workflow.RunAsync(Run("run-history", concurrency: 8) with { MailboxesPerGroup = perGroup });
            return (workflow.HistoryEvents("run-history"), workflow.HistoryEvents(ImportBatchOrchestration.GroupInstanceId("run-history", 0)));
        }

        var small = await HistoryAsync(20, 10);
        var large = await HistoryAsync(60, 30);

        // Two groups each: the run's history is the same size give or take the engine's batching of events into
        // episodes (a run that held every mailbox would hold 80 more events); a group's grows with its own mailboxes.
        Assert.True(large.Run <= small.Run + 10, $"run history: {small.Run} events for 20 mailboxes, {large.Run} for 60");
        Assert.True(large.Group > small.Group + 40, $"group history: {small.Group} events for 10 mailboxes, {large.Group} for 30");
    }

    [Fact]
    public async Task RunAsync_FolderNotes_RenamedKeepsDoneAndAFolderNotCopiedMakesItPartial()
    {
        var renamed = new FolderNote("Projects.2019", "Projects_2019", FolderOutcome.Renamed, null, "renamed");
        var notCopied = new FolderNote("Old", null, FolderOutcome.NotCopied, ErrorCode.SourceFolderUnavailable, "SELECT refused");
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 2, Folders: [renamed]);
        steps.Mailboxes[2] = new MailboxScript(Chunks: 2, Folders: [renamed, notCopied]);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-folders"));

        var outcomes = Assert.Single(steps.Reports).Outcomes;
        Assert.Equal(MailboxStatus.Done, outcomes[0].Status);
        Assert.Equal([renamed], outcomes[0].Folders!);
        Assert.Equal(MailboxStatus.Partial, outcomes[1].Status);
        Assert.Equal(ErrorCode.SourceFolderUnavailable, outcomes[1].Code);
        Assert.Equal("1 folder(s) could not be copied; the rest of the mailbox was.", outcomes[1].Message);
        Assert.Equal([renamed, notCopied], outcomes[1].ToReport().Folders!);
    }

    [Fact]
    public async Task RunAsync_ManyChunks_ContinuesAsNewAndFinishesEveryChunkOnce()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 7);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-generations", chunksPerGeneration: 2));

        var outcome = Assert.Single(Assert.Single(steps.Reports).Outcomes);
        Assert.Equal(MailboxStatus.Done, outcome.Status);
        Assert.Equal(7, steps.ChunksCopied[1]);
        Assert.Equal(70, outcome.Counters.MessagesCopied);
        // The source was checked and the account ensured once, not once per generation.
        Assert.Equal(1, steps.Calls[WorkflowNames.CheckSource]);
        Assert.Equal(1, steps.Calls[WorkflowNames.EnsureAccount]);
    }

    [Fact]
    public async Task RunAsync_ManyChunks_EachStepShowsTheStateBeforeIt_ShowProgressRunsOnlyBeforeEachContinueAsNew()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 7);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-shown", chunksPerGeneration: 2));

        // Running with the totals before the first chunk, then after every chunk but the last, in order: each put into
        // the progress by the step that follows it, and by a ShowProgress of its own only where a generation ends.
        var shown = steps.Shown.Where(o => o.Line == 1).ToList();
        Assert.All(shown, o => Assert.Equal(MailboxStatus.Running, o.Status));
        Assert.Equal([0, 10, 20, 30, 40, 50, 60], shown.Select(o => o.Counters.MessagesCopied));
        Assert.Equal(10, shown[0].Counters.MessagesTotal);
        Assert.Equal(3, steps.Calls[WorkflowNames.ShowProgress]);
    }

    [Fact]
    public async Task CloseAsync_SecretsInPages_DeletesPageAfterPageUntilTheLastSaysFinished_AndSumsThem()
    {
        var steps = new ScriptedSteps();
        foreach (var page in new ClosePage[] { new(2001, false), new(2000, false), new(7, true), new(99, true) })
        {
            steps.ClosePages.Enqueue(page);
        }

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        var deleted = await workflow.CloseAsync("b" + new string('0', 31));

        Assert.Equal(2001 + 2000 + 7, deleted);
        Assert.Equal((1, 3), (steps.Calls[WorkflowNames.StopBatchRun], steps.Calls[WorkflowNames.FinishClose]));
    }

    [Fact]
    public async Task RunAsync_NotExactMessages_ReachTheReportLineAcrossGenerations()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 3, NotExactPerChunk: 2);
        steps.Mailboxes[2] = new MailboxScript(Chunks: 3);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-not-exact", chunksPerGeneration: 2));

        var outcomes = Assert.Single(steps.Reports).Outcomes.OrderBy(o => o.Line).ToList();
        var line = outcomes[0].ToReport();
        Assert.Equal(MailboxStatus.Done, line.Status);
        Assert.Equal(6, line.Counters.NotExact);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"uidl-{i}"), line.NotExactMessages!.Select(m => m.Uidl));
        Assert.Equal(new ArrivalDateCounts(DateHeader: 6), line.Counters.ArrivalDates);
        Assert.Null(outcomes[1].NotExactMessages);
        Assert.Equal(0, outcomes[1].Counters.NotExact);
    }

    [Fact]
    public async Task RunAsync_TransientFailures_AreRetriedAndTheMailboxFinishes()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 2, TransientChunkFailures: 3, RetryAfterSeconds: 0);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-transient"));

        Assert.Equal(MailboxStatus.Done, Assert.Single(Assert.Single(steps.Reports).Outcomes).Status);
        Assert.Equal(5, steps.Calls[WorkflowNames.CopyChunk]);
    }

    [Fact]
    public async Task RunAsync_TransientForever_GivesUpWithTheServersCode()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 1, TransientChunkFailures: 100);
        steps.Mailboxes[2] = new MailboxScript(Chunks: 1);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-giveup"));

        var outcomes = Assert.Single(steps.Reports).Outcomes;
        Assert.Equal(MailboxStatus.Failed, outcomes[0].Status);
        Assert.Equal(ErrorCode.SourceThrottled, outcomes[0].Code);
        Assert.Contains("gave up after 6 attempts", outcomes[0].Message, StringComparison.Ordinal);
        Assert.Equal(MailboxStatus.Done, outcomes[1].Status);
        // The mailbox that gave up lets go of its destination mailbox at once; the one that finished did in its chunk.
        Assert.Equal(1, steps.Calls[WorkflowNames.ReleaseDestination]);
    }

    [Fact]
    public async Task RunAsync_DestinationHeldByAnotherBatch_WaitsPastEveryRetryLimit_ThenCopies()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 2, HeldChunks: 3 * 6);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-held", chunksPerGeneration: 4));

        var outcome = Assert.Single(Assert.Single(steps.Reports).Outcomes);
        Assert.Equal((MailboxStatus.Done, 20L), (outcome.Status, outcome.Counters.MessagesCopied));
        Assert.Equal(3 * 6 + 2, steps.Calls[WorkflowNames.CopyChunk]);
        Assert.False(steps.Calls.ContainsKey(WorkflowNames.ReleaseDestination));
    }

    [Fact]
    public async Task RunAsync_ConcurrencyLimitsFull_CountWaitsForItsSlot_MailboxShowsPausedUntilTheNextPoll_ThenCopies()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(Chunks: 2, FullLimits: 3);
        steps.Mailboxes[2] = new MailboxScript();

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-slots"));

        var outcomes = Assert.Single(steps.Reports).Outcomes;
        Assert.All(outcomes, o => Assert.Equal((MailboxStatus.Done, (ErrorCode?)null), (o.Status, o.Code)));
        // The count waited for the slot instead of leaving the mailbox uncounted: its count is the source's.
        Assert.Equal(10, steps.GroupCounts[("run-slots", 1)].Messages);
        // The three full CheckSource calls of the count, then three full chunks and the two that copied.
        Assert.Equal(3 + 1 + 1, steps.Calls[WorkflowNames.CheckSource]);
        Assert.Equal(3 + 2 + 1, steps.Calls[WorkflowNames.CopyChunk]);
        var paused = steps.Shown.Where(o => o.Line == 1 && o.Status == MailboxStatus.Paused).ToList();
        Assert.Equal(3, paused.Count);
        Assert.All(paused, p =>
        {
            Assert.Equal(ErrorCode.SettingsConcurrencyLimitReached, p.Code);
            Assert.StartsWith("2 connections to this source account", p.Message, StringComparison.Ordinal);
            Assert.NotNull(p.PausedUntil);
        });
    }

    [Fact]
    public async Task RunAsync_SourceLoginRejected_ReportsAuthFailedAndOthersGoOn()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript(SourceFailure: ErrorCode.SourceAuthFailed);
        steps.Mailboxes[2] = new MailboxScript();

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-auth"));

        var outcomes = Assert.Single(steps.Reports).Outcomes;
        Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceAuthFailed), (outcomes[0].Status, outcomes[0].Code));
        Assert.Equal(MailboxStatus.Done, outcomes[1].Status);
        Assert.False(steps.ChunksCopied.ContainsKey(1));
    }

    [Fact]
    public async Task RunAsync_DomainNotConfirmed_EndsTheBatchAndCreatesNothing()
    {
        var steps = new ScriptedSteps { DomainConfirmed = false };
        steps.Mailboxes[1] = new MailboxScript();
        steps.Mailboxes[2] = new MailboxScript();

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        var progress = await workflow.RunAsync(Run("run-domain"));

        Assert.Equal(ErrorCode.DomainNotConfirmed, progress.Problem?.Code);
        Assert.False(steps.Calls.ContainsKey(WorkflowNames.EnsureAccount));
        Assert.False(steps.Calls.ContainsKey(WorkflowNames.CopyChunk));
        Assert.Equal(ErrorCode.DomainNotConfirmed, Assert.Single(steps.Reports).BatchProblem?.Code);
    }

    [Fact]
    public async Task RunAsync_DryRun_ChecksEverythingAndCopiesNothing()
    {
        var steps = new ScriptedSteps();
        steps.Mailboxes[1] = new MailboxScript();
        steps.Mailboxes[2] = new MailboxScript(SourceFailure: ErrorCode.SourceProtocolDisabled);

        await using var workflow = await InMemoryWorkflow.StartAsync(steps);
        await workflow.RunAsync(Run("run-dry") with { Mode = RunMode.DryRun });

        var outcomes = Assert.Single(steps.Reports).Outcomes;
        Assert.Equal(MailboxStatus.Ready, outcomes[0].Status);
        Assert.Equal(10, outcomes[0].Counters.MessagesTotal);
        Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceProtocolDisabled), (outcomes[1].Status, outcomes[1].Code));
        Assert.False(steps.Calls.ContainsKey(WorkflowNames.EnsureAccount));
        Assert.False(steps.Calls.ContainsKey(WorkflowNames.CopyChunk));
    }
}
