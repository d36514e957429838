using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>The local stand-in for Key Vault: secrets encrypted with AES-256-GCM under a key from local settings (or
/// the key file the local host makes, <see cref="LocalSecretKeyFile"/>), stored as blobs (on Azurite), so no password
/// ever sits in storage in clear text.</summary>
/// <remarks>Each blob is nonce (12 bytes) | tag (16 bytes) | ciphertext. The secret's name is the associated data, and
/// so is its expiry when it has one (kept as the blob's metadata <c>expireson</c>), so a ciphertext copied under
/// another name, or an expiry moved by anyone but this store, does not decrypt. An expired secret reads as absent and
/// is deleted when met, as <see cref="KeyVaultSecretStore"/> treats Key Vault's <c>exp</c>.</remarks>
public sealed class EncryptedBlobSecretStore : ISecretStore
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const string ExpiresOnKey = "expireson";
    private readonly BlobContainerClient container;
    private readonly byte[] key;
    private readonly TimeProvider clock;

    /// <summary>Uses <paramref name="container"/> with a 256-bit key.</summary>
    public EncryptedBlobSecretStore(BlobContainerClient container, byte[] key, TimeProvider clock)
    {
        this.container = container ?? throw new ArgumentNullException(nameof(container));
        this.clock = clock ?? throw new ArgumentNullException(nameof(clock));
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 32)
        {
            throw new ArgumentException("The local secret key must be 32 bytes (256 bits).", nameof(key));
        }

        this.key = key.ToArray();
    }

    /// <inheritdoc/>
    public async Task SetAsync(string name, Secret value, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await WriteAsync(name, value, expiresOn, null, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<Secret> GetAsync(string name, CancellationToken cancellationToken) =>
        (await ReadUnexpiredAsync(name, cancellationToken))?.Value ?? throw new KeyNotFoundException($"No secret named {name}.");

    /// <inheritdoc/>
    public async Task<bool> SetExpiryAsync(string name, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        if (await ReadUnexpiredAsync(name, cancellationToken) is not { } read)
        {
            return false;
        }

        // The expiry is part of the associated data, so a new one means a new ciphertext; If-Match keeps a value
        // written meanwhile from being overwritten with the old one.
        try
        {
            await WriteAsync(name, read.Value, expiresOn, read.ETag, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return await SetExpiryAsync(name, expiresOn, cancellationToken);
        }
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await container.DeleteBlobIfExistsAsync(name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No container yet: no secret was ever stored.
            return false;
        }
    }

    private async Task WriteAsync(string name, Secret value, DateTimeOffset? expiresOn, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var expiry = expiresOn?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        var plaintext = Encoding.UTF8.GetBytes(value.Reveal());
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), AssociatedData(name, expiry));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        var options = new BlobUploadOptions
        {
            Metadata = expiry is null ? null : new Dictionary<string, string> { [ExpiresOnKey] = expiry },
            Conditions = ifMatch is { } etag ? new BlobRequestConditions { IfMatch = etag } : null,
        };
        await container.GetBlobClient(name).UploadAsync(new BinaryData(sealedBytes), options, cancellationToken);
    }

    private async Task<(Secret Value, ETag ETag)?> ReadUnexpiredAsync(string name, CancellationToken cancellationToken)
    {
        BlobDownloadResult download;
        try
        {
            download = (await container.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        var expiry = download.Details.Metadata.TryGetValue(ExpiresOnKey, out var stored) ? stored : null;
        if (expiry is not null && DateTimeOffset.Parse(expiry, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) <= clock.GetUtcNow())
        {
            try
            {
                // Deleted only if it is still the blob just read: a value set again meanwhile stays.
                await container.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots,
                    new BlobRequestConditions { IfMatch = download.Details.ETag }, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Set again meanwhile: that value is the one to read next time.
            }

            return null;
        }

        var sealedBytes = download.Content.ToMemory();
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Decrypt(sealedBytes.Span[..NonceSize], sealedBytes.Span[(NonceSize + TagSize)..], sealedBytes.Span.Slice(NonceSize, TagSize), plaintext, AssociatedData(name, expiry));
        }

        var value = new Secret(Encoding.UTF8.GetString(plaintext));
        CryptographicOperations.ZeroMemory(plaintext);
        return (value, download.Details.ETag);
    }

    // A secret without an expiry has its name alone as associated data, as every secret had before expiries.
    private static byte[] AssociatedData(string name, string? expiry) =>
        Encoding.UTF8.GetBytes(expiry is null ? name : $"{name}\n{expiry}");
}
