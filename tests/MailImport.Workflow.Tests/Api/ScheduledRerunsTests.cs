using System.Text;
using Azure.Storage.Blobs;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The timer's pass on real Azurite with the local secret store: scheduled re-runs started, idle batches closed
/// with their secrets and upload deleted, interrupted closes finished.</summary>
[Collection(WorkflowServers.Name)]
public sealed class ScheduledRerunsTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private static readonly DateTimeOffset LastRun = new(2026, 1, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan IdleClose = TimeSpan.FromDays(30);
    private ServiceProvider services = null!;

    private BatchStorage Storage => services.GetRequiredService<BatchStorage>();

    private BatchSecrets Secrets => services.GetRequiredService<BatchSecrets>();

    public async Task InitializeAsync()
    {
        services = await EmbeddedWorkflowHost.BuildServicesAsync(WorkflowSettings.For(servers.Destination, servers.Azurite));
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    /// <summary>A batch whose first run started at <see cref="LastRun"/>, with one mailbox's two passwords stored and
    /// its raw upload still there.</summary>
    private async Task<string> BatchAsync(string? schedule, bool closed = false, Func<BatchDefinition, BatchDefinition>? change = null)
    {
        var batchId = Guid.NewGuid().ToString("N");
        var source = new SourceServer(MailProtocol.Imap, "imap.example.net", 993, TransportSecurity.SslOnConnect);
        var batch = new BatchDefinition(batchId, "example.org", source, new ImportOptions { Schedule = schedule }, LastRun)
        {
            Closed = closed,
            Runs = [new BatchRunRecord($"{batchId}-r1", RunMode.Full, LastRun)],
        };
        await Storage.SaveBatchAsync(change?.Invoke(batch) ?? batch, CancellationToken.None);
        await Storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes("ivan Secret12\n"), isJson: false, CancellationToken.None);
        await Secrets.WriteAsync(batchId, [new CredentialEntry(1, "ivan", new Secret("Secret12"), "ivan", new Secret("Secret12"))], CancellationToken.None);
        return batchId;
    }

    /// <summary>One pass of the timer at <paramref name="now"/>, built as the hosts build it, on that clock.</summary>
    private async Task<IReadOnlyList<string>> RunDueAsync(IWorkflowEngine engine, DateTimeOffset now)
    {
        var clock = new FixedClock(now);
        var steps = ActivatorUtilities.CreateInstance<BatchSteps>(services, clock);
        return await ActivatorUtilities.CreateInstance<ScheduledReruns>(services, engine, steps, clock).RunDueAsync(CancellationToken.None);
    }

    [Fact]
    public async Task RunDueAsync_DeletesIdempotencyAndHoldRecordsOnceNothingReadsThem_AndKeepsNewerOnes()
    {
        var key = BatchStorage.IdempotencyRecordName(Guid.NewGuid().ToString("N"));
        var hold = BatchStorage.DestinationHoldRecordName(Guid.NewGuid().ToString("N"));
        foreach (var name in new[] { key, hold })
        {
            Assert.True(await Storage.SaveRecordAsync(name, BinaryData.FromString("{}"), null, CancellationToken.None));
        }

        // Written just now: a pass now and a day and a half on keeps both; a key outlives a hold, which a day ends.
        await RunDueAsync(new RecordingEngine(), DateTimeOffset.UtcNow);
        await RunDueAsync(new RecordingEngine(), DateTimeOffset.UtcNow + TimeSpan.FromHours(36));
        Assert.NotNull(await Storage.LoadRecordAsync(key, CancellationToken.None));
        Assert.Null(await Storage.LoadRecordAsync(hold, CancellationToken.None));

        await RunDueAsync(new RecordingEngine(), DateTimeOffset.UtcNow + TimeSpan.FromDays(3));
        Assert.Null(await Storage.LoadRecordAsync(key, CancellationToken.None));
    }

    private async Task<BatchDefinition> LoadAsync(string batchId) => (await Storage.LoadBatchAsync(batchId, CancellationToken.None))!;

    private async Task<bool> SecretsLeftAsync(string batchId)
    {
        try
        {
            await Secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return await Storage.HasCredentialsAsync(batchId, CancellationToken.None);
        }
    }

    private IEnumerable<CapturedLine> LinesOf(string batchId, int eventId) =>
        services.GetRequiredService<CapturingLoggerProvider>().Entries
            .Where(l => l.EventId.Id == eventId && (l.Message.Contains(batchId, StringComparison.Ordinal) || l.Scopes.Any(s => s.Contains(batchId, StringComparison.Ordinal))));

    [Fact]
    public async Task RunDueAsync_OccurrenceSinceLastRunHasCome_StartsOneIncrementalRun()
    {
        var batchId = await BatchAsync("0 3 * * *");
        var engine = new RecordingEngine();

        var started = await RunDueAsync(engine, LastRun.AddHours(1).AddMinutes(1));

        Assert.Contains($"{batchId}-r2", started);
        var (_, input) = Assert.Single(engine.Started, s => s.Input.BatchId == batchId);
        Assert.Equal(RunMode.Incremental, input.Mode);
        var runs = (await LoadAsync(batchId)).Runs;
        Assert.Equal(2, runs.Count);
        Assert.True(runs[1].Scheduled, "the schedule's run is not recorded as the schedule's");

        // The run just recorded is now the last one: the next occurrence is tomorrow.
        Assert.DoesNotContain(await RunDueAsync(engine, LastRun.AddHours(1).AddMinutes(2)), r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunDueAsync_BeforeTheOccurrence_StartsNothing()
    {
        var batchId = await BatchAsync("0 3 * * *");

        Assert.DoesNotContain(await RunDueAsync(new RecordingEngine(), LastRun.AddMinutes(59)), r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task RunDueAsync_ClosedOrStillRunning_StartsNothing(bool closed, bool running)
    {
        var batchId = await BatchAsync("*/5 * * * *", closed);

        var started = await RunDueAsync(new RecordingEngine(running ? $"{batchId}-r1" : null), LastRun.AddDays(1));

        Assert.DoesNotContain(started, r => r.StartsWith(batchId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunDueAsync_BatchIdlePastTheLimit_IsClosedWithItsSecretsAndUploadDeleted()
    {
        var batchId = await BatchAsync(schedule: null);
        var closesAt = LastRun + IdleClose;
        Assert.Equal(closesAt, BatchRetention.ClosesAt(await LoadAsync(batchId), IdleClose));

        await RunDueAsync(new RecordingEngine(), closesAt.AddMinutes(-1));
        Assert.False((await LoadAsync(batchId)).Closed, "closed a minute before its limit");
        Assert.True(await SecretsLeftAsync(batchId));

        var now = closesAt.AddMinutes(1);
        Assert.Empty(await RunDueAsync(new RecordingEngine(), now));

        var batch = await LoadAsync(batchId);
        Assert.Equal((true, BatchCloseReason.Idle, now, now), (batch.Closed, batch.ClosedFor, batch.ClosedAt, batch.SecretsDeletedAt));
        Assert.False(await SecretsLeftAsync(batchId), "a password or the upload outlived the idle close");
        Assert.Null(BatchRetention.ClosesAt(batch, IdleClose));
        Assert.Single(LinesOf(batchId, 6023));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunDueAsync_RecentRunOrRunGoing_IsNotClosed(bool running)
    {
        // Either a second run started a day ago, or the first, started long ago, still goes on.
        var batchId = await BatchAsync(schedule: null, change: b => running ? b : b with { Runs = [.. b.Runs, new BatchRunRecord($"{b.BatchId}-r2", RunMode.RetryFailed, LastRun + IdleClose)] });
        var now = LastRun + IdleClose + TimeSpan.FromDays(1);

        await RunDueAsync(new RecordingEngine(running ? $"{batchId}-r1" : null), now);

        Assert.False((await LoadAsync(batchId)).Closed);
        Assert.True(await SecretsLeftAsync(batchId));
        Assert.Empty(LinesOf(batchId, 6023));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public async Task RunDueAsync_ScheduledRunsThatAllFail_DoNotKeepTheBatchOpen(int succeededPerRun, bool closed)
    {
        // Daily runs for 31 days after the first; each ended with succeededPerRun mailboxes done.
        var batchId = await BatchAsync("0 3 * * *", change: b => b with
        {
            Runs = [.. b.Runs, .. Enumerable.Range(1, 31).Select(day => new BatchRunRecord($"{b.BatchId}-r{day + 1}", RunMode.Incremental, LastRun.AddDays(day).AddHours(1))
            {
                Scheduled = true, EndedAt = LastRun.AddDays(day).AddHours(2), MailboxesSucceeded = succeededPerRun,
            })],
        });
        // After the last run ended, before the next occurrence: nothing is due.
        var now = LastRun.AddDays(31).AddHours(3);

        var started = await RunDueAsync(new RecordingEngine(), now);

        Assert.DoesNotContain(started, r => r.StartsWith(batchId, StringComparison.Ordinal));
        Assert.Equal(closed, (await LoadAsync(batchId)).Closed);
        Assert.Equal(!closed, await SecretsLeftAsync(batchId));
    }

    [Fact]
    public async Task RunDueAsync_ScheduleRarerThanTheLimit_KeepsTheBatchOpenUntilItsNextOccurrence()
    {
        // Twice a year, on 1 January and 1 July at 03:00: the next occurrence after the run is 1 January 03:00.
        var batchId = await BatchAsync("0 3 1 1,7 *", change: b => b with { Runs = [new BatchRunRecord($"{b.BatchId}-r1", RunMode.Full, LastRun.AddHours(2))] });
        var batch = await LoadAsync(batchId);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 3, 0, 0, TimeSpan.Zero) + IdleClose, BatchRetention.ClosesAt(batch, IdleClose));

        await RunDueAsync(new RecordingEngine(), LastRun.AddDays(60));

        Assert.False((await LoadAsync(batchId)).Closed);
        Assert.True(await SecretsLeftAsync(batchId));
    }

    [Fact]
    public async Task RunDueAsync_CloseInterruptedAfterTheMark_IsFinishedOnceByTheNextPass()
    {
        // The process died between marking the batch closed and deleting: the mark is there, so are the secrets.
        var markedAt = LastRun.AddDays(1);
        var batchId = await BatchAsync(schedule: null, closed: true, change: b => b with { ClosedAt = markedAt, ClosedFor = BatchCloseReason.Requested });

        // A close marked a minute ago may still be deleting: it is left to finish.
        await RunDueAsync(new RecordingEngine(), markedAt.AddMinutes(1));
        Assert.True(await SecretsLeftAsync(batchId));

        var now = markedAt.AddHours(1);
        await RunDueAsync(new RecordingEngine(), now);

        Assert.False(await SecretsLeftAsync(batchId), "the interrupted close left a password or the upload");
        var batch = await LoadAsync(batchId);
        Assert.Equal((markedAt, now), (batch.ClosedAt, batch.SecretsDeletedAt));
        Assert.Single(LinesOf(batchId, 6024));

        // Finished: later passes leave it alone.
        await RunDueAsync(new RecordingEngine(), now.AddHours(1));
        Assert.Single(LinesOf(batchId, 6024));
        Assert.Equal(now, (await LoadAsync(batchId)).SecretsDeletedAt);
    }

    [Fact]
    public async Task RunDueAsync_SealedPasswordsWrittenAfterTheClose_AreDeletedByAPassWithinADay()
    {
        // Closed and its secrets deleted an hour ago; then a step that had read the key before wrote a line again,
        // which made the batch's container of sealed passwords anew.
        var deletedAt = LastRun.AddDays(1);
        var batchId = await BatchAsync(schedule: null, closed: true,
            change: b => b with { ClosedAt = deletedAt, ClosedFor = BatchCloseReason.Requested, SecretsDeletedAt = deletedAt });
        var container = services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId));
        Assert.True(await container.ExistsAsync());

        await RunDueAsync(new RecordingEngine(), deletedAt.AddHours(1));

        Assert.False(await container.ExistsAsync());
        Assert.Single(LinesOf(batchId, 6064));
        await RunDueAsync(new RecordingEngine(), deletedAt.AddHours(2));
        Assert.Single(LinesOf(batchId, 6064));
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
