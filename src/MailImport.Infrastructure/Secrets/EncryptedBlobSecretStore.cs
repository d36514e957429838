using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>The local stand-in for Key Vault: secrets encrypted with AES-256-GCM under a key from local settings,
/// stored as blobs (on Azurite), so no password ever sits in storage in clear text.</summary>
/// <remarks>Each blob is nonce (12 bytes) | tag (16 bytes) | ciphertext. The secret's name is the associated data,
/// so a ciphertext copied under another name does not decrypt.</remarks>
public sealed class EncryptedBlobSecretStore : ISecretStore
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly BlobContainerClient container;
    private readonly byte[] key;

    /// <summary>Uses <paramref name="container"/> with a 256-bit key given as base64.</summary>
    public EncryptedBlobSecretStore(BlobContainerClient container, string base64Key)
    {
        this.container = container ?? throw new ArgumentNullException(nameof(container));
        key = Convert.FromBase64String(base64Key ?? throw new ArgumentNullException(nameof(base64Key)));
        if (key.Length != 32)
        {
            throw new ArgumentException("The local secret key must be 32 bytes (256 bits), base64-encoded.", nameof(base64Key));
        }
    }

    /// <inheritdoc/>
    public async Task SetAsync(string name, Secret value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var plaintext = Encoding.UTF8.GetBytes(value.Reveal());
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(name));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await container.GetBlobClient(name).UploadAsync(new BinaryData(sealedBytes), overwrite: true, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<Secret> GetAsync(string name, CancellationToken cancellationToken)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = (await container.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new KeyNotFoundException($"No secret named {name}.", e);
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(name));
        }

        return new Secret(Encoding.UTF8.GetString(plaintext));
    }

    /// <inheritdoc/>
    public async Task<int> DeleteAllAsync(string prefix, CancellationToken cancellationToken)
    {
        if (!await container.ExistsAsync(cancellationToken))
        {
            return 0;
        }

        var deleted = 0;
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            deleted++;
        }

        return deleted;
    }
}
