using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Folders;

/// <summary>The folders of an IMAP source that a copy takes, with their message counts and sizes.</summary>
/// <param name="Plans">Where each copied folder goes, in copy order.</param>
/// <param name="ByName">The source folders by full name, their Count (and Size where the server says) filled in.</param>
/// <param name="Refused">Planned folders whose STATUS the source refused, each with why: left out of <paramref name="Plans"/>.</param>
public sealed record SourceFolderPlan(IReadOnlyList<FolderPlan> Plans, IReadOnlyDictionary<string, IMailFolder> ByName, IReadOnlyList<(string Folder, MailFailure Failure)> Refused)
{
    /// <summary>Messages in the planned folders.</summary>
    public long Messages => Plans.Sum(p => (long)ByName[p.SourceFullName].Count);

    /// <summary>Bytes in the planned folders (0 where the server has no STATUS=SIZE).</summary>
    public long Bytes => Plans.Sum(p => (long)(ByName[p.SourceFullName].Size ?? 0));
}

/// <summary>Lists and plans an IMAP source's folders: the same answer for a copy and for a dry run.</summary>
public static class SourceFolders
{
    /// <summary>Lists every folder of the personal namespaces with its subscription and STATUS, and plans the copy; a
    /// failure of the source comes as <see cref="MailFailureException"/> with its code, for the copy and the source check
    /// alike.</summary>
    public static Task<SourceFolderPlan> PlanAsync(ImapClient source, SourceProvider provider, bool includeGmailAllMail, CancellationToken cancellationToken) =>
        Sync.Classified.OnSource(() => PlanAsync(source, provider, includeGmailAllMail, source is not null && (source.Capabilities & ImapCapabilities.ListStatus) != 0, null, cancellationToken));

    /// <summary>Plans the copy; <paramref name="listStatus"/> false asks STATUS folder by folder even where the server
    /// has LIST-STATUS, and <paramref name="afterList"/> runs between LIST and those STATUS commands (tests).</summary>
    /// <remarks>A LIST, LSUB or STATUS refused for the account's limit pauses the whole mailbox
    /// (<see cref="MailFailureException"/> with <see cref="ErrorCode.SourceLimitReached"/>), never only one folder:
    /// Gmail says it in an [ALERT] before the NO ("NO [ALERT] Account exceeded command or bandwidth limits. (Failure)"),
    /// Exchange Online in the NO itself ("Request is throttled. Suggested Backoff Time: ... milliseconds").</remarks>
    internal static async Task<SourceFolderPlan> PlanAsync(ImapClient source, SourceProvider provider, bool includeGmailAllMail, bool listStatus,
        Func<Task>? afterList, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return await PlanFoldersAsync(source, provider, includeGmailAllMail, listStatus, afterList, cancellationToken);
        }
        catch (ImapCommandException e) when (LimitIn(source, e) is { } limit)
        {
            throw new MailFailureException(limit, e);
        }
    }

    /// <summary>The account's limit, when the source refused a command for it; null for any other refusal.</summary>
    private static MailFailure? LimitIn(ImapClient source, ImapCommandException e) =>
        Connections.HierarchyImapClient.SourceLimitAlert(source)
        ?? (MailErrorClassifier.Classify(e, MailSide.Source) is { Code: ErrorCode.SourceLimitReached } limit ? limit : null);

    private static async Task<SourceFolderPlan> PlanFoldersAsync(ImapClient source, SourceProvider provider, bool includeGmailAllMail, bool listStatus,
        Func<Task>? afterList, CancellationToken cancellationToken)
    {
        var items = StatusItems.Count | ((source.Capabilities & ImapCapabilities.StatusSize) != 0 ? StatusItems.Size : StatusItems.None);
        var folders = new Dictionary<SourceFolder, IMailFolder>();
        foreach (var ns in source.PersonalNamespaces)
        {
            // LIST-STATUS (RFC 5819) returns STATUS only for selectable folders. Without it MailKit would send STATUS to
            // every folder listed, a \Noselect parent such as Gmail's [Gmail] too, and one NO would fail the whole LIST;
            // so then STATUS is asked below, of the planned folders only, each one's refusal costing only that folder.
            var listed = await source.GetFoldersAsync(ns, listStatus ? items : StatusItems.None, subscribedOnly: false, cancellationToken);
            // LSUB, or LIST (SUBSCRIBED) with LIST-EXTENDED (RFC 5258): the folders the user subscribed to, copied as such.
            var subscribed = (await source.GetFoldersAsync(ns, StatusItems.None, subscribedOnly: true, cancellationToken))
                .Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);
            foreach (var folder in listed)
            {
                var attributes = subscribed.Contains(folder.FullName) ? folder.Attributes | FolderAttributes.Subscribed : folder.Attributes & ~FolderAttributes.Subscribed;
                folders[new SourceFolder(folder.FullName, folder.DirectorySeparator, attributes)] = folder;
            }
        }

        // INBOX is always there, even where a server leaves it out of its LIST answer (and so out of LIST-STATUS).
        var unlisted = new HashSet<string>(StringComparer.Ordinal);
        if (!folders.Keys.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
        {
            folders[new SourceFolder(source.Inbox.FullName, source.Inbox.DirectorySeparator, FolderAttributes.Inbox)] = source.Inbox;
            unlisted.Add(source.Inbox.FullName);
        }

        // Gmail is known by its X-GM-EXT-1 capability, whatever host name reached it
        // (https://developers.google.com/gmail/imap/imap-extensions, "Checking for the presence of extensions").
        var plans = FolderMapper.Plan(folders.Keys, (source.Capabilities & ImapCapabilities.GMailExt1) != 0 ? SourceProvider.Gmail : provider, includeGmailAllMail);
        var byName = folders.ToDictionary(f => f.Key.FullName, f => f.Value, StringComparer.Ordinal);
        var refused = new List<(string Folder, MailFailure Failure)>();
        if (afterList is not null)
        {
            await afterList();
        }

        // The plan holds selectable folders only (FolderMapper leaves \Noselect and \NonExistent out): STATUS never goes
        // to a folder that cannot answer it.
        foreach (var plan in plans.Where(p => !listStatus || unlisted.Contains(p.SourceFullName)))
        {
            try
            {
                await byName[plan.SourceFullName].StatusAsync(items, cancellationToken);
            }
            catch (ImapCommandException e) when (LimitIn(source, e) is null)
            {
                refused.Add((plan.SourceFullName, MailErrorClassifier.Classify(e, MailSide.Source)));
            }
        }

        return new SourceFolderPlan(
            plans.Where(p => !refused.Exists(r => r.Folder == p.SourceFullName)).ToList(),
            byName,
            refused);
    }
}
