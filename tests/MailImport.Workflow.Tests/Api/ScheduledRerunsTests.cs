using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Tests.Api;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Tests.Api;

[Collection(WorkflowServers.Name)]
public sealed class ScheduledRerunsTests(WorkflowServersFixture servers)
{
    private static readonly DateTimeOffset LastRun = new(2026, 1, 1, 2, 0, 0, TimeSpan.Zero);

    private async Task<(BatchStorage Storage, string BatchId)> BatchAsync(string? schedule, bool closed = false)
    {
        var storage = new BatchStorage(new BlobServiceClient(servers.Azurite.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        var source = new SourceServer(MailProtocol.Imap, "imap.example.net", 993, TransportSecurity.SslOnConnect);
        await storage.SaveBatchAsync(new BatchDefinition(batchId, "example.org", source, new ImportOptions { Schedule = schedule }, LastRun)
        {
            Closed = closed,
            Runs = [new BatchRunRecord($"{batchId}-r1", RunMode.Full, LastRun)],
        }, CancellationToken.None);
        return (storage, batchId);
    }

    private static async Task<IReadOnlyList<string>> RunDueAsync(BatchStorage storage, IWorkflowEngine engine, DateTimeOffset now)
    {
        var workflow = Options.Create(new WorkflowOptions());
        var clock = new FixedClock(now);
        return await new ScheduledReruns(storage, engine, workflow, clock, new BatchSecrets(storage, new MemorySecretStore(), workflow, clock)).RunDueAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RunDueAsync_OccurrenceSinceLastRunHasCome_StartsOneIncrementalRun()
    {
        var (storage, batchId) = await BatchAsync("0 3 * * *");
        var engine = new RecordingEngine();

        var started = await RunDueAsync(storage, engine, LastRun.AddHours(1).AddMinutes(1));

        Assert.Contains($"{batchId}-r2", started);
        var (_, input) = Assert.Single(engine.Started, s => s.Input.BatchId == batchId);
        Assert.Equal(RunMode.Incremental, input.Mode);
        Assert.Equal(2, (await storage.LoadBatchAsync(batchId, CancellationToken.None))!.Runs.Count);

        // The run just recorded is now the last one: the next occurrence is tomorrow.
        Assert.DoesNotContain(await RunDueAsync(storage, engine, LastRun.AddHours(1).AddMinutes(2)), r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunDueAsync_BeforeTheOccurrence_StartsNothing()
    {
        var (storage, batchId) = await BatchAsync("0 3 * * *");

        Assert.DoesNotContain(await RunDueAsync(storage, new RecordingEngine(), LastRun.AddMinutes(59)), r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task RunDueAsync_ClosedOrStillRunning_StartsNothing(bool closed, bool running)
    {
        var (storage, batchId) = await BatchAsync("*/5 * * * *", closed);

        var started = await RunDueAsync(storage, new RecordingEngine(running ? $"{batchId}-r1" : null), LastRun.AddDays(1));

        Assert.DoesNotContain(started, r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0 3 * * *", true)]
    [InlineData("*/15 * * * *", true)]
    [InlineData("every day", false)]
    [InlineData("0 3 * *", false)]
    public void IsValid_FiveFieldCronOnly(string schedule, bool valid)
    {
        Assert.Equal(valid, ScheduledReruns.IsValid(schedule));
    }
}
