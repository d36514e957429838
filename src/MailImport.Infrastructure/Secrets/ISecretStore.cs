using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>Where named secrets live: each batch's data key (<see cref="BatchSecrets"/>) and the operator's secrets
/// (the Yandex 360 token, the service application's secret).</summary>
/// <remarks>Orchestration inputs, outputs, custom status, logs and reports carry secret names, never values.</remarks>
public interface ISecretStore
{
    /// <summary>Stores (or replaces) a secret; from <paramref name="expiresOn"/> on it reads as absent (null: never).</summary>
    Task SetAsync(string name, Secret value, DateTimeOffset? expiresOn, CancellationToken cancellationToken);

    /// <summary>Reads a secret; throws <see cref="KeyNotFoundException"/> when there is none of that name or it has
    /// expired (an expired one is deleted when met).</summary>
    Task<Secret> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Moves the expiry of a secret that has not expired to <paramref name="expiresOn"/>; false when there is
    /// no such secret (an expired one stays expired, and is deleted when met).</summary>
    Task<bool> SetExpiryAsync(string name, DateTimeOffset expiresOn, CancellationToken cancellationToken);

    /// <summary>Deletes a secret for good; false when there was none of that name.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);
}

/// <summary>The names of the secrets MailImport writes itself. Key Vault allows letters, digits and '-', up to 127
/// characters (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers).</summary>
public static class SecretNames
{
    /// <summary>The data key of a batch, which every password of the batch is encrypted with (<see cref="BatchSecrets"/>).</summary>
    public static string BatchKey(string batchId) => $"mi-{batchId}-key";
}
