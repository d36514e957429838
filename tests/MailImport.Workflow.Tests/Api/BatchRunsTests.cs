using System.Text;
using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The run starter over the real Azurite and an engine that records: what it stores, what it schedules, and
/// when it refuses.</summary>
[Collection(WorkflowServers.Name)]
public sealed class BatchRunsTests(WorkflowServersFixture servers)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly SourceServer Source = new(MailProtocol.Imap, "imap.example.net", 993, TransportSecurity.SslOnConnect);

    private async Task<BatchStorage> StorageAsync()
    {
        var storage = new BatchStorage(new BlobServiceClient(servers.Azurite.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        return storage;
    }

    private static BatchRuns Runs(BatchStorage storage, RecordingEngine engine, MemorySecretStore? secrets = null, DateTimeOffset? now = null)
    {
        var workflow = Options.Create(new WorkflowOptions { MaxMailboxesInFlight = 3, ChunksPerGeneration = 7 });
        var clock = new FixedClock(now ?? Now);
        return new(storage, engine, workflow, clock, new BatchSecrets(storage, secrets ?? new MemorySecretStore(clock), workflow, clock));
    }

    private static async Task<BatchDefinition> BatchAsync(BatchStorage storage, bool closed = false)
    {
        var batchId = Guid.NewGuid().ToString("N");
        var batch = new BatchDefinition(batchId, "example.org", Source, new ImportOptions(), Now.AddDays(-1))
        {
            Closed = closed,
            Runs = [new BatchRunRecord($"{batchId}-r1", RunMode.Full, Now.AddDays(-1))],
        };
        await storage.SaveBatchAsync(batch, CancellationToken.None);
        return batch;
    }

    private static CredentialUpload Upload(string file)
    {
        var bytes = Encoding.UTF8.GetBytes(file);
        return new CredentialUpload(bytes, false, CredentialFile.Parse(bytes));
    }

    [Theory]
    [InlineData(false, RunMode.Full)]
    [InlineData(true, RunMode.DryRun)]
    public async Task StartFirst_NewImport_StoresBatchAndCredentialsAndStartsRunOne(bool dryRun, RunMode mode)
    {
        var storage = await StorageAsync();
        var engine = new RecordingEngine();
        var upload = Upload("ivan Secret12\nbad_name Secret12\nbad_name2 Secret12\nmaria Other#99\n");

        var started = await Runs(storage, engine).StartFirstAsync(new NewImport("example.org", Source, new ImportOptions { DryRun = dryRun }, upload), CancellationToken.None);

        Assert.Equal($"{started.BatchId}-r1", started.RunId);
        Assert.Equal((2, 2), (started.Mailboxes, started.InvalidLines));
        var batch = await storage.LoadBatchAsync(started.BatchId, CancellationToken.None);
        Assert.Equal(new BatchRunRecord(started.RunId, mode, Now), Assert.Single(batch!.Runs));
        Assert.Equal(("example.org", Now), (batch.Domain, batch.CreatedAt));
        Assert.Equal(upload.Bytes, (await storage.ReadCredentialsAsync(started.BatchId, started.RunId, CancellationToken.None))!.Value.Content);
        var (orchestration, input) = Assert.Single(engine.Started);
        Assert.Equal(WorkflowNames.ImportBatch, orchestration);
        Assert.Equal(new BatchRunInput(started.BatchId, started.RunId, mode, 3, 7), input);
    }

    [Fact]
    public async Task StartNext_LastRunEnded_RecordsRunTwoAndStartsIt()
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var engine = new RecordingEngine();

        var start = await Runs(storage, engine).StartNextAsync(batch, RunMode.Incremental, null, CancellationToken.None);

        Assert.Null(start.Refusal);
        Assert.Equal(new StartedRun(batch.BatchId, $"{batch.BatchId}-r2", 0, 0), start.Run);
        Assert.Equal(new BatchRunRecord($"{batch.BatchId}-r2", RunMode.Incremental, Now), (await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!.Runs[^1]);
        Assert.Equal(new BatchRunInput(batch.BatchId, $"{batch.BatchId}-r2", RunMode.Incremental, 3, 7), Assert.Single(engine.Started).Input);
    }

    [Fact]
    public async Task StartNext_And_StartScheduled_MoveTheDataKeysExpiryToTheirIdleTimeAndTheMargin()
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var secrets = new MemorySecretStore(new FixedClock(Now));
        var workflow = Options.Create(new WorkflowOptions());
        await new BatchSecrets(storage, secrets, workflow, new FixedClock(Now)).WriteAsync(batch.BatchId, [new CredentialEntry(1, "ivan", new MailImport.Core.Secret("Secret12"), "ivan", new MailImport.Core.Secret("Secret12"))], CancellationToken.None);
        Assert.Equal(Now + TimeSpan.FromDays(31), secrets.ExpiryOf(SecretNames.BatchKey(batch.BatchId)));

        var rerunAt = Now.AddDays(20);
        var start = await Runs(storage, new RecordingEngine(), secrets, rerunAt).StartNextAsync(batch, RunMode.Incremental, null, CancellationToken.None);

        Assert.Null(start.Refusal);
        Assert.Equal(rerunAt + TimeSpan.FromDays(30) + BatchSecrets.KeyExpiryMargin, secrets.ExpiryOf(SecretNames.BatchKey(batch.BatchId)));
        var scheduledAt = Now.AddDays(25);
        var current = (await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!;
        Assert.NotNull(await Runs(storage, new RecordingEngine(), secrets, scheduledAt).StartScheduledAsync(current, scheduledAt, CancellationToken.None));
        Assert.Equal(scheduledAt + TimeSpan.FromDays(30) + BatchSecrets.KeyExpiryMargin, secrets.ExpiryOf(SecretNames.BatchKey(batch.BatchId)));
    }

    [Fact]
    public async Task StartNext_WithCorrection_UploadsItAndCountsTheManifestItLeaves()
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        await storage.SaveManifestAsync(batch.BatchId, new Manifest([new ManifestEntry(1, "ivan", "ivan")], []), CancellationToken.None);
        var correction = Upload("maria Other#99\nbad_name Secret12\n");

        var start = await Runs(storage, new RecordingEngine()).StartNextAsync(batch, RunMode.RetryFailed, correction, CancellationToken.None);

        // ivan kept, maria added, bad_name refused by the rules: the answer counts what the run's first activity will see.
        Assert.Equal((2, 1), (start.Run!.Mailboxes, start.Run.InvalidLines));
        Assert.Equal(correction.Bytes, (await storage.ReadCredentialsAsync(batch.BatchId, start.Run.RunId, CancellationToken.None))!.Value.Content);
    }

    [Fact]
    public async Task StartNext_WithCorrection_KeepsItApartFromAnEarlierRunsUpload()
    {
        // A first upload that was not read yet is not replaced by the next run's corrected file: each has its run's name.
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var first = Upload("ivan Secret12\n");
        await storage.UploadCredentialsAsync(batch.BatchId, batch.Runs[^1].RunId, first.Bytes, first.IsJson, CancellationToken.None);
        var correction = Upload("maria Other#99\n");

        var start = await Runs(storage, new RecordingEngine()).StartNextAsync(batch, RunMode.RetryFailed, correction, CancellationToken.None);

        Assert.Equal(first.Bytes, (await storage.ReadCredentialsAsync(batch.BatchId, batch.Runs[^1].RunId, CancellationToken.None))!.Value.Content);
        Assert.Equal(correction.Bytes, (await storage.ReadCredentialsAsync(batch.BatchId, start.Run!.RunId, CancellationToken.None))!.Value.Content);
        await storage.DeleteAllCredentialsAsync(batch.BatchId, CancellationToken.None);
        Assert.False(await storage.HasCredentialsAsync(batch.BatchId, CancellationToken.None));
    }

    [Fact]
    public async Task StartNext_RunGoing_Refuses()
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var engine = new RecordingEngine(running: batch.Runs[^1].RunId);

        var start = await Runs(storage, engine).StartNextAsync(batch, RunMode.RetryFailed, Upload("ivan Secret12\n"), CancellationToken.None);

        Assert.Equal(RunStart.Refused(RunRefusal.RunGoing), start);
        Assert.Empty(engine.Started);
        Assert.Single((await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!.Runs);
        Assert.False(await storage.HasCredentialsAsync(batch.BatchId, CancellationToken.None));
    }

    [Fact]
    public async Task StartNext_BatchClosed_RefusesWithoutAskingTheEngine()
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage, closed: true);
        var engine = new RecordingEngine();

        var start = await Runs(storage, engine).StartNextAsync(batch, RunMode.Incremental, null, CancellationToken.None);

        Assert.Equal(RunStart.Refused(RunRefusal.BatchClosed), start);
        Assert.Equal((0, 0), (engine.StateQueries, engine.Started.Count));
        Assert.Single((await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!.Runs);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task StartScheduled_StartsAnIncrementalRunAtTheGivenTime_UnlessOneIsGoing(bool going, bool starts)
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var engine = new RecordingEngine(going ? batch.Runs[^1].RunId : null);
        var at = Now.AddMinutes(-3);

        var run = await Runs(storage, engine).StartScheduledAsync(batch, at, CancellationToken.None);

        Assert.Equal(starts ? new BatchRunRecord($"{batch.BatchId}-r2", RunMode.Incremental, at) { Scheduled = true } : null, run);
        Assert.Equal(starts ? 2 : 1, (await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!.Runs.Count);
        Assert.Equal(starts ? 1 : 0, engine.Started.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stop_TerminatesTheLastRunOnlyWhileItGoes(bool going)
    {
        var storage = await StorageAsync();
        var batch = await BatchAsync(storage);
        var engine = new RecordingEngine(going ? batch.Runs[^1].RunId : null);

        await Runs(storage, engine).StopAsync(batch, "closed", CancellationToken.None);

        Assert.Equal(going ? [batch.Runs[^1].RunId] : new List<string>(), engine.Terminated);
    }

    [Fact]
    public async Task StartNext_ThreeAtOnce_OneRunStartsAndTheOthersAreToldARunIsGoing()
    {
        var storage = await StorageAsync();
        var engine = new RecordingEngine();
        var batch = await BatchAsync(storage);
        var runs = Runs(storage, engine);

        // All three read the batch before any of them recorded its run, as three simultaneous requests do.
        var starts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => runs.StartNextAsync(batch, RunMode.RetryFailed, null, CancellationToken.None))));

        Assert.Single(starts, s => s.Run is not null);
        Assert.Equal(2, starts.Count(s => s.Refusal == RunRefusal.RunGoing));
        var stored = (await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!;
        Assert.Equal([$"{batch.BatchId}-r1", $"{batch.BatchId}-r2"], stored.Runs.Select(r => r.RunId));
        Assert.Single(engine.Started);
    }

    [Fact]
    public async Task StartNext_ClosedAfterTheBatchWasRead_RefusedAndTheBatchStaysClosed()
    {
        var storage = await StorageAsync();
        var engine = new RecordingEngine();
        var batch = await BatchAsync(storage);
        await storage.UpdateBatchAsync(batch.BatchId, b => b with { Closed = true }, CancellationToken.None);

        var start = await Runs(storage, engine).StartNextAsync(batch, RunMode.Incremental, null, CancellationToken.None);
        var scheduled = await Runs(storage, engine).StartScheduledAsync(batch, Now, CancellationToken.None);

        Assert.Equal(RunRefusal.BatchClosed, start.Refusal);
        Assert.Null(scheduled);
        var stored = (await storage.LoadBatchAsync(batch.BatchId, CancellationToken.None))!;
        Assert.True(stored.Closed);
        Assert.Single(stored.Runs);
        Assert.Empty(engine.Started);
    }
}
