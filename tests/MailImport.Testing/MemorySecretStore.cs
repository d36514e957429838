using System.Collections.Concurrent;
using MailImport.Core;
using MailImport.Infrastructure.Secrets;

namespace MailImport.Testing;

/// <summary>The secret store's contract in memory: Key Vault and the encrypted blob store need Azure or Azurite,
/// and nothing here is about where the token lives. Expiries are kept as the stores keep them: an expired secret
/// reads as absent and is deleted when met.</summary>
public sealed class MemorySecretStore(TimeProvider? clock = null) : ISecretStore
{
    private readonly ConcurrentDictionary<string, (Secret Value, DateTimeOffset? ExpiresOn)> values = new(StringComparer.Ordinal);
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    public Task SetAsync(string name, Secret value, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        values[name] = (value, expiresOn);
        return Task.CompletedTask;
    }

    public Task<Secret> GetAsync(string name, CancellationToken cancellationToken) =>
        Unexpired(name) is { } value ? Task.FromResult(value.Value) : throw new KeyNotFoundException($"No secret named {name}.");

    public Task<bool> SetExpiryAsync(string name, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        if (Unexpired(name) is not { } value)
        {
            return Task.FromResult(false);
        }

        values[name] = (value.Value, expiresOn);
        return Task.FromResult(true);
    }

    /// <summary>The expiry a secret is stored with, or null when it has none (or there is no such secret).</summary>
    public DateTimeOffset? ExpiryOf(string name) => values.TryGetValue(name, out var value) ? value.ExpiresOn : null;

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken) => Task.FromResult(values.TryRemove(name, out _));

    private (Secret Value, DateTimeOffset? ExpiresOn)? Unexpired(string name)
    {
        if (!values.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ExpiresOn <= clock.GetUtcNow())
        {
            values.TryRemove(name, out _);
            return null;
        }

        return value;
    }
}
