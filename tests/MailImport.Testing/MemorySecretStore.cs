using System.Collections.Concurrent;
using MailImport.Core;
using MailImport.Infrastructure.Secrets;

namespace MailImport.Testing;

/// <summary>The secret store's contract in memory: Key Vault and the encrypted blob store need Azure or Azurite,
/// and nothing here is about where the token lives.</summary>
public sealed class MemorySecretStore : ISecretStore
{
    private readonly ConcurrentDictionary<string, Secret> values = new(StringComparer.Ordinal);

    public Task SetAsync(string name, Secret value, CancellationToken cancellationToken)
    {
        values[name] = value;
        return Task.CompletedTask;
    }

    public Task<Secret> GetAsync(string name, CancellationToken cancellationToken) =>
        values.TryGetValue(name, out var value) ? Task.FromResult(value) : throw new KeyNotFoundException($"No secret named {name}.");

    public Task<int> DeleteAllAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = values.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        names.ForEach(n => values.TryRemove(n, out _));
        return Task.FromResult(names.Count);
    }
}
