namespace MailImport.Infrastructure.Limits;

/// <summary>What a set of slots counts: each kind is a limit of its own, apart from the others.</summary>
public enum SlotKind
{
    /// <summary>Connections open at once to one source account (host, protocol and login).</summary>
    SourceAccount,

    /// <summary>Connections open at once to one source host, whichever accounts they log in to.</summary>
    SourceHost,

    /// <summary>Mailboxes being copied at once into one destination organisation.</summary>
    DestinationOrganisation,
}

/// <summary>A slot taken: given back when disposed.</summary>
public interface IHeldSlot : IAsyncDisposable
{
    /// <summary>Cancelled when the slot could not be kept (a lease that could not be renewed): another may hold it now,
    /// so the work it guards must stop.</summary>
    CancellationToken Lost { get; }
}

/// <summary>Counted slots, a fixed number per key: whoever holds one of a key's slots may do what the key limits.</summary>
/// <remarks>The workflow takes its slots through this alone: <see cref="Storage.LeasedSlots"/> counts in Blob storage
/// across every host and batch that share the storage account (both hosts use it); <see cref="InProcessSlots"/> counts
/// in one process, for a host with no storage.</remarks>
public interface IConcurrencySlots
{
    /// <summary>Takes one of the <paramref name="count"/> slots of <paramref name="key"/>, waiting up to
    /// <paramref name="wait"/> for one to come free.</summary>
    /// <param name="kind">What the slots count.</param>
    /// <param name="key">Whose slots, in clear (an implementation that stores it stores a hash).</param>
    /// <param name="count">How many slots the key has, at least 1.</param>
    /// <param name="wait">How long to wait for a free one; zero tries once.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The slot, or null when none came free in time.</returns>
    Task<IHeldSlot?> TryTakeAsync(SlotKind kind, string key, int count, TimeSpan wait, CancellationToken cancellationToken);
}
