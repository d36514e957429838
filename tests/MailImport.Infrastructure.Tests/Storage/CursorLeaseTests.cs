using Azure.Storage.Blobs;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Tests.Storage;

/// <summary>The cursor store's hold on a mailbox is a blob lease on Azurite: one holder at a time, free again once
/// released.</summary>
public sealed class CursorLeaseTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    [Fact]
    public async Task TryLockAsync_HeldElsewhere_IsRefusedUntilReleased()
    {
        var storage = new BatchStorage(new BlobServiceClient(azurite.Server.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        var first = storage.CursorStore(batchId, 1);
        var again = storage.CursorStore(batchId, 1);

        var hold = await first.TryLockAsync(CancellationToken.None);
        Assert.NotNull(hold);
        Assert.Null(await again.TryLockAsync(CancellationToken.None));
        await using (var otherLine = await storage.CursorStore(batchId, 2).TryLockAsync(CancellationToken.None))
        {
            Assert.NotNull(otherLine);
        }

        // Held past a lease's length (15 s): the hold is renewed, so it is still ours.
        await Task.Delay(TimeSpan.FromSeconds(20));
        Assert.False(hold.Lost.IsCancellationRequested);
        Assert.Null(await again.TryLockAsync(CancellationToken.None));

        await hold.DisposeAsync();
        await using var next = await again.TryLockAsync(CancellationToken.None);
        Assert.NotNull(next);
    }
}
