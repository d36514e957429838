using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Sync;

/// <summary>One message on its way to the destination.</summary>
/// <param name="Tag">The source's name for it: an IMAP UID or a POP3 UIDL.</param>
/// <param name="Raw">The bytes exactly as the source sent them.</param>
/// <param name="Flags">System flags to set (never \Recent).</param>
/// <param name="Keywords">Keywords to set, where the destination folder allows them.</param>
/// <param name="InternalDate">The INTERNALDATE to keep; null lets the server choose.</param>
/// <param name="DateSource">Where <paramref name="InternalDate"/> was read from, for a source that has no INTERNALDATE
/// (POP3); null when the source gave it.</param>
internal sealed record OutgoingMessage(SourceKey Tag, byte[] Raw, MessageFlags Flags, IReadOnlySet<string> Keywords, DateTimeOffset? InternalDate,
    ArrivalDateSource? DateSource = null);

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

    /// <summary>The largest message the server takes (APPENDLIMIT, RFC 7889), if it says.</summary>
    public long? AppendLimit => client.AppendLimit is { } limit ? limit : null;

    /// <summary>Opens the folder a source folder lands in, creating it (and missing parents) when needed.</summary>
    public async Task<DestinationFolder> OpenAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        var folder = await ResolveAsync(plan, cancellationToken);
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

    private async Task<IMailFolder> ResolveAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Role == FolderRole.Inbox && plan.Path.Count == 1)
        {
            return client.Inbox;
        }

        if (plan.Role is not (FolderRole.None or FolderRole.Inbox) && SpecialFolderOf(plan.Role) is { } special)
        {
            return special;
        }

        var personal = client.PersonalNamespaces.Count > 0 ? client.PersonalNamespaces[0] : null;
        var separator = personal?.DirectorySeparator ?? client.Inbox.DirectorySeparator;
        var parent = plan.Path[0].Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? client.Inbox : await client.GetFolderAsync(personal?.Path ?? "", cancellationToken);
        var start = parent == client.Inbox ? 1 : 0;
        for (var i = start; i < plan.Path.Count; i++)
        {
            var name = plan.Path[i].Replace(separator, '_');
            IMailFolder child;
            try
            {
                child = await parent.GetSubfolderAsync(name, cancellationToken);
            }
            catch (FolderNotFoundException)
            {
                child = await parent.CreateAsync(name, isMessageFolder: true, cancellationToken)
                    ?? throw new InvalidOperationException($"The destination did not return the folder '{name}' it created.");
                await child.SubscribeAsync(cancellationToken);
            }

            parent = child;
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

    /// <summary>Which of these messages are already in the folder above the UIDNEXT seen before the batch.</summary>
    public async Task<Dictionary<SourceKey, UniqueId>> AlreadyAppendedAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var candidates = await ImapIdentities.UidsFromAsync(Folder, UidNextLowerBound, cancellationToken);
        var found = await ImapIdentities.FetchAsync(Folder, candidates, cancellationToken);
        return IdentityMatcher.Match(
                messages.Select(m => (m.Tag, MessageIdentity.FromRaw(m.Raw))),
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
