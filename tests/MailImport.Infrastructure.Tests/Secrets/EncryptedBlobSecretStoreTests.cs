using System.Security.Cryptography;
using Azure.Storage.Blobs;
using MailImport.Core;
using MailImport.Infrastructure.Secrets;
using Microsoft.Extensions.Time.Testing;

namespace MailImport.Infrastructure.Tests.Secrets;

/// <summary>The local secret store keeps expiries as Key Vault's <c>exp</c> is kept by <see cref="KeyVaultSecretStore"/>:
/// an expired secret reads as absent and is deleted when met; the expiry can be moved; nobody else can move it.</summary>
public sealed class EncryptedBlobSecretStoreTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private BlobContainerClient Container => new BlobServiceClient(azurite.Server.ConnectionString).GetBlobContainerClient("mailimport-secrets");

    private EncryptedBlobSecretStore Store() => new(Container, Key, clock);

    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task GetAsync_Expired_IsNotFound_AndTheBlobIsDeleted()
    {
        var store = Store();
        var name = $"t-{Guid.NewGuid():N}";
        await store.SetAsync(name, new Secret("expiring-value"), clock.GetUtcNow().AddHours(1), CancellationToken.None);
        Assert.Equal(new Secret("expiring-value"), await store.GetAsync(name, CancellationToken.None));

        clock.Advance(TimeSpan.FromHours(1));

        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(name, CancellationToken.None));
        Assert.False(await Container.GetBlobClient(name).ExistsAsync());
    }

    [Fact]
    public async Task SetExpiryAsync_MovesTheExpiry_OnlyOfASecretThatHasNotExpired()
    {
        var store = Store();
        var name = $"t-{Guid.NewGuid():N}";
        await store.SetAsync(name, new Secret("moved-value"), clock.GetUtcNow().AddHours(1), CancellationToken.None);

        Assert.True(await store.SetExpiryAsync(name, clock.GetUtcNow().AddHours(3), CancellationToken.None));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(new Secret("moved-value"), await store.GetAsync(name, CancellationToken.None));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.False(await store.SetExpiryAsync(name, clock.GetUtcNow().AddHours(3), CancellationToken.None));
        Assert.False(await store.SetExpiryAsync($"t-{Guid.NewGuid():N}", clock.GetUtcNow(), CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_ExpiryChangedInStorage_DoesNotDecrypt()
    {
        var store = Store();
        var name = $"t-{Guid.NewGuid():N}";
        await store.SetAsync(name, new Secret("bound-value"), clock.GetUtcNow().AddHours(1), CancellationToken.None);

        await Container.GetBlobClient(name).SetMetadataAsync(new Dictionary<string, string> { ["expireson"] = clock.GetUtcNow().AddYears(10).ToString("O") });

        await Assert.ThrowsAnyAsync<CryptographicException>(() => store.GetAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task SetAsync_WithoutExpiry_NeverExpires_AndDeleteSaysWhetherThereWasOne()
    {
        var store = Store();
        var name = $"t-{Guid.NewGuid():N}";
        await store.SetAsync(name, new Secret("lasting-value"), null, CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(new Secret("lasting-value"), await store.GetAsync(name, CancellationToken.None));
        Assert.True(await store.DeleteAsync(name, CancellationToken.None));
        Assert.False(await store.DeleteAsync(name, CancellationToken.None));
    }
}
