namespace MailImport.Mail.Sync;

/// <summary>A cursor kept as a small head and immutable segments: a save writes what changed since the last one (a
/// batch's UID map runs or UIDLs) as a new segment, then the head that names it, so a batch costs O(batch) bytes plus
/// the head, not the whole map.</summary>
/// <remarks>
/// <para>Crash safety is mbsync's, part by part: a segment is written under a number no committed head names yet; the
/// head, replaced atomically, is the commit; segments the new head no longer names are deleted only after it. A crash
/// anywhere leaves the old head naming old segments, all intact, or the new head naming new ones.</para>
/// <para>Segments merge as a binary counter does (as a log-structured merge tree's size tiers): while the newest
/// segment holds no more entries (runs and UIDLs) than the new one, they are merged and written as one. So there are O(log n) segments, a chunk
/// loads a few reads, and each entry is rewritten O(log n) times over the mailbox's life. A folder copied in order is
/// one run, so its segment stays a few bytes however many messages it maps.</para>
/// </remarks>
public abstract class SegmentedCursorStore : ICursorStore
{
    /// <summary>More segments than this are merged whatever their sizes, so a load stays a few reads.</summary>
    internal const int MaxSegments = 24;

    // What this store read or wrote, by segment number: a merge reads its older segments from here, not from storage.
    private readonly Dictionary<long, byte[]> known = [];

    /// <summary>The head's bytes, or null when there is no cursor yet.</summary>
    protected abstract Task<byte[]?> ReadHeadAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the head atomically: afterwards storage holds the old head or the new one, whole.</summary>
    protected abstract Task WriteHeadAsync(byte[] head, CancellationToken cancellationToken);

    /// <summary>A segment's bytes; it exists, since a head names it.</summary>
    protected abstract Task<byte[]> ReadSegmentAsync(long number, CancellationToken cancellationToken);

    /// <summary>Writes a segment, replacing one of that number left by a save that did not commit.</summary>
    protected abstract Task WriteSegmentAsync(long number, byte[] content, CancellationToken cancellationToken);

    /// <summary>Deletes a segment no head names any more; best effort: a segment left behind only takes room.</summary>
    protected abstract Task DeleteSegmentAsync(long number, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public abstract Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken);

    /// <inheritdoc/>
    public async Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken)
    {
        if (await ReadHeadAsync(cancellationToken) is not { } head)
        {
            return null;
        }

        var cursor = MailboxCursor.FromJson(head);
        foreach (var segment in cursor.Parts?.Segments ?? [])
        {
            var content = await ReadSegmentAsync(segment[0], cancellationToken);
            known[segment[0]] = content;
            CursorSegment.Decode(content).ApplyTo(cursor);
        }

        // A head of format 1 carried its maps and UIDLs inline: none of them is in a segment yet, so the first save
        // writes them all.
        if (cursor.Parts is not null)
        {
            cursor.MarkStored();
        }

        return cursor;
    }

    /// <inheritdoc/>
    public async Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var before = cursor.Parts;
        var parts = before?.Copy() ?? new CursorParts();
        var replaced = new List<long>();
        var segment = CursorSegment.Unsaved(cursor);
        if (!segment.IsEmpty)
        {
            while (parts.Segments.Count > 0 && (parts.Segments[^1][1] <= segment.Entries || parts.Segments.Count >= MaxSegments))
            {
                var older = parts.Segments[^1];
                parts.Segments.RemoveAt(parts.Segments.Count - 1);
                var merged = CursorSegment.Decode(await SegmentAsync(older[0], cancellationToken));
                merged.Then(segment);
                segment = merged;
                replaced.Add(older[0]);
            }

            var content = segment.Encode();
            await WriteSegmentAsync(parts.Next, content, cancellationToken);
            known[parts.Next] = content;
            parts.Segments.Add([parts.Next, segment.Entries]);
            parts.Next++;
        }

        var version = cursor.Version;
        cursor.Parts = parts;
        cursor.Version = MailboxCursor.CurrentVersion;
        try
        {
            await WriteHeadAsync(cursor.ToJson(), cancellationToken);
        }
        catch
        {
            // Not committed: the stored head still names the old segments, and so must the cursor's next save.
            cursor.Parts = before;
            cursor.Version = version;
            throw;
        }

        cursor.MarkStored();
        foreach (var number in replaced)
        {
            known.Remove(number);
            await DeleteSegmentAsync(number, cancellationToken);
        }
    }

    private async Task<byte[]> SegmentAsync(long number, CancellationToken cancellationToken) =>
        known.TryGetValue(number, out var content) ? content : await ReadSegmentAsync(number, cancellationToken);
}
