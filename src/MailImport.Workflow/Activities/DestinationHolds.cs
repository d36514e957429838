using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.Core.Rules;
using MailImport.Infrastructure.Storage;

namespace MailImport.Workflow.Activities;

/// <summary>One batch's run at a time copies into a destination mailbox, whichever batch it is.</summary>
/// <remarks>
/// Within a batch, a mailbox's chunks take turns on its cursor. Two batches with the same line (the same file started
/// twice, or a pilot and the full file run at once) have two cursors, and each matches the destination's messages
/// only against what was there when it first opened a folder: run side by side, both would append the same mail. So
/// a run holds the destination mailbox from its first chunk until its copy ends; a chunk of another batch finds the
/// hold and waits. The hold is a record written only with conditional requests (one writer wins), renewed by every
/// chunk and released (written as lapsed) when the copy ends (done, failed, or its retries spent); a hold whose host
/// died lapses after <see cref="Lifetime"/>.
/// </remarks>
public sealed class DestinationHolds(BatchStorage storage, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How long a hold lasts without a chunk renewing it: longer than a chunk and the longest wait between
    /// two chunks' attempts (ten minutes, <see cref="Orchestrations.Retrying"/>).</summary>
    public static TimeSpan Lifetime(TimeSpan chunkDuration) => TimeSpan.FromMinutes(15) + 3 * chunkDuration;

    /// <summary>Takes or renews the hold on a destination mailbox for <paramref name="owner"/>.</summary>
    /// <returns>Null when the hold is <paramref name="owner"/>'s line's now; otherwise the holder that keeps it.</returns>
    public async Task<DestinationHold?> TryHoldAsync(string server, string login, DestinationHold owner, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var name = RecordName(server, login);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = clock.GetUtcNow();
            var stored = await storage.LoadRecordAsync(name, cancellationToken);
            var holder = stored is { } record ? record.Content.ToObjectFromJson<DestinationHold>(Json) : null;
            if (holder is not null && !holder.IsSameLine(owner) && holder.ExpiresAt > now)
            {
                return holder;
            }

            var claim = owner with { ExpiresAt = now + lifetime };
            if (await storage.SaveRecordAsync(name, BinaryData.FromObjectAsJson(claim, Json), stored?.ETag, cancellationToken))
            {
                return null;
            }

            // Another writer came between the read and the write: read again and decide on what it wrote.
        }

        throw new InvalidOperationException("The hold on the destination mailbox kept changing under five attempts to take it.");
    }

    /// <summary>Gives the hold up, if <paramref name="owner"/>'s line still has it; true when it had.</summary>
    /// <remarks>The record is written as lapsed, not deleted: the next holder overwrites it, and the sweep deletes it a
    /// day after (ScheduledReruns). On Azure a write and a delete cost alike; Azurite's blob store (LokiJS) marks every
    /// binary index of its one blob collection dirty on any delete and sorts it whole on the next read
    /// (lokijs.js, Collection.removeBatchByPositions, https://github.com/techfort/LokiJS), so a delete per mailbox made
    /// each mailbox's copy cost grow with every blob the batch had written (measured: a third of Azurite's time at
    /// 2,000 mailboxes).</remarks>
    public async Task<bool> ReleaseAsync(string server, string login, DestinationHold owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var name = RecordName(server, login);
        if (await storage.LoadRecordAsync(name, cancellationToken) is { } stored
            && stored.Content.ToObjectFromJson<DestinationHold>(Json) is { } holder && holder.IsSameLine(owner))
        {
            // If-Match: a record another writer changed since the read is theirs, and stays as they wrote it.
            await storage.SaveRecordAsync(name, BinaryData.FromObjectAsJson(holder with { ExpiresAt = DateTimeOffset.MinValue }, Json), stored.ETag, cancellationToken);
            return true;
        }

        return false;
    }

    /// <summary>A hash, so the record names no login; logins that the destination treats as one share it.</summary>
    internal static string RecordName(string server, string login) => BatchStorage.DestinationHoldRecordName(
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{server.ToLowerInvariant()}\n{DestinationRules.MailboxKey(login)}"))));
}

/// <summary>Who holds a destination mailbox: a run of one line of a batch, until <see cref="ExpiresAt"/>.</summary>
public sealed record DestinationHold(string BatchId, string RunId, int Line, DateTimeOffset ExpiresAt = default)
{
    /// <summary>The same line of the same batch, whichever run: within a batch the line's cursor lock already keeps
    /// its chunks apart, and a re-run after a run that died must not wait for that run's hold to lapse.</summary>
    public bool IsSameLine(DestinationHold other) =>
        other is not null && (BatchId, Line) == (other.BatchId, other.Line);
}
