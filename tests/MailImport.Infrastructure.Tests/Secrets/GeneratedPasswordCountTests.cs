using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using MailImport.Core;
using MailImport.Core.Credentials;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace MailImport.Infrastructure.Tests.Secrets;

/// <summary>The count of generated passwords that wait for their download, on Azurite: one read of the waiting lines'
/// record, never a listing of a record per line, and right through hand-outs, downloads and batches from before the
/// record was kept.</summary>
public sealed class GeneratedPasswordCountTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ListingCounter listings = new();

    private async Task<(BatchSecrets Secrets, BlobContainerClient Batches, string BatchId)> BatchAsync(int lines)
    {
        var options = new BlobClientOptions();
        options.AddPolicy(listings, HttpPipelinePosition.PerCall);
        var blobs = new BlobServiceClient(azurite.Server.ConnectionString, options);
        var storage = new BatchStorage(blobs);
        await storage.EnsureContainersAsync(CancellationToken.None);
        var store = new EncryptedBlobSecretStore(blobs.GetBlobContainerClient("mailimport-secrets"), RandomNumberGenerator.GetBytes(32), clock);
        var secrets = new BatchSecrets(storage, store, Options.Create(new WorkflowOptions { BatchIdleClose = TimeSpan.FromDays(30) }), clock);
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, [.. Enumerable.Range(1, lines).Select(i => new CredentialEntry(i, $"user{i}", new Secret($"Src pass {i}"), $"user{i}", null))], CancellationToken.None);
        return (secrets, blobs.GetBlobContainerClient(BatchStorage.BatchesContainer), batchId);
    }

    /// <summary>What EnsureAccount does for a token line without a password: draw one, create the mailbox with it, hand it out.</summary>
    private static async Task HandOutAsync(BatchSecrets secrets, string batchId, int line)
    {
        var password = await secrets.GeneratedPasswordAsync(batchId, line, $"user{line}@example.org", () => new Secret($"Generated-{line}!"), CancellationToken.None);
        Assert.True(await secrets.HandOutGeneratedAsync(batchId, line, password, CancellationToken.None));
    }

    [Fact]
    public async Task CountGeneratedAsync_ThreeHandedOut_ThreeWithoutAListing_AndNoneOnceDownloaded()
    {
        var (secrets, _, batchId) = await BatchAsync(4);
        foreach (var line in new[] { 1, 3, 4 })
        {
            await HandOutAsync(secrets, batchId, line);
        }

        var before = listings.Count;
        Assert.Equal(3, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));
        Assert.Equal(0, listings.Count - before);

        var taken = await secrets.TakeGeneratedAsync(batchId, CancellationToken.None);

        Assert.Equal([1, 3, 4], taken.Select(p => p.Line));
        before = listings.Count;
        Assert.Equal(0, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));
        Assert.Equal(0, listings.Count - before);
        // A hand-out delivered again after the download finds nothing pending: nothing more waits.
        Assert.False(await secrets.HandOutGeneratedAsync(batchId, 3, new Secret("Generated-3!"), CancellationToken.None));
        Assert.Equal(0, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));
    }

    [Fact]
    public async Task CountGeneratedAsync_PasswordsReadyBeforeTheRecordWasKept_CountedByTheirRecords_AndTheNextHandOutKeepsThem()
    {
        var (secrets, batches, batchId) = await BatchAsync(4);
        foreach (var line in new[] { 1, 2, 3 })
        {
            await HandOutAsync(secrets, batchId, line);
        }

        // A batch whose passwords were handed out by a version that kept no record of the waiting lines.
        await batches.GetBlobClient(BatchStorage.GeneratedPasswordsWaitingName(batchId)).DeleteAsync();
        Assert.Equal(3, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));

        await HandOutAsync(secrets, batchId, 4);

        var before = listings.Count;
        Assert.Equal(4, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));
        Assert.Equal(0, listings.Count - before);
        Assert.Equal([1, 2, 3, 4], (await secrets.TakeGeneratedAsync(batchId, CancellationToken.None)).Select(p => p.Line));
    }

    [Fact]
    public async Task HandOutGeneratedAsync_TwelveLinesAtOnce_EveryLineCounted()
    {
        var (secrets, _, batchId) = await BatchAsync(12);

        await Task.WhenAll(Enumerable.Range(1, 12).Select(line => Task.Run(() => HandOutAsync(secrets, batchId, line))));

        Assert.Equal(12, await secrets.CountGeneratedAsync(batchId, CancellationToken.None));
    }

    /// <summary>Counts the Blob service's List Blobs calls (<c>comp=list</c>,
    /// https://learn.microsoft.com/rest/api/storageservices/list-blobs).</summary>
    private sealed class ListingCounter : HttpPipelineSynchronousPolicy
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Uri.Query.Contains("comp=list", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref count);
            }
        }
    }
}
