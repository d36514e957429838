using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Imap;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>A Gmail source's copy plan read from All Mail: each destination folder a view of All Mail's messages
/// (by UID there), so each message is fetched once from the one folder that holds them all.</summary>
/// <remarks>
/// <para>Gmail is recognised by its X-GM-EXT-1 capability, not by its host name: "Checking for the presence of
/// extensions" (https://developers.google.com/gmail/imap/imap-extensions). All Mail is the folder LIST marks \All
/// ("Special-Use Extension of the LIST command"); it holds every message but Spam's and Trash's, each once, with its
/// X-GM-MSGID and X-GM-LABELS ("Access to the Gmail unique message ID", "Access to Gmail labels").</para>
/// <para>A view's cursor is a <see cref="FolderCursor"/> over All Mail's UIDs under All Mail's UIDVALIDITY, named
/// "[Gmail]/All Mail → Work", say: a crash is reconciled and a re-run resumes exactly as for a folder. A message
/// relabelled between runs has the same All Mail UID and X-GM-MSGID; in <see cref="GmailCopyMode.Labels"/> it is left
/// where it was copied, as any view's UID map holding it means it is at the destination.</para>
/// </remarks>
internal sealed class GmailLabelViews
{
    /// <summary>Summaries of All Mail are read in pages, as a folder's are.</summary>
    private const int PageSize = 2_000;

    private static readonly FetchRequest LabelRequest =
        new(MessageSummaryItems.UniqueId | MessageSummaryItems.GMailMessageId | MessageSummaryItems.GMailLabels | MessageSummaryItems.Size);

    private readonly Dictionary<string, GmailFolderView> views;

    private GmailLabelViews(IMailFolder allMail, Dictionary<string, GmailFolderView> views)
    {
        AllMail = allMail;
        this.views = views;
    }

    /// <summary>The \All folder every view reads.</summary>
    public IMailFolder AllMail { get; }

    /// <summary>The view a planned folder name is, or null for a folder copied as it is.</summary>
    public GmailFolderView? ViewOf(string name) => views.GetValueOrDefault(name);

    /// <summary>Plans a Gmail source's copy, or returns null for a source to copy folder by folder: no X-GM-EXT-1, no \All
    /// folder, or All Mail asked for whole.</summary>
    public static async Task<(GmailLabelViews Views, SourcePlan Plan, IReadOnlyDictionary<string, IMailFolder> ByName)?> PlanAsync(
        ImapClient client, SourceFolderPlan folders, CopyOptions options, MailboxCursor cursor, string runId, CancellationToken cancellationToken)
    {
        if ((client.Capabilities & ImapCapabilities.GMailExt1) == 0 || options.IncludeGmailAllMail
            || folders.ByName.Values.FirstOrDefault(f => (f.Attributes & FolderAttributes.All) != 0) is not { } allMail)
        {
            return null;
        }

        await OnSource(() => allMail.OpenAsync(FolderAccess.ReadOnly, cancellationToken));
        var byMessage = options.GmailMode == GmailCopyMode.Labels;
        var table = await TableAsync(allMail, cursor, runId, byMessage, cancellationToken);
        var placed = new Dictionary<string, (GmailPlacement Placement, Dictionary<uint, (GmailPlacement, bool)> Members, long Bytes)>(StringComparer.Ordinal);
        var placements = table.LabelSets.Select(labels => options.GmailMode switch
        {
            GmailCopyMode.Labels => [GmailLabelPlanner.PlaceOnce(labels)],
            GmailCopyMode.CopyPerLabel => GmailLabelPlanner.PlacePerLabel(labels),
            // Folders as they are: only what no label folder shows comes from All Mail.
            _ => GmailLabelPlanner.IsLabelless(labels) ? [GmailLabelPlanner.PlaceOnce(labels)] : Array.Empty<GmailPlacement>(),
        }).ToList();
        foreach (var message in table.Messages)
        {
            foreach (var (placement, index) in placements[message.LabelSet].Select((p, i) => (p, i)))
            {
                var name = $"{allMail.FullName} \u2192 {placement.Name}";
                if (!placed.TryGetValue(name, out var view))
                {
                    placed[name] = view = (placement, [], 0);
                }

                // A message copied per label is counted once, by its first copy.
                view.Members[message.Uid] = (placement, index == 0);
            }
        }

        foreach (var (set, index) in placements.Select((p, i) => (p, i)))
        {
            foreach (var name in set.Select(p => $"{allMail.FullName} \u2192 {p.Name}").Where(placed.ContainsKey))
            {
                placed[name] = placed[name] with { Bytes = placed[name].Bytes + table.LabelSetBytes[index] };
            }
        }

        var views = placed.ToDictionary(p => p.Key, p => new GmailFolderView(p.Value.Members,
            byMessage ? uid => cursor.Gmail!.Copied.Contains(uid) || HeldByAnotherView(cursor, allMail.FullName, p.Key, uid) : _ => false,
            byMessage ? cursor.Gmail : null), StringComparer.Ordinal);

        // Folders as they are keeps every folder FolderMapper planned (All Mail and Important are already left out);
        // by message or per label, only Spam and Trash when asked for: every other folder is a view of All Mail.
        var kept = folders.Plans.Where(p => options.GmailMode == GmailCopyMode.Folders
            || (p.Role == FolderRole.Junk && options.IncludeGmailSpam) || (p.Role == FolderRole.Trash && options.IncludeGmailTrash)).ToList();
        var plans = kept.Concat(placed.Select(p => new FolderPlan(p.Key, PathOf(p.Value.Placement), p.Value.Placement.Role, Subscribed: true)))
            .OrderBy(p => p.Role switch { FolderRole.Inbox => 0, FolderRole.None => 2, _ => 1 })
            .ThenBy(p => string.Join('\u0001', p.Path), StringComparer.Ordinal)
            .ToList();
        var byName = new Dictionary<string, IMailFolder>(folders.ByName, StringComparer.Ordinal);
        foreach (var name in placed.Keys)
        {
            byName[name] = allMail;
        }

        (long Spam, long Trash)? notCopied = options.GmailMode == GmailCopyMode.Folders ? null
            : (await CountAsync(folders, FolderAttributes.Junk, options.IncludeGmailSpam, cancellationToken),
                await CountAsync(folders, FolderAttributes.Trash, options.IncludeGmailTrash, cancellationToken));
        var plan = new SourcePlan(
            plans,
            kept.Sum(p => (long)folders.ByName[p.SourceFullName].Count) + placed.Values.Sum(v => (long)v.Members.Count),
            kept.Sum(p => (long)(folders.ByName[p.SourceFullName].Size ?? 0)) + placed.Values.Sum(v => v.Bytes),
            // By message or per label, a label folder that refused STATUS costs nothing: its messages come from All Mail.
            folders.Refused.Where(r => options.GmailMode == GmailCopyMode.Folders || ((folders.ByName[r.Folder].Attributes & FolderAttributes.Junk) != 0 && options.IncludeGmailSpam)
                || ((folders.ByName[r.Folder].Attributes & FolderAttributes.Trash) != 0 && options.IncludeGmailTrash)).ToList(),
            notCopied);
        return (new GmailLabelViews(allMail, views), plan, byName);
    }

    /// <summary>All Mail's table for this run: the one an earlier chunk of the run read, or read now (X-GM-MSGID,
    /// X-GM-LABELS and size of every message, in pages). By message, a table read under another UIDVALIDITY than the
    /// last one moves the cursor's All Mail UIDs to the new ones by X-GM-MSGID, which Gmail never changes.</summary>
    private static async Task<GmailMessageTable> TableAsync(IMailFolder allMail, MailboxCursor cursor, string runId, bool byMessage, CancellationToken cancellationToken)
    {
        if (cursor.Gmail?.Table is { } known && known.RunId == runId && known.UidValidity == allMail.UidValidity)
        {
            return known;
        }

        var uids = await OnSource(() => ImapIdentities.UidsFromAsync(allMail, 1, cancellationToken));
        var read = new List<(uint, ulong, IEnumerable<string>, uint)>(uids.Count);
        for (var offset = 0; offset < uids.Count; offset += PageSize)
        {
            var page = uids.Skip(offset).Take(PageSize).ToList();
            foreach (var summary in await OnSource(() => allMail.FetchAsync(page, LabelRequest, cancellationToken)))
            {
                read.Add((summary.UniqueId.Id, summary.GMailMessageId ?? 0, summary.GMailLabels ?? [], summary.Size ?? 0));
            }
        }

        var table = GmailMessageTable.Of(allMail.UidValidity, runId, read);
        var gmail = cursor.Gmail ??= new GmailCursor();
        if (byMessage && gmail.Table is { } previous && previous.UidValidity != table.UidValidity)
        {
            Renumber(cursor, allMail, previous, table);
        }
        else if (byMessage && gmail.Table is null)
        {
            // A cursor of a release that kept no table: what its views hold seeds the copied set.
            foreach (var held in table.Messages.Where(m => HeldByAnotherView(cursor, allMail.FullName, "", m.Uid)))
            {
                gmail.MarkCopied(held.Uid);
            }
        }

        gmail.Table = table;
        return table;
    }

    /// <summary>All Mail's UIDVALIDITY changed: every UID the cursor holds for it, in the copied set and in each view's
    /// folder cursor, becomes the new UID of the same X-GM-MSGID (a message gone since is dropped), and the views'
    /// cursors take the new UIDVALIDITY, so none is re-matched by Message-ID, which a relabelled message, copied into
    /// another folder than its view's, would fail.</summary>
    private static void Renumber(MailboxCursor cursor, IMailFolder allMail, GmailMessageTable previous, GmailMessageTable table)
    {
        var byId = table.Messages.Where(m => m.MessageId != 0).GroupBy(m => m.MessageId).ToDictionary(g => g.Key, g => g.First().Uid);
        var oldIds = previous.Messages.ToDictionary(m => m.Uid, m => m.MessageId);
        uint? NewUid(uint old) => oldIds.TryGetValue(old, out var id) && id != 0 && byId.TryGetValue(id, out var uid) ? uid : null;

        var gmail = cursor.Gmail!;
        gmail.ReplaceCopied(gmail.Copied.Select(NewUid).OfType<uint>());
        foreach (var (_, state) in cursor.Folders.Where(f => f.Key.StartsWith(allMail.FullName + " \u2192 ", StringComparison.Ordinal) && f.Value.UidValidity == previous.UidValidity))
        {
            var map = new UidMap();
            foreach (var (source, destination) in state.Map.Pairs().Select(p => (NewUid(p.Source), p.Destination)).Where(p => p.Item1 is not null).OrderBy(p => p.Item1))
            {
                map.Add(source!.Value, destination);
            }

            state.Map = map;
            state.Retry = [.. state.Retry.Select(NewUid).OfType<uint>()];
            // The copied set says what is at the destination; the views list the rest from the start.
            state.HighestCopiedUid = 0;
            state.CopiedAbove.Clear();
            state.FlagsModSeq = 0;
            state.UidValidity = table.UidValidity;
        }
    }

    /// <summary>Where a placement lands: INBOX, or a role folder's usual name for a destination without SPECIAL-USE, or the label's levels.</summary>
    private static IReadOnlyList<string> PathOf(GmailPlacement placement) => placement.Role switch
    {
        FolderRole.Inbox => ["INBOX"],
        FolderRole.None => placement.Path,
        var role => [role.ToString()],
    };

    /// <summary>True when another view's cursor has the message at the destination already: it was placed there by an
    /// earlier run, under the labels it had then.</summary>
    private static bool HeldByAnotherView(MailboxCursor cursor, string allMail, string view, uint uid) =>
        cursor.Folders.Any(f => f.Key != view && f.Key.StartsWith(allMail + " \u2192 ", StringComparison.Ordinal)
            && (f.Value.Map.TryGetDestination(uid, out _) || f.Value.CopiedAbove.Contains(uid)));

    /// <summary>Messages in the folder of this special use that are not copied; 0 when it is copied or absent.</summary>
    private static async Task<long> CountAsync(SourceFolderPlan folders, FolderAttributes use, bool copied, CancellationToken cancellationToken)
    {
        if (copied || folders.ByName.Values.FirstOrDefault(f => (f.Attributes & use) != 0) is not { } folder)
        {
            return 0;
        }

        await OnSource(() => folder.StatusAsync(StatusItems.Count, cancellationToken));
        return folder.Count;
    }
}

/// <summary>The dry run of a Gmail source (<see cref="GmailLabelViews"/>).</summary>
public static class GmailDryRun
{
    /// <summary>A dry run's view of a Gmail source: what the chosen mode would copy, into which destination folders, and
    /// what would become of the labels (as keywords where the destination takes new ones, as Dovecot's folders do);
    /// null for a source copied folder by folder. Reads All Mail's labels as a copy's first chunk does.</summary>
    public static async Task<GmailDryRunPlan?> PlanAsync(ImapClient client, SourceFolderPlan folders, CopyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (await GmailLabelViews.PlanAsync(client, folders, options, new MailboxCursor(), "dry-run", cancellationToken) is not { } planned)
        {
            return null;
        }

        var (views, plan, _) = planned;
        var tally = new GmailLabelTally();
        var counts = plan.Folders.Select(p => new Core.Reports.GmailFolderCount(
            p.Role == FolderRole.None ? string.Join('/', p.Path) : p.Role == FolderRole.Inbox ? "INBOX" : p.Role.ToString(),
            views.ViewOf(p.SourceFullName) is { } view ? view.Tally(tally) : folders.ByName[p.SourceFullName].Count)).ToList();
        var labels = new Core.Reports.GmailLabelCounts(tally.Labelled, tally.Labelless, tally.LabelsAsKeywords, tally.LabelsNotKept,
            plan.GmailNotCopied?.Spam ?? 0, plan.GmailNotCopied?.Trash ?? 0, counts);
        return new GmailDryRunPlan(counts.Select(c => c.Folder).ToList(), plan.Messages, plan.Bytes, labels);
    }
}

/// <summary>What a dry run finds a Gmail source's copy would do.</summary>
/// <param name="Folders">The destination folders, in copy order: INBOX, Sent, Drafts, Archive or a label's name.</param>
/// <param name="Messages">Messages the copy would take.</param>
/// <param name="Bytes">Their bytes.</param>
/// <param name="Labels">The label counts, with each destination folder's messages.</param>
public sealed record GmailDryRunPlan(IReadOnlyList<string> Folders, long Messages, long Bytes, Core.Reports.GmailLabelCounts Labels);

/// <summary>One destination folder's share of All Mail: which UIDs land there and with which keywords.</summary>
/// <param name="members">All Mail UID to its placement here, and whether this copy is the one the message is counted by.</param>
/// <param name="heldElsewhere">Whether an All Mail UID is at the destination already through another view.</param>
/// <param name="copied">By message, where each copy is recorded by its All Mail UID whichever view made it; null otherwise.</param>
internal sealed class GmailFolderView(IReadOnlyDictionary<uint, (GmailPlacement Placement, bool Counted)> members, Func<uint, bool> heldElsewhere, GmailCursor? copied = null)
{
    /// <summary>Records that the message of this All Mail UID is at the destination, so no view copies it again.</summary>
    public void MarkCopied(uint uid) => copied?.MarkCopied(uid);

    /// <summary>The All Mail UIDs this folder takes, ascending, leaving out those another view already copied.</summary>
    public IEnumerable<uint> Uids => members.Keys.Order().Where(uid => !heldElsewhere(uid));

    /// <summary>True when the All Mail UID lands in this folder.</summary>
    public bool Contains(uint uid) => members.ContainsKey(uid);

    /// <summary>The keywords the message carries here, from its other labels.</summary>
    public IReadOnlySet<string> KeywordsOf(uint uid) => members[uid].Placement.Keywords;

    /// <summary>Counts every message of the view as a copy would (keywords kept); returns how many it takes.</summary>
    public long Tally(GmailLabelTally tally)
    {
        foreach (var uid in members.Keys)
        {
            Count(tally, uid, keywordsKept: true);
        }

        return members.Count;
    }

    /// <summary>Counts one copied message's labels, <paramref name="keywordsKept"/> telling whether the destination folder takes new keywords.</summary>
    public void Count(GmailLabelTally tally, uint uid, bool keywordsKept)
    {
        var (placement, counted) = members[uid];
        if (counted && placement.Role == FolderRole.Archive)
        {
            tally.Labelless++;
        }
        else if (counted)
        {
            tally.Labelled++;
        }

        tally.LabelsAsKeywords += keywordsKept ? placement.Keywords.Count : 0;
        tally.LabelsNotKept += placement.LabelsNotKept + (keywordsKept ? 0 : placement.Keywords.Count);
    }
}
