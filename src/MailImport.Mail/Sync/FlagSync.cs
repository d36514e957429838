using MailKit;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>Brings the destination's flags and keywords up to the source's for the messages a folder has copied.</summary>
/// <remarks>Every flag but \Recent is carried, as imapsync does: \Recent belongs to the session that sees a message
/// first (RFC 3501 section 2.3.2) and cannot be set.</remarks>
internal static class FlagSync
{
    private static readonly FetchRequest FlagsRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    /// <summary>Messages whose flags one page compares: a folder of 100,000 messages must not be one FETCH of flags
    /// held in memory, nor one step that a chunk's time budget cannot stop between.</summary>
    internal const int PageSize = 2_000;

    /// <summary>Compares and corrects the flags of every mapped message, a page of <see cref="PageSize"/> at a time in
    /// source UID order, from where this run's sync of the folder stopped (<see cref="FolderCursor.FlagsSyncedUpTo"/>).
    /// With CONDSTORE only what changed since the last sync is fetched (nothing at all when HIGHESTMODSEQ has not
    /// moved); without it every message is compared.</summary>
    /// <param name="source">The source folder, open.</param>
    /// <param name="state">Its cursor: the UID map, the HIGHESTMODSEQ of the last sync, and where this run's sync stands.</param>
    /// <param name="target">The destination folder, open.</param>
    /// <param name="modSeqAtOpen">The source's HIGHESTMODSEQ when the folder was opened for this chunk.</param>
    /// <param name="budgetSpent">Asked before every page but the first: true stops the sync there, to go on next chunk.</param>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <param name="keywordsOf">The keywords a source message should have at the destination, from its UID and its own
    /// keywords (a Gmail view adds the message's other labels); null for its own.</param>
    /// <returns>How many destination messages had their flags changed, and whether every page is done.</returns>
    public static async Task<(long Updated, bool Done)> SyncAsync(IMailFolder source, FolderCursor state, DestinationFolder target, ulong modSeqAtOpen,
        Func<bool> budgetSpent, CancellationToken cancellationToken, Func<uint, IReadOnlySet<string>, IReadOnlySet<string>>? keywordsOf = null)
    {
        var incremental = state.FlagsModSeq > 0 && modSeqAtOpen > 0;
        if (incremental && modSeqAtOpen == state.FlagsModSeq)
        {
            return (0, true);
        }

        var from = state.FlagsSyncedUpTo ?? 0;
        long updated = 0;
        var first = true;
        foreach (var page in state.Map.Pairs().Where(p => p.Source > from).Chunk(PageSize))
        {
            if (!first && budgetSpent())
            {
                return (updated, false);
            }

            first = false;
            updated += await SyncPageAsync(source, state, target, incremental, page, keywordsOf, cancellationToken);
            // Done up to here for this run: a chunk that stops after this page leaves the next one to go on from it.
            state.FlagsSyncedUpTo = page[^1].Source;
        }

        return (updated, true);
    }

    private static async Task<long> SyncPageAsync(IMailFolder source, FolderCursor state, DestinationFolder target, bool incremental,
        IReadOnlyList<(uint Source, uint Destination)> page, Func<uint, IReadOnlySet<string>, IReadOnlySet<string>>? keywordsOf, CancellationToken cancellationToken)
    {
        var sourceUids = page.Select(p => new UniqueId(source.UidValidity, p.Source)).ToList();
        // CHANGEDSINCE (RFC 7162 section 3.1.4.1): the server returns only messages whose flags changed since then.
        var sourceRequest = incremental ? new FetchRequest(FlagsRequest.Items) { ChangedSince = state.FlagsModSeq } : FlagsRequest;
        var sourceFlags = (await OnSource(() => source.FetchAsync(sourceUids, sourceRequest, cancellationToken)))
            .ToDictionary(s => s.UniqueId.Id);
        var pairs = page.Where(p => sourceFlags.ContainsKey(p.Source)).ToList();
        if (pairs.Count == 0)
        {
            return 0;
        }

        var destinationFlags = (await OnDestination(() => target.Folder.FetchAsync(pairs.Select(p => new UniqueId(target.UidValidity, p.Destination)).ToList(), FlagsRequest, cancellationToken)))
            .ToDictionary(s => s.UniqueId.Id, FlagState.Of);
        var allowAnyKeyword = (target.Folder.PermanentFlags & MessageFlags.UserDefined) != 0;
        var changes = Changes(pairs, sourceFlags.ToDictionary(p => p.Key, p => FlagState.Of(p.Value) is var have && keywordsOf is not null ? have with { Keywords = keywordsOf(p.Key, have.Keywords) } : FlagState.Of(p.Value)), destinationFlags,
            keyword => allowAnyKeyword || target.Folder.PermanentKeywords.Contains(keyword));
        long updated = 0;
        foreach (var change in changes)
        {
            var store = new StoreFlagsRequest(StoreAction.Set, change.Flags) { Silent = true };
            if (change.Keywords.Count > 0)
            {
                store.Keywords.UnionWith(change.Keywords);
            }

            var uids = change.DestinationUids.Select(u => new UniqueId(target.UidValidity, u)).ToList();
            await OnDestination(() => target.Folder.StoreAsync(uids, store, cancellationToken));
            updated += uids.Count;
        }

        return updated;
    }

    /// <summary>The destination messages whose flags differ from their source's, grouped by the flags and keywords
    /// they should have (in the order first met), so each group is one STORE.</summary>
    /// <param name="pairs">Source UID to destination UID.</param>
    /// <param name="wanted">The source's flags by source UID; a message missing here is left alone.</param>
    /// <param name="actual">The destination's flags by destination UID; a message missing here is left alone.</param>
    /// <param name="keywordKept">Whether the destination folder keeps a keyword (PERMANENTFLAGS, RFC 3501 section 7.1).</param>
    internal static List<FlagChange> Changes(
        IEnumerable<(uint Source, uint Destination)> pairs,
        IReadOnlyDictionary<uint, FlagState> wanted,
        IReadOnlyDictionary<uint, FlagState> actual,
        Func<string, bool> keywordKept)
    {
        var changes = new Dictionary<(MessageFlags Flags, string Keywords), FlagChange>();
        foreach (var (sourceUid, destinationUid) in pairs)
        {
            if (!wanted.TryGetValue(sourceUid, out var want) || !actual.TryGetValue(destinationUid, out var have))
            {
                continue;
            }

            var keywords = want.Keywords.Where(keywordKept).Order(StringComparer.Ordinal).ToList();
            if (want.Flags == have.Flags && keywords.SequenceEqual(have.Keywords.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                continue;
            }

            var key = (want.Flags, string.Join('\n', keywords));
            if (!changes.TryGetValue(key, out var change))
            {
                changes[key] = change = new FlagChange(want.Flags, keywords, []);
            }

            change.DestinationUids.Add(destinationUid);
        }

        return changes.Values.ToList();
    }
}

/// <summary>The flags of one message that a copy carries: system flags without \Recent, and keywords.</summary>
/// <param name="Flags">System flags, never \Recent or the user-defined marker.</param>
/// <param name="Keywords">Keywords.</param>
internal readonly record struct FlagState(MessageFlags Flags, IReadOnlySet<string> Keywords)
{
    private static readonly IReadOnlySet<string> NoKeywords = new HashSet<string>();

    /// <summary>The flags a FETCH FLAGS answer gave.</summary>
    public static FlagState Of(IMessageSummary summary) => new(
        (summary.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined),
        summary.Keywords ?? NoKeywords);
}

/// <summary>One STORE: the flags and keywords to set on these destination messages.</summary>
/// <param name="Flags">The system flags to set.</param>
/// <param name="Keywords">The keywords to set, in ordinal order.</param>
/// <param name="DestinationUids">The destination UIDs.</param>
internal sealed record FlagChange(MessageFlags Flags, IReadOnlyList<string> Keywords, List<uint> DestinationUids);
