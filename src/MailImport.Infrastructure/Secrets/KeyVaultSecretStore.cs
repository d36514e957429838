using Azure;
using Azure.Security.KeyVault.Secrets;
using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>Secrets in Azure Key Vault, reached with the app's managed identity.</summary>
public sealed class KeyVaultSecretStore(SecretClient client) : ISecretStore
{
    /// <inheritdoc/>
    public async Task SetAsync(string name, Secret value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        await client.SetSecretAsync(name, value.Reveal(), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<Secret> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await client.GetSecretAsync(name, cancellationToken: cancellationToken);
            return new Secret(secret.Value.Value);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new KeyNotFoundException($"No secret named {name}.", e);
        }
    }

    /// <inheritdoc/>
    public async Task<int> DeleteAllAsync(string prefix, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var properties in client.GetPropertiesOfSecretsAsync(cancellationToken))
        {
            if (!properties.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            // Soft-delete keeps a deleted secret recoverable for the vault's retention period; purge where allowed,
            // so a closed batch's passwords are really gone.
            var operation = await client.StartDeleteSecretAsync(properties.Name, cancellationToken);
            await operation.WaitForCompletionAsync(cancellationToken);
            try
            {
                await client.PurgeDeletedSecretAsync(properties.Name, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 403 or 405)
            {
                // Purge protection is on: the secret stays soft-deleted until the vault's retention ends.
            }

            deleted++;
        }

        return deleted;
    }
}
