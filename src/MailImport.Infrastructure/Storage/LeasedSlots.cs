using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using MailImport.Infrastructure.Limits;

namespace MailImport.Infrastructure.Storage;

/// <summary>Slots counted in Blob storage, so that a limit holds across every host and batch sharing the storage
/// account: a key's N slots are N empty blobs, <c>slots/{kind}/{SHA-256 of the key}/{0..N-1}</c>, and a slot is held by
/// holding a lease on its blob.</summary>
/// <remarks>
/// <para>Lease Blob (https://learn.microsoft.com/rest/api/storageservices/lease-blob) lets one lease at a time on a blob:
/// acquiring a leased one answers 409 LeaseAlreadyPresent, so of many takers of a slot exactly one gets it. A taker tries
/// one slot at random; when that one is held, it lists the key's blobs (a listing carries each blob's lease status),
/// tries the unleased ones in random order (takers spread over the slots instead of all trying the first), and polls
/// until its wait ends. A lease lasts
/// <see cref="LeaseDuration"/> (60 s by default, the longest finite one) and is renewed every third of it while held
/// (<see cref="RenewedLease"/>); a host that dies stops renewing, and its slots are free once their leases lapse.</para>
/// <para>The blobs are created when first wanted and hold nothing; their names carry a hash, never a login or an address.
/// One that storage's lifecycle rule deletes while idle (infra/app/storage.bicep; a leased blob cannot be deleted without
/// its lease) is made again by the next taker. A count lowered while slots are held takes effect as those above it are
/// given back: the names do not depend on it.</para>
/// </remarks>
public sealed class LeasedSlots : IConcurrencySlots
{
    /// <summary>Where the slots are, in the container given.</summary>
    public const string Prefix = "slots/";

    /// <summary>The shortest and longest finite lease Blob storage grants.</summary>
    public static readonly (TimeSpan Shortest, TimeSpan Longest) LeaseRange = (TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));

    private readonly BlobContainerClient container;

    /// <summary>Counts slots in <paramref name="container"/>, holding each for <paramref name="leaseDuration"/> between
    /// renewals (default 60 s; 15 to 60 s, Blob storage's finite leases: tests give 15 s to see a dead holder's slot
    /// come free sooner).</summary>
    public LeasedSlots(BlobContainerClient container, TimeSpan? leaseDuration = null)
    {
        this.container = container ?? throw new ArgumentNullException(nameof(container));
        LeaseDuration = leaseDuration ?? LeaseRange.Longest;
        if (LeaseDuration < LeaseRange.Shortest || LeaseDuration > LeaseRange.Longest)
        {
            throw new ArgumentOutOfRangeException(nameof(leaseDuration), LeaseDuration, "A blob lease lasts 15 to 60 seconds.");
        }
    }

    /// <summary>How long a slot stays taken after its holder stops renewing it.</summary>
    public TimeSpan LeaseDuration { get; }

    /// <inheritdoc/>
    public async Task<IHeldSlot?> TryTakeAsync(SlotKind kind, string key, int count, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var prefix = SlotPrefix(kind, key);
        var waited = Stopwatch.StartNew();
        // Most takes find the key's slots free (a source account is most often one line's): one slot, at random, is tried
        // before any listing, so such a take costs its lease alone.
        if (await TryLeaseAsync(container.GetBlobClient(prefix + Random.Shared.Next(count).ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken) is { } quick)
        {
            return quick;
        }

        while (true)
        {
            foreach (var index in await FreeAsync(prefix, count, cancellationToken))
            {
                if (await TryLeaseAsync(container.GetBlobClient(prefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken) is { } held)
                {
                    return held;
                }
            }

            var left = wait - waited.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            // A quarter to three quarters of a second, so that pollers of one key do not ask in step.
            var poll = TimeSpan.FromMilliseconds(250 + Random.Shared.Next(500));
            await Task.Delay(poll < left ? poll : left, cancellationToken);
        }
    }

    /// <summary>The folder of one key's slots: the kind by name and the key as a hash, so no blob name holds a login.</summary>
    public static string SlotPrefix(SlotKind kind, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = kind switch
        {
            SlotKind.SourceAccount => "source-account",
            SlotKind.SourceHost => "source-host",
            SlotKind.DestinationOrganisation => "destination-organisation",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        return $"{Prefix}{name}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}/";
    }

    /// <summary>The key's slots below <paramref name="count"/> that no lease holds now (or that do not exist yet), in
    /// random order.</summary>
    private async Task<int[]> FreeAsync(string prefix, int count, CancellationToken cancellationToken)
    {
        var held = new HashSet<int>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            // Locked: leased, or breaking (https://learn.microsoft.com/rest/api/storageservices/lease-blob#remarks).
            if (blob.Properties.LeaseStatus == LeaseStatus.Locked
                && int.TryParse(blob.Name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                held.Add(index);
            }
        }

        var free = Enumerable.Range(0, count).Where(i => !held.Contains(i)).ToArray();
        Random.Shared.Shuffle(free);
        return free;
    }

    /// <summary>The slot, if its blob's lease is ours now; null when another taker came first.</summary>
    private async Task<IHeldSlot?> TryLeaseAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var lease = blob.GetBlobLeaseClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await lease.AcquireAsync(LeaseDuration, cancellationToken: cancellationToken);
                return new RenewedLease(lease, LeaseDuration);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // LeaseAlreadyPresent: taken between the listing and now.
                return null;
            }
            catch (RequestFailedException e) when (e.Status == 404 && attempt == 0)
            {
                try
                {
                    // If-None-Match: * so a blob another taker made (and perhaps leased) meanwhile stays as it is.
                    await blob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
                }
                catch (RequestFailedException made) when (made.Status is 409 or 412)
                {
                    // There now: the lease decides.
                }
            }
        }
    }
}
