using System.Runtime.CompilerServices;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>One IMAP source folder open (read-only) for copying, and its <see cref="FolderCursor"/>.</summary>
/// <remarks>MailKit's FAQ on folder resync: UIDs mean something only under the UIDVALIDITY they were seen with, so a
/// resume checks it first and a change re-matches the folder by identity instead of copying it again.</remarks>
internal sealed class ImapSourceFolder : ISourceFolder
{
    /// <summary>Summaries are fetched in pages: a folder of 100,000 messages must not be one FETCH held in memory.</summary>
    private const int SliceSize = 2_000;

    private static readonly IReadOnlySet<string> NoKeywords = new HashSet<string>();

    private static readonly FetchRequest SummaryRequest =
        new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Size);

    private readonly IImapFolder folder;
    private readonly FolderCursor state;
    private readonly MailboxCursor cursor;
    private readonly string runId;
    private readonly ILogger logger;
    private readonly ulong modSeqAtOpen;
    private readonly GmailFolderView? view;
    private readonly MessageSpool spool;
    private bool keywordsKept;

    /// <summary>Takes a folder just opened; with a <paramref name="view"/>, the folder is Gmail's All Mail and only the
    /// view's messages are copied, with the view's keywords.</summary>
    public ImapSourceFolder(string name, IImapFolder folder, FolderCursor state, MailboxCursor cursor, string runId, ILogger logger, MessageSpool spool, GmailFolderView? view = null)
    {
        this.spool = spool;
        this.view = view;
        Name = name;
        this.folder = folder;
        this.state = state;
        this.cursor = cursor;
        this.runId = runId;
        this.logger = logger;
        // Read before anything is fetched: a flag changed later has a higher MODSEQ and is synced next run.
        modSeqAtOpen = folder.HighestModSeq;
        if (state.FlagsSyncedRun == runId && state.FlagsModSeq == 0 && state.HighestCopiedUid == 0)
        {
            // A folder first copied in this run: its messages arrive with the flags they have now.
            state.FlagsModSeq = modSeqAtOpen;
        }
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public bool FlagsPending => state.FlagsSyncedRun != runId;

    /// <inheritdoc/>
    public async Task<bool> MatchTargetAsync(DestinationFolder target, CancellationToken cancellationToken)
    {
        var rematched = false;
        if (state.DestinationFolder != target.Folder.FullName || state.DestinationUidValidity != target.UidValidity)
        {
            // A different or re-created destination folder: the old UID map points at nothing.
            state.DestinationFolder = target.Folder.FullName;
            state.DestinationUidValidity = target.UidValidity;
            state.Map = new UidMap();
        }

        if (state.UidValidity != 0 && state.UidValidity != folder.UidValidity)
        {
            await RematchAsync(target, cancellationToken);
            rematched = true;
        }

        state.UidValidity = folder.UidValidity;
        keywordsKept = (target.Folder.PermanentFlags & MessageFlags.UserDefined) != 0;
        return rematched;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<MessageSlice> NewMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var failedNow = cursor.Failures.Where(f => f.Folder == Name && f.Uid is not null).Select(f => f.Uid!.Value).ToHashSet();
        var fresh = view is null
            ? (await OnSource(() => ImapIdentities.UidsFromAsync(folder, state.HighestCopiedUid + 1, cancellationToken))).Select(u => u.Id)
            : view.Uids.Where(u => u > state.HighestCopiedUid);
        var pending = state.Retry.Where(u => !failedNow.Contains(u) && (view is null || view.Contains(u)))
            .Concat(fresh.Where(u => !state.CopiedAbove.Contains(u) && !failedNow.Contains(u)))
            .Distinct()
            .Select(u => new UniqueId(folder.UidValidity, u))
            .ToList();

        for (var offset = 0; offset < pending.Count; offset += SliceSize)
        {
            var slice = pending.GetRange(offset, Math.Min(SliceSize, pending.Count - offset));
            var summaries = (await OnSource(() => folder.FetchAsync(slice, SummaryRequest, cancellationToken)))
                .OrderBy(s => slice.IndexOf(s.UniqueId));
            yield return new MessageSlice(
                slice.Select(u => SourceKey.OfUid(u.Id)).ToList(),
                summaries.Select(s => new SourceMessage(SourceKey.OfUid(s.UniqueId.Id), (long)(s.Size ?? 0),
                    s.Flags ?? MessageFlags.None, KeywordsOf(s.UniqueId.Id, s.Keywords ?? NoKeywords), s.InternalDate)).ToList());
        }
    }

    /// <inheritdoc/>
    public InFlightBatch Journal(IReadOnlyList<SourceMessage> batch) => new()
    {
        SourceFolder = Name,
        SourceUidValidity = folder.UidValidity,
        Uids = batch.Select(m => UidOf(m.Key)).ToList(),
    };

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OutgoingMessage>> FetchAsync(IReadOnlyList<SourceMessage> batch, CancellationToken cancellationToken)
    {
        var uids = batch.Select(m => new UniqueId(folder.UidValidity, UidOf(m.Key))).ToList();
        var bodies = new Dictionary<uint, MessageBody>(uids.Count);
        try
        {
            // GetStreams fetches BODY.PEEK[] for the whole batch in one command: the source's \Seen is never set. Each
            // literal is written into the spool as it arrives (SpooledImapFolder) and taken over here without a copy.
            await OnSource(() => folder.GetStreamsAsync(uids, async (_, _, uid, stream, ct) =>
            {
                var body = await MessageBody.TakeAsync(stream, spool, ct);
                if (bodies.Remove(uid.Id, out var repeated))
                {
                    repeated.Dispose();
                }

                bodies[uid.Id] = body;
            }, cancellationToken));
        }
        catch
        {
            foreach (var body in bodies.Values)
            {
                body.Dispose();
            }

            throw;
        }

        return batch.Where(m => bodies.ContainsKey(UidOf(m.Key)))
            .Select(m => new OutgoingMessage(m.Key, bodies[UidOf(m.Key)], m.Flags, m.Keywords, m.InternalDate))
            .ToList();
    }

    /// <inheritdoc/>
    public void Appended(SourceKey key, UniqueId? destinationUid)
    {
        var uid = UidOf(key);
        state.Retry.Remove(uid);
        if (destinationUid is { } copy)
        {
            state.Map.Add(uid, copy.Id);
        }

        view?.Count(cursor.GmailLabels ??= new GmailLabelTally(), uid, keywordsKept);
        view?.MarkCopied(uid);
    }

    /// <inheritdoc/>
    public IEnumerable<uint> MappedDestinationUids => state.Map.Pairs().Select(p => p.Destination);

    /// <inheritdoc/>
    public void Refused(SourceKey key) => state.Retry.Remove(UidOf(key));

    /// <inheritdoc/>
    /// <remarks>Everything up to the highest handled UID is done; reconciled UIDs below it need no special record.</remarks>
    public void Advance(IEnumerable<SourceKey> handled)
    {
        var highest = handled.Select(UidOf).DefaultIfEmpty(0u).Max();
        if (highest > state.HighestCopiedUid)
        {
            state.HighestCopiedUid = highest;
            state.CopiedAbove.RemoveWhere(u => u <= highest);
        }
    }

    /// <inheritdoc/>
    public async Task<(long Updated, bool Done)> SyncFlagsAsync(DestinationFolder target, Func<bool> budgetSpent, CancellationToken cancellationToken)
    {
        state.FlagsSyncFromModSeq ??= modSeqAtOpen;
        var (updated, done) = await FlagSync.SyncAsync(folder, state, target, modSeqAtOpen, budgetSpent, cancellationToken, view is null ? null : KeywordsOf);
        if (done)
        {
            state.FlagsSyncedRun = runId;
            state.FlagsModSeq = state.FlagsSyncFromModSeq.Value;
            state.FlagsSyncedUpTo = null;
            state.FlagsSyncFromModSeq = null;
        }

        return (updated, done);
    }

    /// <summary>The keywords a message carries to the destination: its own, and in a Gmail view its other labels.</summary>
    private IReadOnlySet<string> KeywordsOf(uint uid, IReadOnlySet<string> keywords) =>
        view is null || !view.Contains(uid) ? keywords : keywords.Union(view.KeywordsOf(uid), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);

    /// <summary>The UID an IMAP source's key holds.</summary>
    internal static uint UidOf(SourceKey key) =>
        key.Uid ?? throw new ArgumentException("An IMAP source names messages by UID.", nameof(key));

    /// <summary>The source folder's UIDVALIDITY changed: its old UIDs mean nothing, so match every message by
    /// identity against what is already at the destination, and copy only what is not there.</summary>
    private async Task RematchAsync(DestinationFolder target, CancellationToken cancellationToken)
    {
        var previous = state.UidValidity;
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
        var matched = IdentityMatcher.Match(sourceIds.Select(s => (s.Uid.Id, s.Identity)), destinationIds.Select(d => (d.Uid.Id, d.Identity)));
        foreach (var (sourceUid, destinationUid) in matched)
        {
            state.CopiedAbove.Add(sourceUid);
            state.Map.Add(sourceUid, destinationUid);
        }

        state.UidValidity = folder.UidValidity;
        Log.UidValidityChanged(logger, Name, previous, folder.UidValidity, matched.Count);
    }
}
