using System.Collections.Concurrent;
using System.Text.Json;
using DurableTask.Core;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Local.Engine;
using MailImport.Mail.Errors;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Workflow.Tests.Orchestrations;

/// <summary>What the stand-in activities should do for one mailbox line.</summary>
/// <param name="Chunks">Chunks until the mailbox is copied.</param>
/// <param name="SourceFailure">A permanent source failure, if any.</param>
/// <param name="TransientChunkFailures">How many CopyChunk calls throw a transient failure first.</param>
/// <param name="RetryAfterSeconds">The delay the transient failures hint at.</param>
/// <param name="Folders">The folder notes every chunk returns.</param>
/// <param name="HeldChunks">How many CopyChunk calls first find the destination mailbox held by another batch.</param>
/// <param name="NotExactPerChunk">Messages each chunk copies not byte for byte, POP3-dated from their Date header.</param>
/// <param name="FullLimits">How many CheckSource calls, and then how many CopyChunk calls, first find the concurrency
/// limits full (a slot wait).</param>
public sealed record MailboxScript(int Chunks = 1, ErrorCode? SourceFailure = null, int TransientChunkFailures = 0, int RetryAfterSeconds = 0, IReadOnlyList<FolderNote>? Folders = null, int HeldChunks = 0, int NotExactPerChunk = 0,
    int FullLimits = 0);

/// <summary>What the report step was given, with the outcomes the run had recorded by then.</summary>
public sealed record ScriptedReport(ReportInput Input, IReadOnlyList<MailboxOutcome> Outcomes)
{
    public MailFailure? BatchProblem => Input.BatchProblem;
}

/// <summary>Stand-ins for the activities, registered under the real names, so the real orchestrations run on the
/// real embedded engine (in memory) while every call is counted.</summary>
public sealed class ScriptedSteps
{
    public Dictionary<int, MailboxScript> Mailboxes { get; } = [];

    public bool DomainConfirmed { get; set; } = true;

    /// <summary>The lines whose mailbox orchestration a group purged, by run, each time it did.</summary>
    public ConcurrentQueue<(string RunId, int Line)> Purged { get; } = new();

    /// <summary>The group orchestrations (counts and copies) the batch purged, by instance, each time it did.</summary>
    public ConcurrentQueue<string> PurgedGroups { get; } = new();

    /// <summary>What each call of a close's FinishClose answers, in order.</summary>
    public ConcurrentQueue<ClosePage> ClosePages { get; } = new();

    public int InvalidLines { get; set; }

    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public ConcurrentDictionary<int, int> ChunksCopied { get; } = new();

    public ConcurrentBag<ScriptedReport> Reports { get; } = [];

    /// <summary>Every outcome recorded, by run and line.</summary>
    public ConcurrentDictionary<(string RunId, int Line), MailboxOutcome> Outcomes { get; } = new();

    /// <summary>The latest state each mailbox showed in its run's progress (ShowProgress), before its outcome.</summary>
    public ConcurrentDictionary<(string RunId, int Line), MailboxOutcome> Progress { get; } = new();

    /// <summary>Every state any mailbox showed in its run's progress, in order.</summary>
    public ConcurrentQueue<MailboxOutcome> Shown { get; } = new();

    /// <summary>Each mailbox's count as its group saved it, by run and line.</summary>
    public ConcurrentDictionary<(string RunId, int Line), SourceCount> GroupCounts { get; } = new();

    /// <summary>Each run's plan, by run and group.</summary>
    public ConcurrentDictionary<(string RunId, int Group), IReadOnlyList<ManifestEntry>> PlanGroups { get; } = new();

    /// <summary>How many CheckSource calls had been made when the first CopyChunk call came; -1 before it.</summary>
    public int CountsBeforeFirstChunk => Volatile.Read(ref countsBeforeFirstChunk);

    private int countsBeforeFirstChunk = -1;

    private int inFlight;

    private int maxInFlight;

    /// <summary>The most CopyChunk calls that ran at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref maxInFlight);

    private readonly ConcurrentDictionary<int, int> transientLeft = new();
    private readonly ConcurrentDictionary<int, int> heldLeft = new();
    private readonly ConcurrentDictionary<int, int> checksFull = new();
    private readonly ConcurrentDictionary<int, int> chunksFull = new();

    /// <summary>A slot wait, as ConcurrencyLimits answers it, while the line's script has some left in <paramref name="left"/>.</summary>
    private SourcePause? SlotWait(ConcurrentDictionary<int, int> left, int line)
    {
        var remaining = left.GetOrAdd(line, Mailboxes[line].FullLimits);
        if (remaining <= 0)
        {
            return null;
        }

        left[line] = remaining - 1;
        return new SourcePause(DateTimeOffset.UtcNow, MailFailure.Transient(ErrorCode.SettingsConcurrencyLimitReached, "2 connections to this source account are open already"));
    }

    public void Register(DurableTaskRegistry registry)
    {
        Add<IngestInput, IngestResult>(registry, WorkflowNames.IngestCredentials, _ => new IngestResult(Mailboxes.Count, InvalidLines));
        Add<BatchRunInput, RunPlan>(registry, WorkflowNames.PlanRun, input =>
        {
            var entries = Mailboxes.Keys.Order().Select(l => new ManifestEntry(l, $"user{l}@old.example", $"user{l}")).ToList();
            var groups = entries.Chunk(input.MailboxesPerGroup).ToList();
            for (var group = 0; group < groups.Count; group++)
            {
                PlanGroups[(input.RunId, group)] = groups[group];
            }

            return new RunPlan("example.org", entries.Count, groups.Count, false);
        });
        Add<PlanGroupInput, IReadOnlyList<PlannedMailbox>>(registry, WorkflowNames.LoadPlanGroup, input =>
            [.. PlanGroups[(input.RunId, input.Group)].Select(e => new PlannedMailbox(e, GroupCounts.GetValueOrDefault((input.RunId, e.Line))))]);
        Add<GroupCounts, bool>(registry, WorkflowNames.SaveGroupCounts, counts =>
        {
            foreach (var count in counts.Counts)
            {
                GroupCounts[(counts.RunId, count.Line)] = count.Count;
            }

            return true;
        });
        Add<OutcomeRecord, bool>(registry, WorkflowNames.RecordOutcome, record =>
        {
            Outcomes[(record.RunId, record.Outcome.Line)] = record.Outcome;
            return true;
        });
        Add<OutcomeRecord, bool>(registry, WorkflowNames.ShowProgress, record =>
        {
            Show(record.RunId, record.Outcome);
            return true;
        });
        Add<string, StepResult>(registry, WorkflowNames.CheckDomain, _ => DomainConfirmed ? StepResult.Success : StepResult.Failed(ErrorCode.DomainNotConfirmed, "not confirmed"));
        Add<DirectoryReadInput, StepResult>(registry, WorkflowNames.ReadDirectory, _ => StepResult.Success);
        AddStep(registry, WorkflowNames.CheckSource, input =>
            SlotWait(checksFull, input.Entry.Line) is { } wait ? new SourceCheckResult(StepResult.Success, [], 0, 0, Paused: wait)
            : Mailboxes[input.Entry.Line].SourceFailure is { } code
                ? new SourceCheckResult(StepResult.Failed(code, "refused"), [], 0, 0)
                : new SourceCheckResult(StepResult.Success, ["INBOX"], 10, 1000));
        AddStep(registry, WorkflowNames.CheckUsername, _ => StepResult.Success);
        AddStep(registry, WorkflowNames.EnsureAccount, _ => StepResult.Success);
        registry.AddActivityFunc<MailboxStepInput, ChunkSummary>(WorkflowNames.CopyChunk, async (_, input) =>
        {
            Calls.AddOrUpdate(WorkflowNames.CopyChunk, 1, (_, n) => n + 1);
            ShowFrom(input);
            Interlocked.CompareExchange(ref countsBeforeFirstChunk, Calls.GetValueOrDefault(WorkflowNames.CheckSource), -1);
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            try
            {
                await Task.Delay(20);
                var script = Mailboxes[input.Entry.Line];
                var left = transientLeft.GetOrAdd(input.Entry.Line, script.TransientChunkFailures);
                if (left > 0)
                {
                    transientLeft[input.Entry.Line] = left - 1;
                    throw new MailFailureException(MailFailure.Transient(ErrorCode.SourceThrottled, "Too many connections", TimeSpan.FromSeconds(script.RetryAfterSeconds)));
                }

                if (SlotWait(chunksFull, input.Entry.Line) is { } wait)
                {
                    return new ChunkSummary(false, MailboxCounters.Zero, [], Paused: wait);
                }

                var held = heldLeft.GetOrAdd(input.Entry.Line, script.HeldChunks);
                if (held > 0)
                {
                    heldLeft[input.Entry.Line] = held - 1;
                    return new ChunkSummary(false, MailboxCounters.Zero, [], WaitingFor: new DestinationHold("other", "other-r1", 1));
                }

                var done = ChunksCopied.AddOrUpdate(input.Entry.Line, 1, (_, n) => n + 1);
                // As the cursor keeps them: the mailbox's whole list so far, not this chunk's alone.
                var notExact = Enumerable.Range(1, done * script.NotExactPerChunk)
                    .Select(i => new NotExactMessage("INBOX", null, $"uidl-{i}", 100 + i, "other bytes")).ToList();
                var counters = new MailboxCounters(script.Chunks * 10, done * 10, 0, 0, 0, 1, NotExact: notExact.Count,
                    ArrivalDates: notExact.Count == 0 ? null : new ArrivalDateCounts(DateHeader: notExact.Count));
                return new ChunkSummary(done >= script.Chunks, counters, [], null, script.Folders, NotExactMessages: notExact.Count == 0 ? null : notExact);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
        Add<MailboxStepInput, bool>(registry, WorkflowNames.ReleaseDestination, _ => true);
        Add<string, bool>(registry, WorkflowNames.StopBatchRun, _ => true);
        Add<MailboxHistoriesInput, int>(registry, WorkflowNames.PurgeMailboxHistories, input =>
        {
            foreach (var line in input.Lines)
            {
                // Only a mailbox that has ended may go: its outcome is recorded.
                Assert.True(Outcomes.ContainsKey((input.RunId, line)), $"line {line} was purged before its outcome was recorded");
                Purged.Enqueue((input.RunId, line));
            }

            return input.Lines.Count;
        });
        Add<GroupHistoryInput, bool>(registry, WorkflowNames.PurgeGroupHistory, input =>
        {
            PurgedGroups.Enqueue(input.InstanceId);
            return true;
        });
        Add<string, ClosePage>(registry, WorkflowNames.FinishClose, _ => ClosePages.TryDequeue(out var page) ? page : throw new InvalidOperationException("No page was scripted."));
        Add<ReportInput, int>(registry, WorkflowNames.WriteReport, input =>
        {
            var outcomes = Outcomes.Where(o => o.Key.RunId == input.RunId).Select(o => o.Value).OrderBy(o => o.Line).ToList();
            Reports.Add(new ScriptedReport(input, outcomes));
            return outcomes.Count;
        });
    }

    private void Show(string runId, MailboxOutcome shown)
    {
        Progress[(runId, shown.Line)] = shown;
        Shown.Enqueue(shown);
    }

    /// <summary>What a mailbox step puts into the run's progress before it runs, as MailboxSteps does.</summary>
    private void ShowFrom(MailboxStepInput input)
    {
        if (input.Shown is { } shown)
        {
            Show(input.RunId, shown);
        }
    }

    private void AddStep<TOutput>(DurableTaskRegistry registry, string name, Func<MailboxStepInput, TOutput> body) =>
        Add<MailboxStepInput, TOutput>(registry, name, input =>
        {
            ShowFrom(input);
            return body(input);
        });

    private void Add<TInput, TOutput>(DurableTaskRegistry registry, string name, Func<TInput, TOutput> body) =>
        registry.AddActivityFunc<TInput, TOutput>(name, (_, input) =>
        {
            Calls.AddOrUpdate(name, 1, (_, n) => n + 1);
            return body(input);
        });

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

/// <summary>The real orchestrations on the embedded engine over the in-memory orchestration service.</summary>
public sealed class InMemoryWorkflow : IAsyncDisposable
{
    private readonly TaskHubWorker worker;
    private readonly ConcurrentDictionary<string, int> historyEvents = new();

    private InMemoryWorkflow(TaskHubWorker worker, TaskHubClient client)
    {
        this.worker = worker;
        Client = client;
        Engine = new TaskHubClientEngine(client);
    }

    public TaskHubClient Client { get; }

    public IWorkflowEngine Engine { get; }

    public static async Task<InMemoryWorkflow> StartAsync(ScriptedSteps steps)
    {
        var service = new InMemoryOrchestrationService(NullLoggerFactory.Instance);
        var registry = new DurableTaskRegistry().AddMailImportOrchestrations();
        steps.Register(registry);
        var worker = await EmbeddedEngine.StartWorkerAsync(service, registry, new ServiceCollection().BuildServiceProvider(), NullLoggerFactory.Instance);
        var workflow = new InMemoryWorkflow(worker, EmbeddedEngine.CreateClient(service, NullLoggerFactory.Instance));
        // Added before any orchestration starts, so it sees every execution.
        worker.AddOrchestrationDispatcherMiddleware(async (context, next) =>
        {
            if (context.GetProperty<OrchestrationRuntimeState>() is { OrchestrationInstance.InstanceId: { } id } state)
            {
                workflow.historyEvents.AddOrUpdate(id, state.Events.Count, (_, seen) => Math.Max(seen, state.Events.Count));
            }

            await next();
        });
        return workflow;
    }

    /// <summary>Runs a batch orchestration to its end and returns its output.</summary>
    public async Task<BatchProgress> RunAsync(BatchRunInput input)
    {
        await Engine.StartAsync(WorkflowNames.ImportBatch, input, input.RunId, CancellationToken.None);
        var state = await Client.WaitForOrchestrationAsync(new OrchestrationInstance { InstanceId = input.RunId }, TimeSpan.FromMinutes(2));
        Assert.NotNull(state);
        Assert.True(state.OrchestrationStatus == OrchestrationStatus.Completed, $"{state.OrchestrationStatus}: {state.Output}");
        return JsonSerializer.Deserialize<BatchProgress>(state.Output, JsonSerializerOptions.Web)!;
    }

    /// <summary>Runs a close orchestration for <paramref name="batchId"/> to its end and returns its output, the secrets deleted.</summary>
    public async Task<int> CloseAsync(string batchId)
    {
        var instanceId = CloseBatchOrchestration.InstanceId(batchId, Guid.NewGuid());
        await Engine.StartAsync(WorkflowNames.CloseImportBatch, batchId, instanceId, CancellationToken.None);
        var state = await Client.WaitForOrchestrationAsync(new OrchestrationInstance { InstanceId = instanceId }, TimeSpan.FromMinutes(2));
        Assert.NotNull(state);
        Assert.True(state.OrchestrationStatus == OrchestrationStatus.Completed, $"{state.OrchestrationStatus}: {state.Output}");
        return JsonSerializer.Deserialize<int>(state.Output);
    }

    /// <summary>The most events an instance's history held at any of its executions (the in-memory service keeps no
    /// history to query, so each execution's runtime state is read as the dispatcher hands it over).</summary>
    public int HistoryEvents(string instanceId) => historyEvents.GetValueOrDefault(instanceId);

    public async ValueTask DisposeAsync() => await worker.StopAsync(isForced: true);
}
