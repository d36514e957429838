using MailImport.Core;

namespace MailImport.Infrastructure.Secrets;

/// <summary>Where passwords live: the only place outside ingestion that ever holds one.</summary>
/// <remarks>Orchestration inputs, outputs, custom status, logs and reports carry secret names, never values.</remarks>
public interface ISecretStore
{
    /// <summary>Stores (or replaces) a secret.</summary>
    Task SetAsync(string name, Secret value, CancellationToken cancellationToken);

    /// <summary>Reads a secret; throws <see cref="KeyNotFoundException"/> when there is none of that name.</summary>
    Task<Secret> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Deletes every secret whose name starts with <paramref name="prefix"/>; returns how many.</summary>
    Task<int> DeleteAllAsync(string prefix, CancellationToken cancellationToken);
}

/// <summary>The names of a batch's secrets. Key Vault allows letters, digits and '-', up to 127 characters.</summary>
public static class SecretNames
{
    /// <summary>The prefix every secret of a batch shares.</summary>
    public static string OfBatch(string batchId) => $"mi-{batchId}-";

    /// <summary>The source password of a credential line.</summary>
    public static string SourcePassword(string batchId, int line) => $"{OfBatch(batchId)}{line}-src";

    /// <summary>The destination password of a credential line.</summary>
    public static string DestinationPassword(string batchId, int line) => $"{OfBatch(batchId)}{line}-dst";
}
