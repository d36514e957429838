using System.Diagnostics;
using Azure.Storage.Blobs;
using MailImport.Infrastructure.Limits;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Tests.Storage;

/// <summary>Concurrency slots on a real Azurite: N slots have at most N holders among many takers on several "hosts"
/// (each its own client and LeasedSlots, as each host process has), a slot given back is taken again, a holder that
/// stops renewing (a dead host) loses its slot once its lease lapses, and keys and kinds are apart. The contract tests
/// run on the in-process slots too, within one process.</summary>
public sealed class LeasedSlotsTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>"Hosts" that count the same slots: leased ones each over a client of its own, or one in-process instance.</summary>
    private async Task<IConcurrencySlots[]> HostsAsync(string implementation, int count, TimeSpan? lease = null)
    {
        if (implementation == "in-process")
        {
            var shared = new InProcessSlots();
            return [.. Enumerable.Repeat<IConcurrencySlots>(shared, count)];
        }

        var hosts = new IConcurrencySlots[count];
        for (var i = 0; i < count; i++)
        {
            var container = new BlobServiceClient(azurite.Server.ConnectionString).GetBlobContainerClient(BatchStorage.BatchesContainer);
            await container.CreateIfNotExistsAsync();
            hosts[i] = new LeasedSlots(container, lease);
        }

        return hosts;
    }

    private static string UniqueKey() => $"imap\n127.0.0.1\nuser-{Guid.NewGuid():N}@old.example";

    [Theory]
    [InlineData("leased")]
    [InlineData("in-process")]
    public async Task TryTakeAsync_TwelveTakersOnThreeHosts_NeverMoreHoldersThanSlots_AndEveryTakerGetsItsTurns(string implementation)
    {
        const int Slots = 3;
        var hosts = await HostsAsync(implementation, 3);
        var key = UniqueKey();
        var (holding, most, turns) = (0, 0, 0);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(taker => Task.Run(async () =>
        {
            var slots = hosts[taker % hosts.Length];
            for (var turn = 0; turn < 2; turn++)
            {
                await using var slot = await slots.TryTakeAsync(SlotKind.SourceAccount, key, Slots, Long, CancellationToken.None);
                Assert.NotNull(slot);
                var now = Interlocked.Increment(ref holding);
                InterlockedMax(ref most, now);
                // Long enough that the other takers pile up behind the three holders.
                await Task.Delay(100 + Random.Shared.Next(200));
                Interlocked.Decrement(ref holding);
                Interlocked.Increment(ref turns);
            }
        })));

        Assert.Equal(24, turns);
        Assert.Equal(Slots, most);
    }

    [Theory]
    [InlineData("leased")]
    [InlineData("in-process")]
    public async Task TryTakeAsync_SlotGivenBack_IsTakenAgainByAnotherHost(string implementation)
    {
        var hosts = await HostsAsync(implementation, 2);
        var key = UniqueKey();

        var first = await hosts[0].TryTakeAsync(SlotKind.SourceHost, key, 1, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await hosts[1].TryTakeAsync(SlotKind.SourceHost, key, 1, TimeSpan.Zero, CancellationToken.None));
        Assert.Null(await hosts[1].TryTakeAsync(SlotKind.SourceHost, key, 1, TimeSpan.FromSeconds(1), CancellationToken.None));
        await first.DisposeAsync();

        await using var again = await hosts[1].TryTakeAsync(SlotKind.SourceHost, key, 1, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(again);
    }

    [Theory]
    [InlineData("leased")]
    [InlineData("in-process")]
    public async Task TryTakeAsync_OneKeyFull_OtherKeysAndOtherKindsOfTheSameKeyAreNotHeldUp(string implementation)
    {
        var hosts = await HostsAsync(implementation, 2);
        var key = UniqueKey();
        await using var held = await hosts[0].TryTakeAsync(SlotKind.SourceAccount, key, 1, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(held);

        await using var otherKey = await hosts[1].TryTakeAsync(SlotKind.SourceAccount, UniqueKey(), 1, TimeSpan.Zero, CancellationToken.None);
        await using var otherKind = await hosts[1].TryTakeAsync(SlotKind.SourceHost, key, 1, TimeSpan.Zero, CancellationToken.None);
        await using var thirdKind = await hosts[1].TryTakeAsync(SlotKind.DestinationOrganisation, key, 1, TimeSpan.Zero, CancellationToken.None);

        Assert.NotNull(otherKey);
        Assert.NotNull(otherKind);
        Assert.NotNull(thirdKind);
        Assert.Null(await hosts[1].TryTakeAsync(SlotKind.SourceAccount, key, 1, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task TryTakeAsync_HolderStopsRenewing_ItsSlotIsFreeOnceTheLeaseLapses_WhileARenewedOneStaysHeld()
    {
        // The shortest lease Blob storage grants, so a dead host's slot comes free in 15 s instead of 60.
        var lease = LeasedSlots.LeaseRange.Shortest;
        var hosts = await HostsAsync("leased", 2, lease);
        var (deadKey, liveKey) = (UniqueKey(), UniqueKey());
        var live = await hosts[0].TryTakeAsync(SlotKind.SourceAccount, liveKey, 1, TimeSpan.Zero, CancellationToken.None);
        var dead = await hosts[0].TryTakeAsync(SlotKind.SourceAccount, deadKey, 1, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(live);
        Assert.NotNull(dead);

        // The host "dies": no more renewals, no release.
        await ((RenewedLease)dead).AbandonAsync();
        var died = Stopwatch.StartNew();
        Assert.Null(await hosts[1].TryTakeAsync(SlotKind.SourceAccount, deadKey, 1, TimeSpan.Zero, CancellationToken.None));

        await using var taken = await hosts[1].TryTakeAsync(SlotKind.SourceAccount, deadKey, 1, TimeSpan.FromSeconds(40), CancellationToken.None);

        Assert.NotNull(taken);
        // Not before the lease could lapse (15 s from its acquisition, just before the stopwatch started).
        Assert.True(died.Elapsed > lease - TimeSpan.FromSeconds(2), $"taken {died.Elapsed.TotalSeconds:0.0} s after its holder stopped renewing");
        // The live holder renewed past its lease's length: still its own.
        Assert.False(live.Lost.IsCancellationRequested);
        Assert.Null(await hosts[1].TryTakeAsync(SlotKind.SourceAccount, liveKey, 1, TimeSpan.Zero, CancellationToken.None));
        await live.DisposeAsync();
        await using var next = await hosts[1].TryTakeAsync(SlotKind.SourceAccount, liveKey, 1, TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task TryTakeAsync_SlotBlobs_NameTheKeyByItsHashAndHoldNothing()
    {
        var hosts = await HostsAsync("leased", 1);
        var login = $"canary-{Guid.NewGuid():N}@old.example";
        await using (var slot = await hosts[0].TryTakeAsync(SlotKind.SourceAccount, $"imap\nimap.old.example\n{login}", 2, TimeSpan.Zero, CancellationToken.None))
        {
            Assert.NotNull(slot);
        }

        var container = new BlobServiceClient(azurite.Server.ConnectionString).GetBlobContainerClient(BatchStorage.BatchesContainer);
        var blobs = await container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, LeasedSlots.Prefix, CancellationToken.None).ToListAsync();
        Assert.NotEmpty(blobs);
        Assert.DoesNotContain(blobs, b => b.Name.Contains("canary", StringComparison.OrdinalIgnoreCase) || b.Name.Contains("old.example", StringComparison.OrdinalIgnoreCase));
        Assert.All(blobs, b => Assert.Equal(0, b.Properties.ContentLength));
        Assert.Contains(blobs, b => b.Name.StartsWith(LeasedSlots.SlotPrefix(SlotKind.SourceAccount, $"imap\nimap.old.example\n{login}"), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(61)]
    public void New_LeaseOutsideBlobStoragesRange_IsRefused(int seconds)
    {
        var container = new BlobServiceClient(azurite.Server.ConnectionString).GetBlobContainerClient(BatchStorage.BatchesContainer);

        Assert.Throws<ArgumentOutOfRangeException>(() => new LeasedSlots(container, TimeSpan.FromSeconds(seconds)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
