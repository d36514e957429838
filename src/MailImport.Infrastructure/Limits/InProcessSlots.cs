using System.Collections.Concurrent;

namespace MailImport.Infrastructure.Limits;

/// <summary>Slots counted in this process only: a semaphore per kind, key and count. For a host with no storage to
/// count in; a second process, or a second host, has counts of its own.</summary>
public sealed class InProcessSlots : IConcurrencySlots
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> slots = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public async Task<IHeldSlot?> TryTakeAsync(SlotKind kind, string key, int count, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // The count is part of the key, so a changed setting counts afresh instead of inheriting the old count's size.
        var slot = slots.GetOrAdd($"{kind}\n{count}\n{key}", _ => new SemaphoreSlim(count, count));
        return await slot.WaitAsync(wait, cancellationToken) ? new Slot(slot) : null;
    }

    /// <summary>One slot taken; disposing it more than once gives it back once.</summary>
    private sealed class Slot(SemaphoreSlim owner) : IHeldSlot
    {
        private int released;

        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                owner.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
