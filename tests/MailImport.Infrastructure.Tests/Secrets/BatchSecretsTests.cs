using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using MailImport.Core;
using MailImport.Core.Credentials;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace MailImport.Infrastructure.Tests.Secrets;

/// <summary>A batch's passwords sealed with its one data key, on Azurite with the local encrypted secret store: one
/// vault write per batch, sealed passwords bound to their batch, line and kind, a key that expires and can be moved
/// on, and a close that leaves nothing readable.</summary>
public sealed class BatchSecretsTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly WorkflowOptions workflow = new() { BatchIdleClose = TimeSpan.FromDays(30) };

    private BlobServiceClient Blobs => new(azurite.Server.ConnectionString);

    private async Task<(BatchSecrets Secrets, CountingSecretStore Store, BatchStorage Storage)> CreateAsync()
    {
        var storage = new BatchStorage(Blobs);
        await storage.EnsureContainersAsync(CancellationToken.None);
        var store = new CountingSecretStore(new EncryptedBlobSecretStore(Blobs.GetBlobContainerClient("mailimport-secrets"), RandomNumberGenerator.GetBytes(32), clock));
        return (new BatchSecrets(storage, store, Options.Create(workflow), clock), store, storage);
    }

    private static List<CredentialEntry> Lines(int count) =>
        Enumerable.Range(1, count).Select(i => new CredentialEntry(i, $"user{i}", new Secret($"Src pass {i}"), $"user{i}", new Secret($"Dst{i}!"))).ToList();

    private BlobClient LineBlob(string batchId, int line) => Blobs.GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId)).GetBlobClient($"{line}");

    // Where batches created before their own container kept the sealed passwords of a line.
    private BlobClient OlderLineBlob(string batchId, int line) => Blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobClient($"{batchId}/secrets/{line}");

    private async Task<List<string>> LeftAsync(string batchId)
    {
        var left = await Blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{batchId}/", CancellationToken.None).Select(b => b.Name).ToListAsync();
        var sealedPasswords = Blobs.GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId));
        if (await sealedPasswords.ExistsAsync())
        {
            left.Add($"container {sealedPasswords.Name}");
        }

        return left;
    }

    /// <summary>Moves a batch's sealed passwords to where batches kept them before they had a container of their own.</summary>
    private async Task MoveToTheOlderPlaceAsync(string batchId, int lines)
    {
        foreach (var line in Enumerable.Range(1, lines))
        {
            await OlderLineBlob(batchId, line).UploadAsync((await LineBlob(batchId, line).DownloadContentAsync()).Value.Content, overwrite: true);
        }

        await Blobs.GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId)).DeleteAsync();
    }

    [Fact]
    public async Task WriteAsync_FiveHundredLines_OneWriteToTheSecretStore_AndEveryPasswordReadsBack()
    {
        var (secrets, store, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");

        await secrets.WriteAsync(batchId, Lines(250), CancellationToken.None);
        await secrets.WriteAsync(batchId, Lines(500)[250..], CancellationToken.None);

        Assert.Equal(1, store.Writes);
        foreach (var line in new[] { 1, 250, 251, 500 })
        {
            Assert.Equal(new Secret($"Src pass {line}"), await secrets.GetAsync(batchId, line, LinePassword.Source, CancellationToken.None));
            Assert.Equal(new Secret($"Dst{line}!"), await secrets.GetAsync(batchId, line, LinePassword.Destination, CancellationToken.None));
        }

        // The unwrapped key is kept in memory for a while: the reads above asked the store for it at most once.
        Assert.True(store.Reads <= 1, $"{store.Reads} reads");
    }

    [Fact]
    public async Task GetAsync_SealedPasswordAlteredOrMoved_DoesNotDecrypt()
    {
        var (secrets, _, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(3), CancellationToken.None);
        var first = JsonNode.Parse((await LineBlob(batchId, 1).DownloadContentAsync()).Value.Content.ToString())!;

        // One bit of line 2's source password flipped.
        var second = JsonNode.Parse((await LineBlob(batchId, 2).DownloadContentAsync()).Value.Content.ToString())!;
        var bytes = Convert.FromBase64String(second["Src"]!.GetValue<string>());
        bytes[^1] ^= 1;
        second["Src"] = Convert.ToBase64String(bytes);
        await LineBlob(batchId, 2).UploadAsync(BinaryData.FromString(second.ToJsonString()), overwrite: true);
        // Line 1's blob copied over line 3's.
        await LineBlob(batchId, 3).UploadAsync(BinaryData.FromString(first.ToJsonString()), overwrite: true);
        // Line 1's source and destination passwords swapped.
        (first["Src"], first["Dst"]) = (first["Dst"]!.GetValue<string>(), first["Src"]!.GetValue<string>());
        await LineBlob(batchId, 1).UploadAsync(BinaryData.FromString(first.ToJsonString()), overwrite: true);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => secrets.GetAsync(batchId, 2, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => secrets.GetAsync(batchId, 3, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => secrets.GetAsync(batchId, 1, LinePassword.Destination, CancellationToken.None));
        // Untouched: line 2's destination password.
        Assert.Equal(new Secret("Dst2!"), await secrets.GetAsync(batchId, 2, LinePassword.Destination, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_LineOfAnotherBatch_DoesNotDecrypt()
    {
        var (secrets, store, _) = await CreateAsync();
        var batchA = Guid.NewGuid().ToString("N");
        var batchB = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchA, Lines(1), CancellationToken.None);
        await secrets.WriteAsync(batchB, Lines(1), CancellationToken.None);
        // Even with batch A's key given to batch B, A's sealed password names batch A.
        await store.SetAsync(SecretNames.BatchKey(batchB), await store.GetAsync(SecretNames.BatchKey(batchA), CancellationToken.None), null, CancellationToken.None);
        var (fresh, _, _) = await CreateAsync();
        await LineBlob(batchB, 1).UploadAsync((await LineBlob(batchA, 1).DownloadContentAsync()).Value.Content, overwrite: true);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => fresh.GetAsync(batchB, 1, LinePassword.Source, CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_KeyExpired_ReadsAsNotKept_UnlessARunMovedTheExpiryOn()
    {
        var (secrets, store, _) = await CreateAsync();
        var kept = Guid.NewGuid().ToString("N");
        var idle = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(kept, Lines(1), CancellationToken.None);
        await secrets.WriteAsync(idle, Lines(1), CancellationToken.None);

        // Twenty days on, a run of one batch starts: its key now lives until thirty days (and the margin) from then.
        clock.Advance(TimeSpan.FromDays(20));
        Assert.True(await secrets.ExtendAsync(kept, clock.GetUtcNow() + workflow.BatchIdleClose, CancellationToken.None));
        // Thirty days and the margin after ingestion, the other batch's key has expired.
        clock.Advance(TimeSpan.FromDays(11) + TimeSpan.FromMinutes(1));

        Assert.Equal(new Secret("Src pass 1"), await secrets.GetAsync(kept, 1, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(idle, 1, LinePassword.Source, CancellationToken.None));
        // Deleted when met, and an expired key is not brought back by a late run.
        Assert.False(await Blobs.GetBlobContainerClient("mailimport-secrets").GetBlobClient(SecretNames.BatchKey(idle)).ExistsAsync());
        Assert.False(await secrets.ExtendAsync(idle, clock.GetUtcNow() + workflow.BatchIdleClose, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(SecretNames.BatchKey(idle), CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_BatchWithoutDataKey_IsKeyNotFound()
    {
        var (secrets, store, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(2), CancellationToken.None);
        await store.DeleteAsync(SecretNames.BatchKey(batchId), CancellationToken.None);
        var (otherProcess, _, _) = await CreateAsync();

        // The blobs are still there; without the key they are noise (crypto-shredding).
        Assert.True(await LineBlob(batchId, 1).ExistsAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => otherProcess.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => otherProcess.GetAsync(Guid.NewGuid().ToString("N"), 1, LinePassword.Destination, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteDestinationPasswordAsync_KeepsTheSourcePassword()
    {
        var (secrets, _, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(2), CancellationToken.None);

        await secrets.DeleteDestinationPasswordAsync(batchId, 1, CancellationToken.None);
        await secrets.DeleteDestinationPasswordAsync(batchId, 1, CancellationToken.None);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, 1, LinePassword.Destination, CancellationToken.None));
        Assert.Equal(new Secret("Src pass 1"), await secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
        Assert.Equal(new Secret("Dst2!"), await secrets.GetAsync(batchId, 2, LinePassword.Destination, CancellationToken.None));
    }

    [Fact]
    public async Task OlderBatch_ItsLinesChangeWhereTheyAre_AndNewLinesGoIntoItsContainer()
    {
        var (secrets, _, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(2), CancellationToken.None);
        await MoveToTheOlderPlaceAsync(batchId, 2);

        await secrets.DeleteDestinationPasswordAsync(batchId, 1, CancellationToken.None);
        // A corrected file brings line 2 again, and a new line 3.
        await secrets.WriteAsync(batchId, Lines(3)[1..], CancellationToken.None);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, 1, LinePassword.Destination, CancellationToken.None));
        Assert.Equal(new Secret("Src pass 1"), await secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
        Assert.Equal(new Secret("Dst2!"), await secrets.GetAsync(batchId, 2, LinePassword.Destination, CancellationToken.None));
        Assert.Equal(new Secret("Dst3!"), await secrets.GetAsync(batchId, 3, LinePassword.Destination, CancellationToken.None));
        // Line 1 changed where it was; line 2 moved into the container, its older copy gone; line 3 is new.
        Assert.False(await LineBlob(batchId, 1).ExistsAsync());
        Assert.True(await OlderLineBlob(batchId, 1).ExistsAsync());
        Assert.True(await LineBlob(batchId, 2).ExistsAsync());
        Assert.False(await OlderLineBlob(batchId, 2).ExistsAsync());
        Assert.True(await LineBlob(batchId, 3).ExistsAsync());
    }

    [Fact]
    public async Task DeleteAllAsync_DeletesTheKeyAndEveryBlob()
    {
        var (secrets, store, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(40), CancellationToken.None);

        var deleted = await secrets.DeleteAllAsync(batchId, CancellationToken.None);

        // The key, and the batch's container with its 40 sealed passwords in one request.
        Assert.Equal(2, deleted);
        Assert.Equal(1, store.Deletes);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(SecretNames.BatchKey(batchId), CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, 7, LinePassword.Source, CancellationToken.None));
        Assert.Empty(await LeftAsync(batchId));
        Assert.Equal(0, await secrets.DeleteAllAsync(batchId, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAsync_OlderBatchInPagesOfSixteen_TheKeyGoesWithTheFirst_TheLastSaysNoneIsLeft()
    {
        var (secrets, store, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(40), CancellationToken.None);
        await MoveToTheOlderPlaceAsync(batchId, 40);
        Assert.Equal(new Secret("Src pass 40"), await secrets.GetAsync(batchId, 40, LinePassword.Source, CancellationToken.None));

        var first = await secrets.DeleteAsync(batchId, 16, CancellationToken.None);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(SecretNames.BatchKey(batchId), CancellationToken.None));
        var second = await secrets.DeleteAsync(batchId, 16, CancellationToken.None);
        var last = await secrets.DeleteAsync(batchId, 16, CancellationToken.None);

        Assert.Equal([(1 + 16, true), (16, true), (8, false)], new[] { first, second, last });
        Assert.Empty(await LeftAsync(batchId));
        Assert.Equal((0, false), await secrets.DeleteAsync(batchId, 16, CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_AfterTheKeyExpired_NewKeyAndTheOldLinesReadAsNotKept()
    {
        var (secrets, _, _) = await CreateAsync();
        var batchId = Guid.NewGuid().ToString("N");
        await secrets.WriteAsync(batchId, Lines(2), CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(40));

        // A corrected file brings line 2 again; line 1's sealed passwords were sealed with the lost key.
        await secrets.WriteAsync(batchId, Lines(2)[1..], CancellationToken.None);

        Assert.Equal(new Secret("Src pass 2"), await secrets.GetAsync(batchId, 2, LinePassword.Source, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
    }
}
