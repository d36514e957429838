using MailImport.Core;
using MailImport.Infrastructure.Secrets;

namespace MailImport.Testing;

/// <summary>A real secret store with every call counted by kind, so a test can say how many writes a step made.</summary>
public sealed class CountingSecretStore(ISecretStore inner) : ISecretStore
{
    private int writes;
    private int reads;
    private int deletes;

    /// <summary>Calls of <see cref="SetAsync"/> and <see cref="SetExpiryAsync"/>.</summary>
    public int Writes => writes;

    /// <summary>Calls of <see cref="GetAsync"/>.</summary>
    public int Reads => reads;

    /// <summary>Calls of <see cref="DeleteAsync"/>.</summary>
    public int Deletes => deletes;

    public Task SetAsync(string name, Secret value, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref writes);
        return inner.SetAsync(name, value, expiresOn, cancellationToken);
    }

    public Task<Secret> GetAsync(string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref reads);
        return inner.GetAsync(name, cancellationToken);
    }

    public Task<bool> SetExpiryAsync(string name, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref writes);
        return inner.SetExpiryAsync(name, expiresOn, cancellationToken);
    }

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref deletes);
        return inner.DeleteAsync(name, cancellationToken);
    }
}
