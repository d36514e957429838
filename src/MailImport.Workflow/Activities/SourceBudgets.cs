using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.Infrastructure.Storage;

namespace MailImport.Workflow.Activities;

/// <summary>What one source account has downloaded within a rolling window, across every batch that reads it, so a
/// provider's per-account byte limit (Gmail: 2,500 MB a day over IMAP, 1,250 MB over POP) is never crossed.</summary>
/// <remarks>
/// One small record per source account (host and login, hashed), beside the destination holds and written the same
/// way: only with conditional requests, so of two chunks that read it at once one writes and the other reads again.
/// A chunk reserves what it may download before it connects and settles the reservation with what it did download
/// when it ends, so two batches reading one account at once cannot both spend the same remainder. When the budget is
/// spent, or the provider said its own limit is exceeded (<see cref="BlockAsync"/>), the answer is the time the
/// account may download again: the mailbox pauses until then.
/// </remarks>
public sealed class SourceBudgets(BatchStorage storage, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reserves up to <paramref name="wanted"/> bytes of the account's budget for one chunk, once at least a
    /// tenth of the budget (or <paramref name="wanted"/>, if less) is left.</summary>
    /// <param name="host">The source host.</param>
    /// <param name="login">The login at the source.</param>
    /// <param name="budget">Bytes the account may download per window.</param>
    /// <param name="wanted">Bytes the chunk would download at most.</param>
    /// <param name="window">The rolling window's length.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The bytes granted (more than 0), or the time the account may download again.</returns>
    public Task<SourceAllowance> ReserveAsync(string host, string login, long budget, long wanted, TimeSpan window, CancellationToken cancellationToken) =>
        UpdateAsync(host, login, usage =>
        {
            // A chunk starts only with a tenth of the budget (or all it wants) left: one that could fetch a message or
            // two before it stopped would overshoot by its first message for little gain.
            var now = clock.GetUtcNow();
            var least = Math.Max(1, Math.Min(wanted, budget / 10));
            if (usage.PausedUntil(now, window, budget - least + 1) is { } until)
            {
                return (usage, new SourceAllowance(0, until));
            }

            var granted = Math.Min(wanted, budget - usage.Used(now, window));
            return (usage.Charged(now, window, granted), new SourceAllowance(granted, null));
        }, cancellationToken);

    /// <summary>When the provider refuses the account until, if it said so and that is still ahead; for a source with no
    /// budget, whose chunks reserve nothing.</summary>
    public async Task<DateTimeOffset?> BlockedUntilAsync(string host, string login, CancellationToken cancellationToken) =>
        await storage.LoadRecordAsync(RecordName(host, login), cancellationToken) is { } record
            && record.Content.ToObjectFromJson<SourceUsage>(Json)?.BlockedUntil is { } until && until > clock.GetUtcNow()
            ? until
            : null;

    /// <summary>Turns a reservation into what the chunk really downloaded: the rest goes back to the budget.</summary>
    public Task SettleAsync(string host, string login, long reserved, long downloaded, TimeSpan window, CancellationToken cancellationToken) =>
        reserved == downloaded
            ? Task.CompletedTask
            : UpdateAsync(host, login, usage => (usage.Charged(clock.GetUtcNow(), window, downloaded - reserved), true), cancellationToken);

    /// <summary>Records that the provider refuses the account until <paramref name="until"/>: every chunk of it, in
    /// any batch, pauses until then without connecting.</summary>
    public Task BlockAsync(string host, string login, DateTimeOffset until, CancellationToken cancellationToken) =>
        UpdateAsync(host, login, usage => (usage.BlockedUntil >= until ? usage : usage with { BlockedUntil = until }, true), cancellationToken);

    private async Task<T> UpdateAsync<T>(string host, string login, Func<SourceUsage, (SourceUsage Usage, T Answer)> change, CancellationToken cancellationToken)
    {
        var name = RecordName(host, login);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var stored = await storage.LoadRecordAsync(name, cancellationToken);
            var usage = stored is { } record ? record.Content.ToObjectFromJson<SourceUsage>(Json) ?? SourceUsage.Empty : SourceUsage.Empty;
            var (changed, answer) = change(usage);
            if (ReferenceEquals(changed, usage)
                || await storage.SaveRecordAsync(name, BinaryData.FromObjectAsJson(changed, Json), stored?.ETag, cancellationToken))
            {
                return answer;
            }

            // Another chunk of the same account wrote between the read and the write: read again and decide on that.
        }

        throw new InvalidOperationException("The source account's download record kept changing under five attempts to update it.");
    }

    /// <summary>A hash, so the record names no login; a login differing only in case is the same account.</summary>
    private static string RecordName(string host, string login) => BatchStorage.SourceBudgetRecordName(
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{host.ToLowerInvariant()}\n{login.ToLowerInvariant()}"))));
}

/// <summary>What a chunk may download: <paramref name="Bytes"/>, or nothing until <paramref name="PausedUntil"/>.</summary>
public sealed record SourceAllowance(long Bytes, DateTimeOffset? PausedUntil);

/// <summary>A source account's downloads in the rolling window, as slices of time with their bytes, and the time its
/// provider refuses it until, if it said so.</summary>
/// <param name="Slices">Oldest first; a slice covers a 48th of the window, so a record stays small however many
/// chunks there are.</param>
/// <param name="BlockedUntil">Set when the provider answered that the account is over its limit.</param>
public sealed record SourceUsage(IReadOnlyList<UsageSlice> Slices, DateTimeOffset? BlockedUntil = null)
{
    /// <summary>No downloads, no block.</summary>
    public static SourceUsage Empty { get; } = new([]);

    /// <summary>Bytes downloaded within the window that ends now.</summary>
    public long Used(DateTimeOffset now, TimeSpan window) => Math.Max(0, Live(now, window).Sum(s => s.Bytes));

    /// <summary>When the account may download again: the block's end, or when enough of the window's oldest downloads
    /// fall out of it to leave less than <paramref name="budget"/> used; null when less is used now.</summary>
    public DateTimeOffset? PausedUntil(DateTimeOffset now, TimeSpan window, long budget)
    {
        if (BlockedUntil is { } blocked && blocked > now)
        {
            return blocked;
        }

        var live = Live(now, window).ToList();
        var used = live.Sum(s => s.Bytes);
        foreach (var slice in live)
        {
            if (used < budget)
            {
                break;
            }

            used -= slice.Bytes;
            if (used < budget)
            {
                return slice.Start + window;
            }
        }

        return used < budget ? null : now + window;
    }

    /// <summary>This usage with <paramref name="bytes"/> more (fewer, when negative: a reservation settled) at
    /// <paramref name="now"/>, and the slices that left the window dropped.</summary>
    public SourceUsage Charged(DateTimeOffset now, TimeSpan window, long bytes)
    {
        var slices = Live(now, window).ToList();
        if (bytes < 0)
        {
            // A refund comes off the newest slices, where its reservation is, never below nothing.
            for (var i = slices.Count - 1; i >= 0 && bytes < 0; i--)
            {
                var taken = Math.Min(slices[i].Bytes, -bytes);
                slices[i] = slices[i] with { Bytes = slices[i].Bytes - taken };
                bytes += taken;
            }
        }
        else if (slices.Count > 0 && now - slices[^1].Start < window / 48)
        {
            slices[^1] = slices[^1] with { Bytes = slices[^1].Bytes + bytes };
        }
        else
        {
            slices.Add(new UsageSlice(now, bytes));
        }

        return this with { Slices = slices, BlockedUntil = BlockedUntil > now ? BlockedUntil : null };
    }

    private IEnumerable<UsageSlice> Live(DateTimeOffset now, TimeSpan window) => Slices.Where(s => s.Start + window > now);
}

/// <summary>Bytes downloaded from <paramref name="Start"/> on, within a 48th of the window.</summary>
public sealed record UsageSlice(DateTimeOffset Start, long Bytes);
