using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Tests.Storage;

/// <summary>The batch record changes as one step on Azurite: no writer's change is lost to another's, and a closed
/// batch is never reopened.</summary>
public sealed class BatchRecordTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private static readonly SourceServer Source = new(MailProtocol.Imap, "imap.example.net", 993, TransportSecurity.SslOnConnect);

    private async Task<(BatchStorage Storage, string BatchId)> BatchAsync()
    {
        var storage = new BatchStorage(new BlobServiceClient(azurite.Server.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, "example.org", Source, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        return (storage, batchId);
    }

    [Fact]
    public async Task UpdateBatchAsync_TwentyWritersAtOnce_EveryChangeIsKept()
    {
        var (storage, batchId) = await BatchAsync();

        await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Run(() => storage.UpdateBatchAsync(batchId,
            b => b with { Runs = [.. b.Runs, new BatchRunRecord($"run-{i}", RunMode.Incremental, DateTimeOffset.UtcNow)] }, CancellationToken.None))));

        var batch = (await storage.LoadBatchAsync(batchId, CancellationToken.None))!;
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"run-{i}").Order(StringComparer.Ordinal), batch.Runs.Select(r => r.RunId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UpdateBatchAsync_ClosedBatch_StaysClosedWhateverTheChange()
    {
        var (storage, batchId) = await BatchAsync();
        await storage.UpdateBatchAsync(batchId, b => b with { Closed = true }, CancellationToken.None);

        var update = await storage.UpdateBatchAsync(batchId, b => b with { Closed = false, Options = b.Options with { Schedule = "0 3 * * *" } }, CancellationToken.None);

        Assert.True(update!.Value.Batch.Closed);
        Assert.True((await storage.LoadBatchAsync(batchId, CancellationToken.None))!.Closed);
    }

    [Fact]
    public async Task UpdateBatchAsync_ChangeDeclines_NothingWrittenAndUnknownBatchIsNull()
    {
        var (storage, batchId) = await BatchAsync();

        var declined = await storage.UpdateBatchAsync(batchId, _ => null, CancellationToken.None);

        Assert.False(declined!.Value.Changed);
        Assert.Null(await storage.UpdateBatchAsync(Guid.NewGuid().ToString("N"), b => b, CancellationToken.None));
    }
}
