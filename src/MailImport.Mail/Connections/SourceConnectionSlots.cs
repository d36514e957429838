using System.Collections.Concurrent;

namespace MailImport.Mail.Connections;

/// <summary>Caps the connections open at once to one source account (host, protocol and login), whichever batches and
/// mailboxes open them: apart from how many mailboxes a batch copies at once, since one source account may feed
/// several lines or batches, and a provider counts its connections per account (Gmail: 15 IMAP connections).</summary>
/// <remarks>Counted in this process: each host process (a Functions instance, the local host) keeps its own count.</remarks>
internal sealed class SourceConnectionSlots
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> slots = new(StringComparer.Ordinal);

    /// <summary>Takes one of the account's <paramref name="cap"/> slots, waiting up to <paramref name="wait"/>.</summary>
    /// <returns>The slot, given back when disposed; null when none came free in time.</returns>
    public async Task<IDisposable?> TakeAsync(string host, string protocol, string login, int cap, TimeSpan wait, CancellationToken cancellationToken)
    {
        // The cap is part of the key, so a changed setting counts afresh instead of inheriting the old count's size.
        var key = $"{cap}\n{protocol}\n{host.ToLowerInvariant()}\n{login.ToLowerInvariant()}";
        var slot = slots.GetOrAdd(key, _ => new SemaphoreSlim(cap, cap));
        return await slot.WaitAsync(wait, cancellationToken) ? new Slot(slot) : null;
    }

    /// <summary>One slot taken; disposing it more than once gives it back once.</summary>
    private sealed class Slot(SemaphoreSlim owner) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}

/// <summary>A POP3 client that gives its source connection slot back when disposed.</summary>
public sealed class SlottedPop3Client(MailKit.IProtocolLogger protocolLogger) : MailKit.Net.Pop3.Pop3Client(protocolLogger)
{
    /// <summary>The slot this connection holds, if it is a source's.</summary>
    internal IDisposable? Slot { get; set; }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Slot?.Dispose();
        }
    }
}
