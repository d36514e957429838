using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using Microsoft.Extensions.Logging;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>The copy loop of one chunk, the same for every source: reconcile a journal left by a chunk that died, then
/// copy each folder's new messages in batches until the budget is spent, then bring flags up to date.</summary>
/// <remarks>
/// Every batch goes through <see cref="CopyBatchAsync"/>: journal it (save the cursor), fetch it, APPEND it, record
/// it and save the cursor again, as mbsync journals before it stores. A crash anywhere leaves either no journal
/// (the batch is wholly before or after) or a journal that <see cref="ReconcileAsync"/> matches against the
/// destination, message by message, before anything else moves.
/// </remarks>
internal sealed class ChunkCopy(
    CopyOptions options,
    MailboxCursor cursor,
    ICursorStore store,
    ChunkProgress progress,
    IMailSource source,
    DestinationMailbox destination,
    CopySteps steps,
    ILogger logger)
{
    /// <summary>The current folder's destination messages this cursor did not write, by identity; fetched at its first
    /// batch, once per folder per chunk, and only when the destination folder held messages before this cursor.</summary>
    private IdentityPool<uint>? foreign;

    /// <summary>Messages counted as on their way to the destination while the next batch is cut.</summary>
    private int aheadOf;

    /// <summary>Copies what the budget allows and returns where the mailbox stands.</summary>
    public async Task<ChunkResult> RunAsync(CancellationToken cancellationToken)
    {
        var plan = await source.PlanAsync(cancellationToken);
        progress.Planned(plan);
        progress.Renamed = destination.Name(plan.Folders, cursor.RenamedFolders);
        // A renamed folder's name is pinned before any mail goes into it, so a folder that appears at the source later
        // and would claim that name cannot move it.
        var changed = false;
        foreach (var note in progress.Renamed.Where(n => n.DestinationFolder is not null))
        {
            changed |= cursor.RenamedFolders.TryAdd(note.SourceFolder, note.DestinationFolder!);
        }

        foreach (var (name, failure) in plan.Refused ?? [])
        {
            changed |= progress.FailFolder(name, failure);
        }

        if (changed)
        {
            await store.SaveAsync(cursor, cancellationToken);
        }

        if (cursor.InFlight is { } journal && source.Wrote(journal))
        {
            await ReconcileAsync(journal, cancellationToken);
        }

        foreach (var folder in plan.Folders.Where(f => !progress.FolderFailed(f.SourceFullName)))
        {
            if (!await CopyFolderAsync(folder, cancellationToken))
            {
                return progress.Result(completed: false, destination.FoldersCreated);
            }
        }

        return progress.Result(completed: true, destination.FoldersCreated);
    }

    /// <returns>False when the budget ran out before the folder was finished.</returns>
    private async Task<bool> CopyFolderAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        ISourceFolder folder;
        try
        {
            folder = await source.OpenFolderAsync(plan, cancellationToken);
        }
        catch (MailFailureException e) when (e.Failure.Code == ErrorCode.SourceFolderUnavailable)
        {
            // SELECT/EXAMINE refused (NO), or the folder gone since LIST: that costs this folder, not the mailbox.
            progress.FailFolder(plan.SourceFullName, e.Failure);
            await store.SaveAsync(cursor, cancellationToken);
            return true;
        }

        // Every folder exists at the destination, empty ones too.
        DestinationFolder target;
        try
        {
            target = await OnDestination(() => destination.OpenAsync(plan, cancellationToken));
        }
        catch (MailFailureException e) when (e.Failure.Code == ErrorCode.DestinationFolderRefused)
        {
            // The destination will not make this folder: it is reported and tried again by the next run, the rest goes on.
            progress.FailFolder(plan.SourceFullName, e.Failure);
            await store.SaveAsync(cursor, cancellationToken);
            return true;
        }
        if (await folder.MatchTargetAsync(target, cancellationToken))
        {
            await store.SaveAsync(cursor, cancellationToken);
        }

        var start = await StartOfAsync(target, cancellationToken);
        foreign = null;

        await foreach (var slice in folder.NewMessagesAsync(cancellationToken))
        {
            if (!await CopySliceAsync(folder, target, start, slice, cancellationToken))
            {
                return false;
            }

            // Messages that vanished between listing and fetching are simply not there to copy.
            folder.Advance(slice.Listed);
        }

        if (folder.FlagsPending)
        {
            if (progress.BudgetSpent)
            {
                return false;
            }

            var (updated, done) = await folder.SyncFlagsAsync(target, () =>
            {
                steps.ReachedAsync(CopyStep.FlagsPageSynced).AsTask().GetAwaiter().GetResult();
                return progress.BudgetSpent;
            }, cancellationToken);
            progress.FlagsUpdated += updated;
            await steps.ReachedAsync(CopyStep.FlagsSynced);
            await store.SaveAsync(cursor, cancellationToken);
            return done;
        }

        return true;
    }

    /// <summary>Copies one page of new messages batch by batch, each batch's FETCH running on the source connection
    /// while the batch before it is appended on the destination's (<see cref="PendingFetch"/>), so neither side waits
    /// for the other: over TLS each connection's encryption then has a core of its own.</summary>
    /// <returns>False when the budget ran out before the page was finished.</returns>
    private async Task<bool> CopySliceAsync(ISourceFolder folder, DestinationFolder target, DestinationStart start, MessageSlice slice, CancellationToken cancellationToken)
    {
        using var batches = Batches(slice.Messages).GetEnumerator();
        PendingBatch? ahead = null;
        try
        {
            while (ahead is not null || batches.MoveNext())
            {
                var batch = ahead ?? new PendingBatch(batches.Current, null);
                ahead = null;
                // A batch that would cross the download allowance waits for a later chunk, unless it is the chunk's first
                // (a single message then, cut so by Batches): every chunk moves on, overshooting by one message at most.
                // A batch fetched ahead was checked against the allowance when its FETCH began.
                if (progress.BudgetSpent || (batch.Fetch is null && progress.DownloadedThisChunk > 0 && progress.CrossesDownloads(batch.Messages.Sum(m => m.Size))))
                {
                    if (batch.Fetch is { } unused)
                    {
                        await unused.DisposeAsync();
                    }

                    return false;
                }

                await CopyBatchAsync(folder, target, start, batch, sending => ahead = Ahead(folder, batches, sending, cancellationToken), cancellationToken);
            }

            return true;
        }
        finally
        {
            if (ahead?.Fetch is { } abandoned)
            {
                await abandoned.DisposeAsync();
            }
        }
    }

    /// <summary>Cuts the batch after the one about to be appended and, when the budget will still have room for it,
    /// starts its FETCH; null when the page has no more.</summary>
    private PendingBatch? Ahead(ISourceFolder folder, IEnumerator<List<SourceMessage>> batches, IReadOnlyList<SourceMessage> appending, CancellationToken cancellationToken)
    {
        // The batch being appended is not counted as copied yet: the cut counts it, so the next batch ends where the
        // budget will then end.
        aheadOf = appending.Count;
        try
        {
            if (!batches.MoveNext())
            {
                return null;
            }
        }
        finally
        {
            aheadOf = 0;
        }

        var next = batches.Current;
        var room = !progress.SpentAfter(appending.Count, appending.Sum(m => m.Size))
            && !(progress.DownloadedThisChunk > 0 && progress.CrossesDownloads(next.Sum(m => m.Size)));
        return new PendingBatch(next, room ? new PendingFetch(folder, Sendable(next), cancellationToken) : null);
    }

    /// <summary>Cuts messages into APPEND batches by count and bytes, ending a batch where the chunk's message budget
    /// or download allowance ends. Lazy: each batch is cut after the one before it was fetched, against the budget as
    /// it then stands (with the batch being appended counted, <see cref="aheadOf"/>).</summary>
    private IEnumerable<List<SourceMessage>> Batches(IEnumerable<SourceMessage> messages)
    {
        var batch = new List<SourceMessage>();
        long bytes = 0;
        foreach (var message in messages)
        {
            if (batch.Count > 0 && (batch.Count >= options.BatchMessages || bytes + message.Size > options.BatchBytes
                || progress.BatchReachesBudget(batch.Count + aheadOf) || progress.CrossesDownloads(bytes + message.Size)))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }

            batch.Add(message);
            bytes += message.Size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>The messages of a batch that the destination can take (APPENDLIMIT, RFC 7889); the rest are refused.</summary>
    private List<SourceMessage> Sendable(List<SourceMessage> batch) =>
        destination.AppendLimit is { } limit ? batch.Where(m => m.Size <= limit).ToList() : batch;

    /// <summary>Copies one batch exactly once: journal, fetch (or take the FETCH started ahead), APPEND, record, save.
    /// <paramref name="appending"/> is called with the messages about to be appended, once their bytes are here.</summary>
    private async Task CopyBatchAsync(ISourceFolder folder, DestinationFolder target, DestinationStart start, PendingBatch pending,
        Action<IReadOnlyList<SourceMessage>> appending, CancellationToken cancellationToken)
    {
        var batch = pending.Messages;
        var limit = destination.AppendLimit;
        var sending = Sendable(batch);
        var tooBig = batch.Except(sending).ToList();
        foreach (var message in tooBig)
        {
            progress.Fail(folder.Name, message.Key, message.Size,
                new MailFailure(ErrorCode.MessageTooBig, $"The message is {message.Size:N0} bytes; the destination takes at most {limit:N0}.", false));
        }

        if (sending.Count > 0)
        {
            IReadOnlyList<OutgoingMessage> fetched;
            await using (var fetch = pending.Fetch)
            {
                var journal = folder.Journal(sending);
                journal.DestinationFolder = target.Folder.FullName;
                journal.DestinationUidValidity = target.UidValidity;
                journal.DestinationUidNext = target.UidNextLowerBound;
                cursor.InFlight = journal;
                // The journal is saved before the APPEND (a FETCH started ahead changes nothing at the destination).
                await store.SaveAsync(cursor, cancellationToken);
                await steps.ReachedAsync(CopyStep.Journaled);
                fetched = fetch is not null ? await fetch.TakeAsync() : await folder.FetchAsync(sending, cancellationToken);
            }

            try
            {
                var outgoing = fetched;
                progress.Downloaded(outgoing.Sum(m => (long)m.Raw.Length));
                await steps.ReachedAsync(CopyStep.Fetched);
                appending(sending);
                if (!options.CopyDuplicates && start.ForeignBelow > 1)
                {
                    outgoing = await WithoutForeignCopiesAsync(folder, target, start, outgoing, cancellationToken);
                }

                var outcome = await OnDestination(() => target.AppendAsync(outgoing, steps.AppendProgress(), cancellationToken));
                await steps.ReachedAsync(CopyStep.Appended);

                var dated = outgoing.Where(m => m.DateSource is not null).ToDictionary(m => m.Tag, m => m.DateSource!.Value);
                foreach (var (key, uid, size) in outcome.Appended)
                {
                    folder.Appended(key, uid);
                    progress.Copied(size);
                    if (dated.TryGetValue(key, out var dateSource))
                    {
                        progress.Dated(dateSource);
                    }
                }

                foreach (var (key, size, failure) in outcome.Refused)
                {
                    folder.Refused(key);
                    progress.Fail(folder.Name, key, size, failure);
                }

                foreach (var (key, size, reason) in outcome.NotExact)
                {
                    progress.NotExact(folder.Name, key, size, reason);
                }
            }
            finally
            {
                // The bytes are at the destination or will be fetched again: their memory or spool file goes now.
                foreach (var message in fetched)
                {
                    message.Dispose();
                }
            }
        }

        foreach (var message in tooBig)
        {
            folder.Refused(message.Key);
        }

        folder.Advance(batch.Select(m => m.Key));
        cursor.InFlight = null;
        await store.SaveAsync(cursor, cancellationToken);
        await steps.ReachedAsync(CopyStep.Saved);
        progress.ThrowIfTooManyFailures();
    }

    /// <summary>What the destination folder held before this cursor first appended into it, recorded at its first open
    /// (and again when it was re-created): the messages below it are someone else's.</summary>
    private async Task<DestinationStart> StartOfAsync(DestinationFolder target, CancellationToken cancellationToken)
    {
        var name = target.Folder.FullName;
        if (cursor.Destinations.TryGetValue(name, out var known) && known.UidValidity == target.UidValidity)
        {
            return known;
        }

        uint below = 1;
        if (target.Folder.Count > 0)
        {
            below = target.Folder.UidNext?.Id
                ?? (await OnDestination(() => ImapIdentities.UidsFromAsync(target.Folder, 1, cancellationToken))).Select(u => u.Id).DefaultIfEmpty(0u).Max() + 1;
        }

        // Saved with the next journal, which is before anything is appended into the folder.
        var start = new DestinationStart { UidValidity = target.UidValidity, ForeignBelow = below };
        cursor.Destinations[name] = start;
        return start;
    }

    /// <summary>Leaves out the messages the destination folder already holds though this cursor did not write them,
    /// matched by <see cref="MessageIdentity"/>, and records each as copied onto the message it matched, so its flags
    /// are kept up to date like any copy's.</summary>
    private async Task<IReadOnlyList<OutgoingMessage>> WithoutForeignCopiesAsync(
        ISourceFolder folder, DestinationFolder target, DestinationStart start, IReadOnlyList<OutgoingMessage> outgoing, CancellationToken cancellationToken)
    {
        foreign ??= await OnDestination(() => ForeignIdentitiesAsync(folder, target, start, cancellationToken));
        if (foreign.Count == 0)
        {
            return outgoing;
        }

        var sending = new List<OutgoingMessage>(outgoing.Count);
        foreach (var message in outgoing)
        {
            if (foreign.TryTake(MessageIdentity.FromBody(message.Raw), out var uid))
            {
                folder.Appended(message.Tag, new MailKit.UniqueId(target.UidValidity, uid));
                progress.AlreadyAtDestination(message.Raw.Length);
            }
            else
            {
                sending.Add(message);
            }
        }

        if (sending.Count < outgoing.Count)
        {
            Log.AlreadyAtDestination(logger, folder.Name, target.Folder.FullName, outgoing.Count - sending.Count);
        }

        return sending;
    }

    private static async Task<IdentityPool<uint>> ForeignIdentitiesAsync(ISourceFolder folder, DestinationFolder target, DestinationStart start, CancellationToken cancellationToken)
    {
        var mapped = folder.MappedDestinationUids.ToHashSet();
        var uids = (await ImapIdentities.UidsFromAsync(target.Folder, 1, cancellationToken))
            .Where(u => u.Id < start.ForeignBelow && !mapped.Contains(u.Id))
            .ToList();
        var identities = await ImapIdentities.FetchAsync(target.Folder, uids, cancellationToken);
        return new IdentityPool<uint>(identities.Select(d => (d.Uid.Id, d.Identity)));
    }

    /// <summary>Finds which messages of a journaled batch reached the destination before the chunk that journaled it
    /// died, records them as copied, and drops the journal: the rest are copied again as new.</summary>
    private async Task ReconcileAsync(InFlightBatch journal, CancellationToken cancellationToken)
    {
        var target = await OnDestination(() => destination.OpenExistingAsync(journal.DestinationFolder, cancellationToken));
        if (target is not null && await source.JournaledIdentitiesAsync(journal, cancellationToken) is { } sourceIds)
        {
            // A changed destination UIDVALIDITY means the folder was re-created, so every message in it is a candidate.
            var lowest = target.UidValidity == journal.DestinationUidValidity ? journal.DestinationUidNext : 1;
            var candidates = await OnDestination(() => ImapIdentities.UidsFromAsync(target.Folder, lowest, cancellationToken));
            var destinationIds = await OnDestination(() => ImapIdentities.FetchAsync(target.Folder, candidates, cancellationToken));
            var found = IdentityMatcher.Match(sourceIds, destinationIds.Select(d => (d.Uid.Id, d.Identity)));
            foreach (var (key, destinationUid) in found)
            {
                source.Reconciled(journal, key, destinationUid, target);
                progress.Copied(sourceIds.First(s => s.Key == key).Identity.Size, thisChunk: false);
            }

            Log.JournalReconciled(logger, journal.SourceFolder, sourceIds.Count, found.Count, sourceIds.Count - found.Count);
        }
        else
        {
            Log.JournalDropped(logger, journal.SourceFolder);
        }

        cursor.InFlight = null;
        await store.SaveAsync(cursor, cancellationToken);
    }
}
