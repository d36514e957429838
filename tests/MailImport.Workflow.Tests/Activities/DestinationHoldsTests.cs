using System.Text.Json;
using Azure.Storage.Blobs;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.Api;
using MailImport.Workflow.Tests.EndToEnd;

namespace MailImport.Workflow.Tests.Activities;

/// <summary>The hold on a destination mailbox, on the real Azurite: one batch's line at a time, whoever asks.</summary>
[Collection(WorkflowServers.Name)]
public sealed class DestinationHoldsTests(WorkflowServersFixture servers)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);
    private readonly FixedClock clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly string login = $"ivan.petrov{Guid.NewGuid():N}@example.org";

    private BatchStorage? storage;

    private async Task<DestinationHolds> HoldsAsync()
    {
        storage = new BatchStorage(new BlobServiceClient(servers.Azurite.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        return new DestinationHolds(storage, clock);
    }

    private static DestinationHold Line(string batch, int line = 1, string run = "r1") => new(batch, $"{batch}-{run}", line);

    [Fact]
    public async Task SecondBatch_IsToldWhoHoldsTheMailbox_UntilTheFirstReleasesIt()
    {
        var holds = await HoldsAsync();

        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("a"), Lifetime, CancellationToken.None));
        var holder = await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None);
        Assert.Equal(("a", 1, clock.Now + Lifetime), (holder!.BatchId, holder.Line, holder.ExpiresAt));

        await holds.ReleaseAsync("imap.example.net", login, Line("b"), CancellationToken.None);
        Assert.NotNull(await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None));

        await holds.ReleaseAsync("imap.example.net", login, Line("a"), CancellationToken.None);
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None));
    }

    [Fact]
    public async Task Release_WritesTheHoldLapsed_AndLeavesTheRecordToTheSweep()
    {
        var holds = await HoldsAsync();
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("a"), Lifetime, CancellationToken.None));

        Assert.False(await holds.ReleaseAsync("imap.example.net", login, Line("b"), CancellationToken.None));
        Assert.True(await holds.ReleaseAsync("imap.example.net", login, Line("a"), CancellationToken.None));

        // Still there (the sweep deletes it a day on), lapsed: the next batch takes it at once.
        var record = await storage!.LoadRecordAsync(DestinationHolds.RecordName("imap.example.net", login), CancellationToken.None);
        var lapsed = record!.Value.Content.ToObjectFromJson<DestinationHold>(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(("a", 1, DateTimeOffset.MinValue), (lapsed!.BatchId, lapsed.Line, lapsed.ExpiresAt));
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None));
    }

    [Fact]
    public async Task HolderRenewing_KeepsItPastTheFirstLifetime_AndAnotherRunOfTheSameLineIsNotKeptOut()
    {
        var holds = await HoldsAsync();
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("a"), Lifetime, CancellationToken.None));

        clock.Now += Lifetime - TimeSpan.FromMinutes(1);
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("a", run: "r2"), Lifetime, CancellationToken.None));
        clock.Now += TimeSpan.FromMinutes(2);

        Assert.NotNull(await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None));
        Assert.NotNull(await holds.TryHoldAsync("imap.example.net", login, Line("a", line: 2), Lifetime, CancellationToken.None));
    }

    [Fact]
    public async Task HoldNobodyRenewed_LapsesAfterItsLifetime()
    {
        var holds = await HoldsAsync();
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("dead"), Lifetime, CancellationToken.None));

        clock.Now += Lifetime + TimeSpan.FromSeconds(1);

        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("b"), Lifetime, CancellationToken.None));
        Assert.Equal("b", (await holds.TryHoldAsync("imap.example.net", login, Line("dead"), Lifetime, CancellationToken.None))!.BatchId);
    }

    [Fact]
    public async Task LoginsTheDestinationTreatsAsOne_ShareTheHold_OtherServersAndLoginsDoNot()
    {
        var holds = await HoldsAsync();
        Assert.Null(await holds.TryHoldAsync("imap.example.net", login, Line("a"), Lifetime, CancellationToken.None));

        Assert.NotNull(await holds.TryHoldAsync("IMAP.example.net", login.ToUpperInvariant().Replace('.', '-'), Line("b"), Lifetime, CancellationToken.None));
        Assert.Null(await holds.TryHoldAsync("imap.other.example", login, Line("b"), Lifetime, CancellationToken.None));
        Assert.Null(await holds.TryHoldAsync("imap.example.net", "x" + login, Line("b"), Lifetime, CancellationToken.None));
    }

    [Fact]
    public async Task ManyBatchesAtOnce_ExactlyOneGetsTheHold()
    {
        var holds = await HoldsAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => holds.TryHoldAsync("imap.example.net", login, Line($"b{i}"), Lifetime, CancellationToken.None)));

        Assert.Single(answers, a => a is null);
        var winner = Enumerable.Range(0, 8).Single(i => answers[i] is null);
        Assert.All(answers.Where(a => a is not null), a => Assert.Equal($"b{winner}", a!.BatchId));
    }
}
