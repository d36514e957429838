using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Sync;

/// <summary>One message on its way to the destination.</summary>
/// <param name="Tag">The source's name for it: an IMAP UID or a POP3 UIDL.</param>
/// <param name="Raw">The bytes exactly as the source sent them, where they wait; disposing the message frees them.</param>
/// <param name="Flags">System flags to set (never \Recent).</param>
/// <param name="Keywords">Keywords to set, where the destination folder allows them.</param>
/// <param name="InternalDate">The INTERNALDATE to keep; null lets the server choose.</param>
/// <param name="DateSource">Where <paramref name="InternalDate"/> was read from, for a source that has no INTERNALDATE
/// (POP3); null when the source gave it.</param>
internal sealed record OutgoingMessage(SourceKey Tag, MessageBody Raw, MessageFlags Flags, IReadOnlySet<string> Keywords, DateTimeOffset? InternalDate,
    ArrivalDateSource? DateSource = null) : IDisposable
{
    /// <summary>Frees the message's bytes (memory back to the spool, or the spool file deleted).</summary>
    public void Dispose() => Raw.Dispose();
}

/// <summary>What one batch's APPEND achieved.</summary>
internal sealed class AppendOutcome
{
    /// <summary>Messages now at the destination, with their destination UID when the server said it (UIDPLUS).</summary>
    public List<(SourceKey Tag, UniqueId? Uid, long Size)> Appended { get; } = [];

    /// <summary>Messages the destination refused, each with its reason.</summary>
    public List<(SourceKey Tag, long Size, MailFailure Failure)> Refused { get; } = [];

    /// <summary>Messages appended though they could not be sent byte for byte, each with why.</summary>
    public List<(SourceKey Tag, long Size, string Reason)> NotExact { get; } = [];

    /// <summary>Keywords dropped because the destination folder does not allow them.</summary>
    public int KeywordsDropped { get; set; }
}

/// <summary>The destination IMAP mailbox: finds or creates folders and appends batches exactly once.</summary>
internal sealed class DestinationMailbox(ImapClient client)
{
    private readonly Dictionary<string, DestinationFolder> open = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, DestinationFolderName> names = new Dictionary<string, DestinationFolderName>();
    private HashSet<string>? subscribed;

    /// <summary>The largest message the server takes (APPENDLIMIT, RFC 7889), if it says.</summary>
    public long? AppendLimit => client.AppendLimit is { } limit ? limit : null;

    /// <summary>Folders this chunk created (CREATE answered OK).</summary>
    public int FoldersCreated { get; private set; }

    private FolderNamespace? Personal => client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0] : null;

    private char Separator => Personal?.DirectorySeparator ?? client.Inbox.DirectorySeparator;

    /// <summary>Names every planned folder at the destination, once the destination's separator is known, and returns
    /// the folders whose name had to change, for the report. Folders that land in INBOX or in the destination's own
    /// special-use folder keep that folder's name and are not renamed; <paramref name="pinned"/> holds the renames of
    /// earlier runs, kept as they were.</summary>
    public IReadOnlyList<FolderNote> Name(IReadOnlyList<FolderPlan> plans, IReadOnlyDictionary<string, string>? pinned = null)
    {
        ArgumentNullException.ThrowIfNull(plans);
        names = FolderMapper.DestinationNames(plans, Separator, pinned);
        return FolderMapper.Renames(plans, names, p => RoleFolderOf(p) is not null);
    }

    /// <summary>Opens the folder a source folder lands in, creating it when needed, and subscribes to it when the
    /// source folder is subscribed; a subscription the destination already has is left as it is, and none is removed.</summary>
    public async Task<DestinationFolder> OpenAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        var folder = await ResolveAsync(plan, cancellationToken);
        if (plan.Subscribed)
        {
            // LSUB, once per chunk: RFC 3501 section 6.3.6 makes SUBSCRIBE of a subscribed name harmless, but it is a round trip per folder.
            subscribed ??= Personal is { } personal
                ? (await client.GetFoldersAsync(personal, StatusItems.None, subscribedOnly: true, cancellationToken)).Select(f => f.FullName).ToHashSet(StringComparer.Ordinal)
                : [];
            if (subscribed.Add(folder.FullName))
            {
                await folder.SubscribeAsync(cancellationToken);
            }
        }

        return await OpenAsync(folder, cancellationToken);
    }

    /// <summary>Opens a destination folder by its full name (a journaled batch names it).</summary>
    public async Task<DestinationFolder?> OpenExistingAsync(string fullName, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(await client.GetFolderAsync(fullName, cancellationToken), cancellationToken);
        }
        catch (FolderNotFoundException)
        {
            return null;
        }
    }

    private async Task<DestinationFolder> OpenAsync(IMailFolder folder, CancellationToken cancellationToken)
    {
        if (open.TryGetValue(folder.FullName, out var known) && known.Folder.IsOpen)
        {
            return known;
        }

        await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        var opened = new DestinationFolder(folder, (client.Capabilities & ImapCapabilities.UTF8Only) != 0);
        open[folder.FullName] = opened;
        return opened;
    }

    /// <summary>INBOX, or the destination's special-use folder of the plan's role; null for a folder copied by name.</summary>
    private IMailFolder? RoleFolderOf(FolderPlan plan) =>
        plan.Role == FolderRole.Inbox && plan.Path.Count == 1 ? client.Inbox
        : plan.Role is not (FolderRole.None or FolderRole.Inbox) ? SpecialFolderOf(plan.Role)
        : null;

    private async Task<IMailFolder> ResolveAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        if (RoleFolderOf(plan) is { } roleFolder)
        {
            return roleFolder;
        }

        var name = names.TryGetValue(plan.SourceFullName, out var named) ? named.FullName : FolderMapper.DestinationName(plan.Path, Separator);
        try
        {
            var existing = await client.GetFolderAsync(name, cancellationToken);
            // A \Noselect name is only a parent at the destination: it must be created to hold messages.
            if ((existing.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) == 0)
            {
                return existing;
            }
        }
        catch (FolderNotFoundException)
        {
        }

        var created = await CreateAsync(name, cancellationToken)
            ?? throw new InvalidOperationException($"The destination did not return the folder '{name}' it created.");
        FoldersCreated++;
        return created;
    }

    /// <summary>Creates the folder alone: one CREATE of its full name, so the destination makes only the parents it
    /// needs, as it keeps them, and a parent the source has as \Noselect is not made a real, empty folder here.</summary>
    private async Task<IMailFolder?> CreateAsync(string fullName, CancellationToken cancellationToken)
    {
        var personal = Personal;
        if (personal is { Path.Length: 0 } && (await client.GetFolderAsync(personal.Path, cancellationToken)) is NamespaceRootFolder root)
        {
            return await root.CreateByFullNameAsync(fullName, cancellationToken);
        }

        // A namespace with a prefix ("INBOX." on Courier and Cyrus): MailKit creates one level at a time under it, so
        // missing parents are created as folders on the way.
        var path = fullName.Split(Separator);
        var parent = path[0].Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? client.Inbox : await client.GetFolderAsync(personal?.Path ?? "", cancellationToken);
        for (var i = parent == client.Inbox ? 1 : 0; i < path.Length; i++)
        {
            try
            {
                parent = await parent.GetSubfolderAsync(path[i], cancellationToken);
            }
            catch (FolderNotFoundException)
            {
                parent = await parent.CreateAsync(path[i], isMessageFolder: true, cancellationToken)
                    ?? throw new InvalidOperationException($"The destination did not return the folder '{path[i]}' it created.");
            }
        }

        return parent;
    }

    private IMailFolder? SpecialFolderOf(FolderRole role)
    {
        if ((client.Capabilities & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) == 0)
        {
            return null;
        }

        var special = role switch
        {
            FolderRole.Sent => SpecialFolder.Sent,
            FolderRole.Drafts => SpecialFolder.Drafts,
            FolderRole.Trash => SpecialFolder.Trash,
            FolderRole.Junk => SpecialFolder.Junk,
            _ => SpecialFolder.Archive,
        };
        return client.GetFolder(special);
    }
}

/// <summary>An open destination folder.</summary>
internal sealed class DestinationFolder(IMailFolder folder, bool utf8Only)
{
    private readonly MimeKit.FormatOptions format = RawMessage.AppendFormat(utf8Only);

    /// <summary>The MailKit folder.</summary>
    public IMailFolder Folder { get; } = folder;

    /// <summary>Its UIDVALIDITY.</summary>
    public uint UidValidity => Folder.UidValidity;

    /// <summary>A UID at or below the one the next appended message will get: UIDs only grow, so a lower bound is a
    /// safe journal entry; reconcile then looks at a few more messages than it needs to.</summary>
    public uint UidNextLowerBound { get; private set; } = folder.UidNext?.Id ?? 1;

    /// <summary>Appends a batch: MULTIAPPEND where offered (all or nothing, RFC 3502); a batch the server refuses
    /// is reconciled and retried one message at a time, so one bad message costs only itself.</summary>
    public async Task<AppendOutcome> AppendAsync(IReadOnlyList<OutgoingMessage> batch, ITransferProgress? progress, CancellationToken cancellationToken)
    {
        var outcome = new AppendOutcome();
        if (batch.Count == 0)
        {
            return outcome;
        }

        var prepared = batch.Select(m => (Message: m, Raw: RawMessage.Create(m.Raw, utf8Only))).ToList();

        var requests = prepared.Select(p => (IAppendRequest)Request(p.Message, p.Raw, progress, outcome)).ToList();
        try
        {
            var uids = await Folder.AppendAsync(format, requests, cancellationToken);
            Record(outcome, batch, uids);
            if (uids.Count != batch.Count)
            {
                await FindCopiesAsync(outcome, batch, cancellationToken);
            }
        }
        catch (ImapCommandException e)
        {
            var failure = MailErrorClassifier.ClassifyAppendFailure(e);
            if (!MailErrorClassifier.IsPerMessage(failure.Code))
            {
                throw new MailFailureException(failure, e);
            }

            if (prepared.Count == 1)
            {
                outcome.Refused.Add((prepared[0].Message.Tag, (long)prepared[0].Message.Raw.Length, failure));
            }
            else
            {
                await AppendOneByOneAsync(prepared, progress, outcome, cancellationToken);
            }
        }

        var appended = outcome.Appended.Select(a => a.Tag).ToHashSet();
        outcome.NotExact.AddRange(prepared.Where(p => !p.Raw.IsExact && appended.Contains(p.Message.Tag))
            .Select(p => (p.Message.Tag, (long)p.Message.Raw.Length, p.Raw.NotExactReason!)));
        return outcome;
    }

    private async Task AppendOneByOneAsync(List<(OutgoingMessage Message, RawMessage Raw)> items, ITransferProgress? progress, AppendOutcome outcome, CancellationToken cancellationToken)
    {
        // Without MULTIAPPEND, MailKit appends one by one and a refusal may come after some went in: find those first.
        var already = await AlreadyAppendedAsync(items.Select(i => i.Message).ToList(), cancellationToken);
        foreach (var (message, raw) in items)
        {
            if (already.TryGetValue(message.Tag, out var uid))
            {
                outcome.Appended.Add((message.Tag, uid, message.Raw.Length));
                continue;
            }

            try
            {
                var appended = await Folder.AppendAsync(format, Request(message, raw, progress, outcome), cancellationToken);
                Record(outcome, [message], appended is { } u ? [u] : []);
            }
            catch (ImapCommandException e)
            {
                var failure = MailErrorClassifier.ClassifyAppendFailure(e);
                if (!MailErrorClassifier.IsPerMessage(failure.Code))
                {
                    throw new MailFailureException(failure, e);
                }

                outcome.Refused.Add((message.Tag, (long)message.Raw.Length, failure));
            }
        }
    }

    /// <summary>A destination without UIDPLUS (RFC 4315) said no APPENDUID: the copies' UIDs are found by their
    /// identities (Message-ID and size, or the header fingerprint) among the messages above the UIDNEXT seen before the
    /// batch, so the cursor maps them as it would with APPENDUID and their flags and keywords are kept up to date.</summary>
    private async Task FindCopiesAsync(AppendOutcome outcome, IReadOnlyList<OutgoingMessage> batch, CancellationToken cancellationToken)
    {
        // The server need not have said EXISTS for the new messages yet; any command's answer may (RFC 3501 section 7.3.1).
        await Folder.CheckAsync(cancellationToken);
        var found = await AlreadyAppendedAsync(batch, cancellationToken);
        for (var i = 0; i < outcome.Appended.Count; i++)
        {
            if (outcome.Appended[i] is { Uid: null } unknown && found.TryGetValue(unknown.Tag, out var uid))
            {
                outcome.Appended[i] = unknown with { Uid = uid };
            }
        }

        if (found.Count > 0)
        {
            UidNextLowerBound = Math.Max(UidNextLowerBound, found.Values.Max(u => u.Id) + 1);
        }
    }

    /// <summary>Which of these messages are already in the folder above the UIDNEXT seen before the batch.</summary>
    public async Task<Dictionary<SourceKey, UniqueId>> AlreadyAppendedAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var candidates = await ImapIdentities.UidsFromAsync(Folder, UidNextLowerBound, cancellationToken);
        var found = await ImapIdentities.FetchAsync(Folder, candidates, cancellationToken);
        return IdentityMatcher.Match(
                messages.Select(m => (m.Tag, MessageIdentity.FromBody(m.Raw))),
                found.Select(f => (f.Uid, f.Identity)))
            .ToDictionary(p => p.Source, p => p.Destination);
    }

    private AppendRequest Request(OutgoingMessage message, RawMessage raw, ITransferProgress? progress, AppendOutcome outcome)
    {
        var keywords = new HashSet<string>(message.Keywords, StringComparer.Ordinal);
        if ((Folder.PermanentFlags & MessageFlags.UserDefined) == 0)
        {
            keywords.IntersectWith(Folder.PermanentKeywords);
        }

        outcome.KeywordsDropped += message.Keywords.Count - keywords.Count;
        return new AppendRequest(raw.Message, message.Flags & ~(MessageFlags.Recent | MessageFlags.UserDefined))
        {
            Keywords = keywords,
            InternalDate = message.InternalDate,
            TransferProgress = progress,
        };
    }

    private void Record(AppendOutcome outcome, IReadOnlyList<OutgoingMessage> messages, IList<UniqueId> uids)
    {
        // APPENDUID (UIDPLUS, RFC 4315) lists the new UIDs in append order; without it the mapping stays unknown.
        for (var i = 0; i < messages.Count; i++)
        {
            UniqueId? uid = uids.Count == messages.Count ? uids[i] : null;
            outcome.Appended.Add((messages[i].Tag, uid, messages[i].Raw.Length));
        }

        if (uids.Count > 0)
        {
            UidNextLowerBound = Math.Max(UidNextLowerBound, uids.Max(u => u.Id) + 1);
        }
    }
}
