using System.Diagnostics;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Search;
using MimeKit;

namespace MailImport.Mail.Sync;

/// <summary>Copies one mailbox to the destination a chunk at a time, exactly once across crashes and re-runs.</summary>
/// <remarks>
/// Each chunk loads the cursor, reconciles a batch journaled by a chunk that died, then copies batches until the
/// budget is spent: journal the batch (save the cursor), fetch it, APPEND it, record it and save the cursor again.
/// A crash anywhere leaves either no journal (the batch is wholly before or after) or a journal whose batch is
/// matched against the destination, message by message, before anything else moves.
/// </remarks>
public sealed class MailboxCopier(MailConnector connector)
{
    private static readonly IReadOnlySet<string> EmptyKeywords = new HashSet<string>();

    private static readonly FetchRequest SummaryRequest =
        new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size);

    /// <summary>Called at each step of a batch; tests throw from it to simulate a crash there.</summary>
    internal Func<CopyStep, ValueTask>? StepHook { get; set; }

    /// <summary>Copies up to <paramref name="budget"/> of the mailbox and saves where it got to.</summary>
    /// <exception cref="MailFailureException">The mailbox cannot go on now: login refused, destination full, a
    /// connection lost (transient), too many failed messages. The cursor keeps everything done so far.</exception>
    public async Task<ChunkResult> CopyChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(budget);
        await using var hold = await store.TryLockAsync(cancellationToken)
            ?? throw new MailFailureException(Busy("Another copy of this mailbox's chunk is running; this one will retry after it."));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hold.Lost);
        try
        {
            return await CopyHeldChunkAsync(job, store, budget, linked.Token);
        }
        catch (OperationCanceledException) when (hold.Lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Whatever this chunk appended is journaled; the next holder reconciles it before copying anything.
            throw new MailFailureException(Busy("This chunk lost its hold on the mailbox and stopped; the copy resumes from the cursor."));
        }
    }

    private static MailFailure Busy(string message) => new(ErrorCode.MailboxBusy, message, IsTransient: true, TimeSpan.FromSeconds(15));

    private async Task<ChunkResult> CopyHeldChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken)
    {
        var cursor = await store.LoadAsync(cancellationToken) ?? new MailboxCursor();
        StartRun(cursor, job.RunId);
        var chunk = new Chunk(job, cursor, store, budget, this);

        using var destinationClient = await connector.OpenImapAsync(job.Destination, job.DestinationAccount, MailSide.Destination, cancellationToken);
        var destination = new DestinationMailbox(destinationClient);
        try
        {
            if (job.Source.Protocol == MailProtocol.Pop3)
            {
                using var pop3 = await connector.OpenPop3Async(ServerEndpoint.Of(job.Source), job.SourceAccount, MailSide.Source, cancellationToken);
                return await chunk.CopyPop3Async(pop3, destination, cancellationToken);
            }

            using var imap = await connector.OpenImapAsync(ServerEndpoint.Of(job.Source), job.SourceAccount, MailSide.Source, cancellationToken);
            return await chunk.CopyImapAsync(imap, destination, cancellationToken);
        }
        finally
        {
            await QuietlyDisconnectAsync(destinationClient);
        }
    }

    /// <summary>A new run retries the messages that failed in the last one and brings flags up to date.</summary>
    private static void StartRun(MailboxCursor cursor, string runId)
    {
        if (cursor.RunId == runId)
        {
            return;
        }

        cursor.RunId = runId;
        foreach (var failure in cursor.Failures.Where(f => f.Uid is not null))
        {
            if (cursor.Folders.TryGetValue(failure.Folder, out var folder))
            {
                folder.Retry.Add(failure.Uid!.Value);
            }
        }

        cursor.Failures.Clear();
    }

    private ValueTask StepAsync(CopyStep step) => StepHook?.Invoke(step) ?? ValueTask.CompletedTask;

    private static async Task QuietlyDisconnectAsync(IMailService client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.DisconnectAsync(true, timeout.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ServiceNotConnectedException or ImapProtocolException or Pop3ProtocolException or ImapCommandException)
        {
            // The chunk's outcome is already decided; a failed LOGOUT changes nothing.
        }
    }

    /// <summary>The state of one chunk: the job, the cursor, the budget spent so far.</summary>
    private sealed class Chunk(MailboxJob job, MailboxCursor cursor, ICursorStore store, ChunkBudget budget, MailboxCopier copier)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long copiedThisChunk;
        private long bytesThisChunk;
        private long flagsUpdated;
        private int notExact;
        private long messagesTotal;
        private long bytesTotal;
        private int folderCount;
        private long? destinationLimit;

        private bool BudgetSpent =>
            copiedThisChunk >= budget.MaxMessages || bytesThisChunk >= budget.MaxBytes || clock.Elapsed >= budget.MaxDuration;

        // ---------------------------------------------------------------- IMAP source

        public async Task<ChunkResult> CopyImapAsync(ImapClient source, DestinationMailbox destination, CancellationToken cancellationToken)
        {
            destinationLimit = destination.AppendLimit;
            var folders = await OnSource(() => SourceFolders.PlanAsync(source, job.Source.Provider, job.Options.IncludeGmailAllMail, cancellationToken));
            var plans = folders.Plans;
            var byName = folders.ByName;
            folderCount = plans.Count;
            messagesTotal = folders.Messages;
            bytesTotal = folders.Bytes;

            if (cursor.InFlight is { Uids.Count: > 0 } journal)
            {
                await ReconcileImapAsync(journal, byName, destination, cancellationToken);
            }

            foreach (var plan in plans)
            {
                if (!await CopyFolderAsync(plan, byName[plan.SourceFullName], destination, cancellationToken))
                {
                    return Result(completed: false);
                }
            }

            return Result(completed: true);
        }

        /// <returns>False when the budget ran out before the folder was finished.</returns>
        private async Task<bool> CopyFolderAsync(FolderPlan plan, IMailFolder folder, DestinationMailbox destination, CancellationToken cancellationToken)
        {
            if (!cursor.Folders.TryGetValue(plan.SourceFullName, out var state))
            {
                state = new FolderCursor { FlagsSyncedRun = job.RunId };
                cursor.Folders[plan.SourceFullName] = state;
            }

            await OnSource(() => folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken));
            // Read before anything is fetched: a flag changed later has a higher MODSEQ and is synced next run.
            var modSeqAtOpen = folder.HighestModSeq;
            if (state.FlagsSyncedRun == job.RunId && state.FlagsModSeq == 0 && state.HighestCopiedUid == 0)
            {
                // A folder first copied in this run: its messages arrive with the flags they have now.
                state.FlagsModSeq = modSeqAtOpen;
            }

            // Every folder exists at the destination, empty ones too.
            var target = await OnDestination(() => destination.OpenAsync(plan, cancellationToken));
            if (state.DestinationFolder != target.Folder.FullName || state.DestinationUidValidity != target.UidValidity)
            {
                // A different or re-created destination folder: the old UID map points at nothing.
                state.DestinationFolder = target.Folder.FullName;
                state.DestinationUidValidity = target.UidValidity;
                state.Map = new UidMap();
            }

            if (state.UidValidity != 0 && state.UidValidity != folder.UidValidity)
            {
                await RematchAsync(folder, state, target, cancellationToken);
            }

            state.UidValidity = folder.UidValidity;
            var failedNow = cursor.Failures.Where(f => f.Folder == plan.SourceFullName && f.Uid is not null).Select(f => f.Uid!.Value).ToHashSet();
            var fresh = await OnSource(() => ImapIdentities.UidsFromAsync(folder, state.HighestCopiedUid + 1, cancellationToken));
            var pending = state.Retry.Where(u => !failedNow.Contains(u))
                .Concat(fresh.Select(u => u.Id).Where(u => !state.CopiedAbove.Contains(u) && !failedNow.Contains(u)))
                .Distinct()
                .Select(u => new UniqueId(folder.UidValidity, u))
                .ToList();

            // Summaries in slices: a folder of 100,000 messages must not be one FETCH held in memory at once.
            for (var offset = 0; offset < pending.Count; offset += 2_000)
            {
                var slice = pending.GetRange(offset, Math.Min(2_000, pending.Count - offset));
                var summaries = (await OnSource(() => folder.FetchAsync(slice, SummaryRequest, cancellationToken)))
                    .OrderBy(s => slice.IndexOf(s.UniqueId)).ToList();
                foreach (var batch in Batches(summaries))
                {
                    if (BudgetSpent)
                    {
                        return false;
                    }

                    await CopyImapBatchAsync(plan, folder, state, target, batch, cancellationToken);
                }

                // Messages that vanished between SEARCH and FETCH are simply not there to copy.
                AdvancePast(state, slice.Select(u => u.Id).Where(u => u > state.HighestCopiedUid));
            }

            if (state.FlagsSyncedRun != job.RunId)
            {
                if (BudgetSpent)
                {
                    return false;
                }

                await SyncFlagsAsync(folder, state, target, modSeqAtOpen, cancellationToken);
                state.FlagsSyncedRun = job.RunId;
                state.FlagsModSeq = modSeqAtOpen;
                await copier.StepAsync(CopyStep.FlagsSynced);
                await store.SaveAsync(cursor, cancellationToken);
            }

            return true;
        }

        private IEnumerable<List<IMessageSummary>> Batches(IEnumerable<IMessageSummary> summaries)
        {
            var batch = new List<IMessageSummary>();
            long bytes = 0;
            foreach (var summary in summaries)
            {
                var size = (long)(summary.Size ?? 0);
                if (batch.Count > 0 && (batch.Count >= job.Options.BatchMessages || bytes + size > job.Options.BatchBytes
                    || copiedThisChunk + batch.Count >= budget.MaxMessages))
                {
                    yield return batch;
                    batch = [];
                    bytes = 0;
                }

                batch.Add(summary);
                bytes += size;
            }

            if (batch.Count > 0)
            {
                yield return batch;
            }
        }

        private async Task CopyImapBatchAsync(FolderPlan plan, IMailFolder folder, FolderCursor state, DestinationFolder target, List<IMessageSummary> batch, CancellationToken cancellationToken)
        {
            var limit = destinationLimit;
            var tooBig = batch.Where(s => limit is { } l && (long)(s.Size ?? 0) > l).ToList();
            foreach (var summary in tooBig)
            {
                Fail(plan.SourceFullName, summary.UniqueId.Id, null, (long)(summary.Size ?? 0),
                    new MailFailure(ErrorCode.MessageTooBig, $"The message is {summary.Size:N0} bytes; the destination takes at most {limit:N0}.", false));
            }

            var sending = batch.Except(tooBig).ToList();
            if (sending.Count > 0)
            {
                cursor.InFlight = new InFlightBatch
                {
                    SourceFolder = plan.SourceFullName,
                    SourceUidValidity = folder.UidValidity,
                    Uids = sending.Select(s => s.UniqueId.Id).ToList(),
                    DestinationFolder = target.Folder.FullName,
                    DestinationUidValidity = target.UidValidity,
                    DestinationUidNext = target.UidNextLowerBound,
                };
                await store.SaveAsync(cursor, cancellationToken);
                await copier.StepAsync(CopyStep.Journaled);

                var bodies = await OnSource(() => FetchBodiesAsync(folder, sending.Select(s => s.UniqueId).ToList(), cancellationToken));
                await copier.StepAsync(CopyStep.Fetched);

                var outgoing = sending.Where(s => bodies.ContainsKey(s.UniqueId.Id))
                    .Select(s => new OutgoingMessage(s.UniqueId.Id, bodies[s.UniqueId.Id], s.Flags ?? MessageFlags.None,
                        s.Keywords ?? EmptyKeywords, s.InternalDate))
                    .ToList();
                var outcome = await OnDestination(() => target.AppendAsync(outgoing, copier.AppendProgress(), cancellationToken));
                await copier.StepAsync(CopyStep.Appended);

                foreach (var (tag, uid, size) in outcome.Appended)
                {
                    var sourceUid = (uint)tag;
                    Copied(size);
                    state.Retry.Remove(sourceUid);
                    if (uid is { } destinationUid)
                    {
                        state.Map.Add(sourceUid, destinationUid.Id);
                    }
                }

                foreach (var (tag, size, failure) in outcome.Refused)
                {
                    state.Retry.Remove((uint)tag);
                    Fail(plan.SourceFullName, (uint)tag, null, size, failure);
                }

                notExact += outcome.NotExact;
            }

            foreach (var summary in tooBig)
            {
                state.Retry.Remove(summary.UniqueId.Id);
            }

            AdvancePast(state, batch.Select(s => s.UniqueId.Id).Where(u => u > state.HighestCopiedUid));
            cursor.InFlight = null;
            await store.SaveAsync(cursor, cancellationToken);
            await copier.StepAsync(CopyStep.Saved);
            ThrowIfTooManyFailures();
        }

        private static async Task<Dictionary<uint, byte[]>> FetchBodiesAsync(IMailFolder folder, IList<UniqueId> uids, CancellationToken cancellationToken)
        {
            var bodies = new Dictionary<uint, byte[]>(uids.Count);
            // GetStreams fetches BODY.PEEK[] for the whole batch in one command: the source's \Seen is never set.
            await ((ImapFolder)folder).GetStreamsAsync(uids, async (_, _, uid, stream, ct) =>
            {
                using var buffer = new MemoryStream(stream.CanSeek ? (int)stream.Length : 0);
                await stream.CopyToAsync(buffer, ct);
                bodies[uid.Id] = buffer.ToArray();
            }, cancellationToken);
            return bodies;
        }

        /// <summary>Everything up to the highest handled UID is done; reconciled UIDs below it need no special record.</summary>
        private static void AdvancePast(FolderCursor state, IEnumerable<uint> handled)
        {
            var highest = handled.DefaultIfEmpty(0u).Max();
            if (highest > state.HighestCopiedUid)
            {
                state.HighestCopiedUid = highest;
                state.CopiedAbove.RemoveWhere(u => u <= highest);
            }
        }

        private async Task ReconcileImapAsync(InFlightBatch journal, IReadOnlyDictionary<string, IMailFolder> folders, DestinationMailbox destination, CancellationToken cancellationToken)
        {
            var state = cursor.Folders.GetValueOrDefault(journal.SourceFolder);
            var target = await OnDestination(() => destination.OpenExistingAsync(journal.DestinationFolder, cancellationToken));
            if (state is not null && target is not null && folders.TryGetValue(journal.SourceFolder, out var folder))
            {
                await OnSource(() => folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken));
                // A changed source UIDVALIDITY is handled by the folder's full re-match; a changed destination one means
                // the folder was re-created, so every message in it is a candidate.
                if (folder.UidValidity == journal.SourceUidValidity)
                {
                    var lowest = target.UidValidity == journal.DestinationUidValidity ? journal.DestinationUidNext : 1;
                    var sourceIds = await OnSource(() => ImapIdentities.FetchAsync(folder, journal.Uids.Select(u => new UniqueId(folder.UidValidity, u)).ToList(), cancellationToken));
                    var candidates = await OnDestination(() => ImapIdentities.UidsFromAsync(target.Folder, lowest, cancellationToken));
                    var destinationIds = await OnDestination(() => ImapIdentities.FetchAsync(target.Folder, candidates, cancellationToken));
                    foreach (var (sourceUid, destinationUid) in IdentityMatcher.Match(
                        sourceIds.Select(s => (s.Uid.Id, s.Identity)), destinationIds.Select(d => (d.Uid.Id, d.Identity))))
                    {
                        if (sourceUid > state.HighestCopiedUid)
                        {
                            state.CopiedAbove.Add(sourceUid);
                        }

                        state.Retry.Remove(sourceUid);
                        if (target.UidValidity == state.DestinationUidValidity)
                        {
                            state.Map.Add(sourceUid, destinationUid);
                        }

                        Copied(sourceIds.First(s => s.Uid.Id == sourceUid).Identity.Size, thisChunk: false);
                    }
                }
            }

            cursor.InFlight = null;
            await store.SaveAsync(cursor, cancellationToken);
        }

        /// <summary>The source folder's UIDVALIDITY changed: its old UIDs mean nothing, so match every message by
        /// identity against what is already at the destination, and copy only what is not there.</summary>
        private async Task RematchAsync(IMailFolder folder, FolderCursor state, DestinationFolder target, CancellationToken cancellationToken)
        {
            var sourceUids = await OnSource(() => folder.SearchAsync(SearchQuery.All, cancellationToken));
            var sourceIds = await OnSource(() => ImapIdentities.FetchAsync(folder, sourceUids, cancellationToken));
            var destinationUids = await OnDestination(() => ImapIdentities.UidsFromAsync(target.Folder, 1, cancellationToken));
            var destinationIds = await OnDestination(() => ImapIdentities.FetchAsync(target.Folder, destinationUids, cancellationToken));
            state.HighestCopiedUid = 0;
            state.CopiedAbove.Clear();
            state.Retry.Clear();
            state.Map = new UidMap();
            state.FlagsModSeq = 0;
            cursor.Failures.RemoveAll(f => f.Folder == target.Folder.FullName);
            foreach (var (sourceUid, destinationUid) in IdentityMatcher.Match(
                sourceIds.Select(s => (s.Uid.Id, s.Identity)), destinationIds.Select(d => (d.Uid.Id, d.Identity))))
            {
                state.CopiedAbove.Add(sourceUid);
                state.Map.Add(sourceUid, destinationUid);
            }

            state.UidValidity = folder.UidValidity;
            await store.SaveAsync(cursor, cancellationToken);
        }

        /// <summary>Brings the destination's flags up to the source's. With CONDSTORE only what changed since the last
        /// sync is fetched (nothing at all when HIGHESTMODSEQ has not moved); without it every message is compared.</summary>
        private async Task SyncFlagsAsync(IMailFolder folder, FolderCursor state, DestinationFolder target, ulong modSeqAtOpen, CancellationToken cancellationToken)
        {
            var incremental = state.FlagsModSeq > 0 && modSeqAtOpen > 0;
            if (incremental && modSeqAtOpen == state.FlagsModSeq)
            {
                return;
            }

            var pairs = state.Map.Pairs().ToList();
            if (pairs.Count == 0)
            {
                return;
            }

            var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);
            var sourceUids = pairs.Select(p => new UniqueId(folder.UidValidity, p.Source)).ToList();
            // CHANGEDSINCE (RFC 7162 section 3.1.4.1): the server returns only messages whose flags changed since then.
            var sourceRequest = incremental ? new FetchRequest(request.Items) { ChangedSince = state.FlagsModSeq } : request;
            var sourceFlags = (await OnSource(() => folder.FetchAsync(sourceUids, sourceRequest, cancellationToken)))
                .ToDictionary(s => s.UniqueId.Id);
            pairs = pairs.Where(p => sourceFlags.ContainsKey(p.Source)).ToList();
            if (pairs.Count == 0)
            {
                return;
            }

            var destinationFlags = (await OnDestination(() => target.Folder.FetchAsync(pairs.Select(p => new UniqueId(target.UidValidity, p.Destination)).ToList(), request, cancellationToken)))
                .ToDictionary(s => s.UniqueId.Id);
            var allowAnyKeyword = (target.Folder.PermanentFlags & MessageFlags.UserDefined) != 0;

            var changes = new Dictionary<(MessageFlags Flags, string Keywords), List<UniqueId>>();
            foreach (var (sourceUid, destinationUid) in pairs)
            {
                if (!sourceFlags.TryGetValue(sourceUid, out var wanted) || !destinationFlags.TryGetValue(destinationUid, out var actual))
                {
                    continue;
                }

                var flags = (wanted.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined);
                var keywords = (wanted.Keywords ?? EmptyKeywords).Where(k => allowAnyKeyword || target.Folder.PermanentKeywords.Contains(k)).Order(StringComparer.Ordinal).ToList();
                var actualFlags = (actual.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined);
                var actualKeywords = (actual.Keywords ?? EmptyKeywords).Order(StringComparer.Ordinal).ToList();
                if (flags == actualFlags && keywords.SequenceEqual(actualKeywords, StringComparer.Ordinal))
                {
                    continue;
                }

                var key = (flags, string.Join('\n', keywords));
                if (!changes.TryGetValue(key, out var uids))
                {
                    changes[key] = uids = [];
                }

                uids.Add(new UniqueId(target.UidValidity, destinationUid));
            }

            foreach (var ((flags, keywords), uids) in changes)
            {
                var flagsRequest = new StoreFlagsRequest(StoreAction.Set, flags) { Silent = true };
                if (keywords.Length > 0)
                {
                    flagsRequest.Keywords.UnionWith(keywords.Split('\n'));
                }

                await OnDestination(() => target.Folder.StoreAsync(uids, flagsRequest, cancellationToken));
                flagsUpdated += uids.Count;
            }
        }

        // ---------------------------------------------------------------- POP3 source

        public async Task<ChunkResult> CopyPop3Async(Pop3Client source, DestinationMailbox destination, CancellationToken cancellationToken)
        {
            if ((source.Capabilities & Pop3Capabilities.UIDL) == 0)
            {
                throw new MailFailureException(new MailFailure(ErrorCode.SourceProtocolError,
                    "The POP3 server does not support UIDL, so messages cannot be told apart across runs; use IMAP for this source.", false));
            }

            destinationLimit = destination.AppendLimit;
            var uidls = await OnSource(() => source.GetMessageUidsAsync(cancellationToken));
            var sizes = await OnSource(() => source.GetMessageSizesAsync(cancellationToken));
            folderCount = 1;
            messagesTotal = uidls.Count;
            bytesTotal = sizes.Sum(s => (long)s);
            var inbox = new FolderPlan("INBOX", ["INBOX"], FolderRole.Inbox);
            var target = await OnDestination(() => destination.OpenAsync(inbox, cancellationToken));
            var indexOf = uidls.Select((uidl, index) => (uidl, index)).GroupBy(p => p.uidl).ToDictionary(g => g.Key, g => g.First().index, StringComparer.Ordinal);

            if (cursor.InFlight is { Uidls.Count: > 0 } journal)
            {
                await ReconcilePop3Async(journal, source, destination, indexOf, cancellationToken);
            }

            var failed = cursor.Failures.Where(f => f.Uidl is not null).Select(f => f.Uidl!).ToHashSet(StringComparer.Ordinal);
            var pending = indexOf.Where(p => !cursor.Pop3Done.Contains(p.Key) && !failed.Contains(p.Key)).OrderBy(p => p.Value).ToList();
            var batch = new List<(string Uidl, int Index)>();
            long batchBytes = 0;
            foreach (var (uidl, index) in pending)
            {
                if (batch.Count > 0 && (batch.Count >= job.Options.BatchMessages || batchBytes + sizes[index] > job.Options.BatchBytes
                    || copiedThisChunk + batch.Count >= budget.MaxMessages))
                {
                    await CopyPop3BatchAsync(source, target, batch, sizes, cancellationToken);
                    batch = [];
                    batchBytes = 0;
                }

                if (BudgetSpent)
                {
                    return Result(completed: false);
                }

                batch.Add((uidl, index));
                batchBytes += sizes[index];
            }

            if (batch.Count > 0)
            {
                await CopyPop3BatchAsync(source, target, batch, sizes, cancellationToken);
            }

            return Result(completed: true);
        }

        private async Task CopyPop3BatchAsync(Pop3Client source, DestinationFolder target, List<(string Uidl, int Index)> batch, IList<int> sizes, CancellationToken cancellationToken)
        {
            var limit = destinationLimit;
            var sending = new List<(string Uidl, int Index)>();
            foreach (var item in batch)
            {
                if (limit is { } l && sizes[item.Index] > l)
                {
                    Fail("INBOX", null, item.Uidl, sizes[item.Index],
                        new MailFailure(ErrorCode.MessageTooBig, $"The message is {sizes[item.Index]:N0} bytes; the destination takes at most {l:N0}.", false));
                }
                else
                {
                    sending.Add(item);
                }
            }

            if (sending.Count > 0)
            {
                cursor.InFlight = new InFlightBatch
                {
                    SourceFolder = "INBOX",
                    Uidls = sending.Select(s => s.Uidl).ToList(),
                    DestinationFolder = target.Folder.FullName,
                    DestinationUidValidity = target.UidValidity,
                    DestinationUidNext = target.UidNextLowerBound,
                };
                await store.SaveAsync(cursor, cancellationToken);
                await copier.StepAsync(CopyStep.Journaled);

                var outgoing = new List<OutgoingMessage>(sending.Count);
                foreach (var (uidl, index) in sending)
                {
                    var raw = await OnSource(() => DownloadAsync(source, index, cancellationToken));
                    outgoing.Add(new OutgoingMessage(uidl, raw, MessageFlags.None, new HashSet<string>(), DateOf(raw)));
                }

                await copier.StepAsync(CopyStep.Fetched);
                var outcome = await OnDestination(() => target.AppendAsync(outgoing, copier.AppendProgress(), cancellationToken));
                await copier.StepAsync(CopyStep.Appended);
                foreach (var (tag, _, size) in outcome.Appended)
                {
                    cursor.Pop3Done.Add((string)tag);
                    Copied(size);
                }

                foreach (var (tag, size, failure) in outcome.Refused)
                {
                    Fail("INBOX", null, (string)tag, size, failure);
                }

                notExact += outcome.NotExact;
            }

            cursor.InFlight = null;
            await store.SaveAsync(cursor, cancellationToken);
            await copier.StepAsync(CopyStep.Saved);
            ThrowIfTooManyFailures();
        }

        private async Task ReconcilePop3Async(InFlightBatch journal, Pop3Client source, DestinationMailbox destination, Dictionary<string, int> indexOf, CancellationToken cancellationToken)
        {
            var target = await OnDestination(() => destination.OpenExistingAsync(journal.DestinationFolder, cancellationToken));
            if (target is not null)
            {
                var sourceIds = new List<(string Uidl, MessageIdentity Identity)>();
                foreach (var uidl in journal.Uidls.Where(indexOf.ContainsKey))
                {
                    var raw = await OnSource(() => DownloadAsync(source, indexOf[uidl], cancellationToken));
                    sourceIds.Add((uidl, MessageIdentity.FromRaw(raw)));
                }

                var lowest = target.UidValidity == journal.DestinationUidValidity ? journal.DestinationUidNext : 1;
                var candidates = await OnDestination(() => ImapIdentities.UidsFromAsync(target.Folder, lowest, cancellationToken));
                var destinationIds = await OnDestination(() => ImapIdentities.FetchAsync(target.Folder, candidates, cancellationToken));
                foreach (var (uidl, _) in IdentityMatcher.Match(sourceIds, destinationIds.Select(d => (d.Uid, d.Identity))))
                {
                    cursor.Pop3Done.Add(uidl);
                    Copied(sourceIds.First(s => s.Uidl == uidl).Identity.Size, thisChunk: false);
                }
            }

            cursor.InFlight = null;
            await store.SaveAsync(cursor, cancellationToken);
        }

        private static async Task<byte[]> DownloadAsync(Pop3Client source, int index, CancellationToken cancellationToken)
        {
            // RETR, never DELE: the source keeps every message.
            await using var stream = await source.GetStreamAsync(index, headersOnly: false, cancellationToken);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }

        /// <summary>POP3 has no INTERNALDATE: the Date header is the best stand-in for when the message arrived.</summary>
        private static DateTimeOffset? DateOf(byte[] raw)
        {
            try
            {
                var headers = HeaderList.Load(new MemoryStream(raw, 0, MessageIdentity.HeaderBlock(raw).Length, writable: false));
                return headers[HeaderId.Date] is { } value && MimeKit.Utils.DateUtils.TryParse(value, out var date) ? date : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        // ---------------------------------------------------------------- shared

        private void Copied(long size, bool thisChunk = true)
        {
            cursor.MessagesCopied++;
            cursor.BytesCopied += size;
            if (thisChunk)
            {
                copiedThisChunk++;
                bytesThisChunk += size;
            }
        }

        private void Fail(string folder, uint? uid, string? uidl, long size, MailFailure failure)
        {
            cursor.Failures.Add(new FailedMessage { Folder = folder, Uid = uid, Uidl = uidl, Size = size, Code = failure.Code, Reason = failure.Message });
        }

        private void ThrowIfTooManyFailures()
        {
            if (cursor.Failures.Count > job.Options.MaxMessageFailures)
            {
                throw new MailFailureException(new MailFailure(ErrorCode.TooManyMessageFailures,
                    $"{cursor.Failures.Count} messages could not be copied, more than the limit of {job.Options.MaxMessageFailures}; the mailbox stopped.", false));
            }
        }

        private ChunkResult Result(bool completed) => new(
            completed, copiedThisChunk, bytesThisChunk, cursor.MessagesCopied, cursor.BytesCopied,
            messagesTotal, bytesTotal, folderCount, cursor.Failures.ToList(), flagsUpdated, notExact);

        private static Task<T> OnSource<T>(Func<Task<T>> action) => Classified(action, MailSide.Source);

        private static Task OnSource(Func<Task> action) => Classified(async () => { await action(); return true; }, MailSide.Source);

        private static Task<T> OnDestination<T>(Func<Task<T>> action) => Classified(action, MailSide.Destination);

        private static async Task<T> Classified<T>(Func<Task<T>> action, MailSide side)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is not (MailFailureException or OperationCanceledException))
            {
                throw new MailFailureException(MailErrorClassifier.Classify(e, side), e);
            }
        }
    }

    private ITransferProgress? AppendProgress() => StepHook is null ? null : new HalfwayProgress(this);

    /// <summary>Calls the step hook once half of an APPEND's bytes are written, to interrupt it mid-literal.</summary>
    private sealed class HalfwayProgress(MailboxCopier copier) : ITransferProgress
    {
        private bool fired;

        public void Report(long bytesTransferred, long totalSize)
        {
            if (!fired && bytesTransferred * 2 >= totalSize)
            {
                fired = true;
                copier.StepAsync(CopyStep.Appending).AsTask().GetAwaiter().GetResult();
            }
        }

        public void Report(long bytesTransferred)
        {
        }
    }
}
