using Azure;
using Azure.Security.KeyVault.Secrets;
using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>Secrets in Azure Key Vault, reached with the app's managed identity.</summary>
/// <remarks>A secret's expiry is its <c>exp</c> attribute (<see cref="SecretProperties.ExpiresOn"/>). Key Vault itself
/// still answers a get of an expired secret ("A secret's get operation will work for not-yet-valid and expired
/// secrets", https://learn.microsoft.com/azure/key-vault/secrets/about-secrets#date-time-controlled-operations), so
/// this store enforces it: an expired secret reads as absent and is deleted when met.</remarks>
public sealed class KeyVaultSecretStore(SecretClient client, TimeProvider clock) : ISecretStore
{
    /// <inheritdoc/>
    public async Task SetAsync(string name, Secret value, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var secret = new KeyVaultSecret(name, value.Reveal());
        secret.Properties.ExpiresOn = expiresOn;
        await client.SetSecretAsync(secret, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<Secret> GetAsync(string name, CancellationToken cancellationToken) =>
        new((await GetUnexpiredAsync(name, cancellationToken) ?? throw new KeyNotFoundException($"No secret named {name}.")).Value);

    /// <inheritdoc/>
    public async Task<bool> SetExpiryAsync(string name, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        if (await GetUnexpiredAsync(name, cancellationToken) is not { } secret)
        {
            return false;
        }

        // Updates the attributes of the version just read (https://learn.microsoft.com/rest/api/keyvault/secrets/update-secret/update-secret).
        secret.Properties.ExpiresOn = expiresOn;
        await client.UpdateSecretPropertiesAsync(secret.Properties, cancellationToken);
        return true;
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        DeleteSecretOperation operation;
        try
        {
            operation = await client.StartDeleteSecretAsync(name, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }

        // Soft-delete keeps a deleted secret recoverable for the vault's retention period; purge where allowed, so the
        // secret is really gone (https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview).
        await operation.WaitForCompletionAsync(cancellationToken);
        try
        {
            await client.PurgeDeletedSecretAsync(name, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 403 or 405)
        {
            // Purge protection is on: the secret stays soft-deleted until the vault's retention ends.
        }

        return true;
    }

    private async Task<KeyVaultSecret?> GetUnexpiredAsync(string name, CancellationToken cancellationToken)
    {
        KeyVaultSecret secret;
        try
        {
            secret = await client.GetSecretAsync(name, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        if (secret.Properties.ExpiresOn is { } expiresOn && expiresOn <= clock.GetUtcNow())
        {
            await DeleteAsync(name, cancellationToken);
            return null;
        }

        return secret;
    }
}
