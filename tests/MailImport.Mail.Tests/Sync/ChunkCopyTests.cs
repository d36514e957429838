using System.Text;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailImport.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Mail.Tests.Sync;

/// <summary>The one copy loop: every source's batches go journal, fetch, APPEND, record, save, in that order, and a
/// journal left by a chunk that died is reconciled before anything else moves.</summary>
[Collection(DovecotServers.Name)]
public class ChunkCopyTests(DovecotFixture servers)
{
    private sealed class SimulatedCrash() : Exception("simulated crash");

    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    private static List<byte[]> Messages(int count) =>
        Enumerable.Range(1, count).Select(i => Encoding.ASCII.GetBytes(MailCorpus.Message($"Message {i}", $"chunk-copy-{i}@test"))).ToList();

    [Fact]
    public async Task RunAsync_AnySource_JournalsEachBatchBeforeItsAppendAndSavesTheCursorAfter()
    {
        var destination = servers.Destination.AddUniqueUser("cc");
        var trace = new List<string>();
        var source = new MemorySource(Messages(3), trace);

        var result = await RunChunkAsync(source, destination, new TracingStore(new InMemoryCursorStore(), trace), trace, crashAt: null);

        Assert.Equal(
        [
            // The next batch is fetched while this one is appended; it is journaled before its own APPEND all the same.
            "save with journal UID 1, UID 2", "step Journaled", "fetch UID 1, UID 2", "step Fetched", "fetch UID 3", "step Appended",
            "appended UID 1", "appended UID 2", "advance UID 1, UID 2", "save", "step Saved",
            "save with journal UID 3", "step Journaled", "step Fetched", "step Appended",
            "appended UID 3", "advance UID 3", "save", "step Saved",
            "advance UID 1, UID 2, UID 3",
        ], trace);
        Assert.True(result.Completed);
        Assert.Equal(3, result.CopiedThisChunk);
        Assert.Equal(3, (await MailCorpus.SnapshotAsync(servers.Destination, destination))["INBOX"].Count);
    }

    [Fact]
    public async Task RunAsync_JournaledBatchAlreadyAppended_ReconciledNotCopiedAgain()
    {
        var destination = servers.Destination.AddUniqueUser("cc");
        var trace = new List<string>();
        var source = new MemorySource(Messages(3), trace);
        var store = new InMemoryCursorStore();

        await Assert.ThrowsAsync<SimulatedCrash>(() => RunChunkAsync(source, destination, store, trace, crashAt: CopyStep.Appended));
        Assert.Equal([1u, 2u], store.Current!.InFlight!.Uids);
        trace.Clear();
        var result = await RunChunkAsync(source, destination, store, trace, crashAt: null);

        Assert.Equal(["reconciled UID 1", "reconciled UID 2", "fetch UID 3"], trace.Where(t => t.StartsWith("reconciled", StringComparison.Ordinal) || t.StartsWith("fetch", StringComparison.Ordinal)));
        Assert.Null(store.Current!.InFlight);
        Assert.Equal(1, result.CopiedThisChunk);
        Assert.Equal(3, result.MessagesCopied);
        Assert.Equal(3, (await MailCorpus.SnapshotAsync(servers.Destination, destination))["INBOX"].Count);
    }

    [Fact]
    public async Task CopyChunkAsync_ImapAndPop3Sources_TakeTheSameStepsThroughOneBatchRoutine()
    {
        var source = servers.Source.AddUniqueUser("cs");
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });

        var imap = await StepsOfAsync(new MailboxJob("run-1", servers.Source.ImapSource, source, servers.Destination.Imaps, servers.Destination.AddUniqueUser("ci"), new() { BatchMessages = 2 }));
        var pop3 = await StepsOfAsync(new MailboxJob("run-1", servers.Source.Pop3Source, source, servers.Destination.Imaps, servers.Destination.AddUniqueUser("cp"), new() { BatchMessages = 2 }));

        Assert.Contains(CopyStep.Journaled, imap);
        Assert.Equal(imap, pop3);
    }

    private static async Task<List<CopyStep>> StepsOfAsync(MailboxJob job)
    {
        var steps = new List<CopyStep>();
        var copier = ImapCopyTests.NewCopier();
        // Appending fires from APPEND's transfer progress, as often as the server's literal sizes make it: not a step of the routine's order.
        copier.StepHook = step =>
        {
            if (step != CopyStep.Appending)
            {
                steps.Add(step);
            }

            return ValueTask.CompletedTask;
        };
        await ImapCopyTests.RunToEndAsync(copier, job, new InMemoryCursorStore(), Unlimited);
        return steps;
    }

    private async Task<ChunkResult> RunChunkAsync(MemorySource source, MailAccount destination, ICursorStore store, List<string> trace, CopyStep? crashAt)
    {
        var cursor = await store.LoadAsync(CancellationToken.None) ?? new MailboxCursor();
        using var client = await new MailConnector(new ConnectorOptions(), TestSourceAccess.LoopbackPolicy).OpenImapAsync(servers.Destination.Imaps, destination, MailSide.Destination, CancellationToken.None);
        var steps = new CopySteps(step =>
        {
            if (step == crashAt)
            {
                throw new SimulatedCrash();
            }

            if (step != CopyStep.Appending)
            {
                trace.Add($"step {step}");
            }

            return ValueTask.CompletedTask;
        });
        var progress = new ChunkProgress(cursor, Unlimited, 100, NullLogger.Instance);
        var chunk = new ChunkCopy(new CopyOptions { BatchMessages = 2 }, cursor, store, progress, source, new DestinationMailbox(client), steps, NullLogger.Instance);
        return await chunk.RunAsync(CancellationToken.None);
    }

    /// <summary>Writes each save into the trace, with the journal it holds.</summary>
    private sealed class TracingStore(ICursorStore inner, List<string> trace) : ICursorStore
    {
        public Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

        public Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken)
        {
            trace.Add(cursor.InFlight is { } journal ? $"save with journal {string.Join(", ", journal.Uids.Select(u => $"UID {u}"))}" : "save");
            return inner.SaveAsync(cursor, cancellationToken);
        }

        public Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken) => inner.TryLockAsync(cancellationToken);
    }
}
