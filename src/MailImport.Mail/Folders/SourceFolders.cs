using MailImport.Core.Sources;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Folders;

/// <summary>The folders of an IMAP source that a copy takes, with their message counts and sizes.</summary>
/// <param name="Plans">Where each copied folder goes, in copy order.</param>
/// <param name="ByName">The source folders by full name, their Count (and Size where the server says) filled in.</param>
public sealed record SourceFolderPlan(IReadOnlyList<FolderPlan> Plans, IReadOnlyDictionary<string, IMailFolder> ByName)
{
    /// <summary>Messages in the planned folders.</summary>
    public long Messages => Plans.Sum(p => (long)ByName[p.SourceFullName].Count);

    /// <summary>Bytes in the planned folders (0 where the server has no STATUS=SIZE).</summary>
    public long Bytes => Plans.Sum(p => (long)(ByName[p.SourceFullName].Size ?? 0));
}

/// <summary>Lists and plans an IMAP source's folders: the same answer for a copy and for a dry run.</summary>
public static class SourceFolders
{
    /// <summary>Lists every folder of the personal namespaces with its STATUS and plans the copy.</summary>
    public static async Task<SourceFolderPlan> PlanAsync(ImapClient source, SourceProvider provider, bool includeGmailAllMail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var items = StatusItems.Count | ((source.Capabilities & ImapCapabilities.StatusSize) != 0 ? StatusItems.Size : StatusItems.None);
        var folders = new Dictionary<SourceFolder, IMailFolder>();
        foreach (var ns in source.PersonalNamespaces)
        {
            foreach (var folder in await source.GetFoldersAsync(ns, items, subscribedOnly: false, cancellationToken))
            {
                folders[new SourceFolder(folder.FullName, folder.DirectorySeparator, folder.Attributes)] = folder;
            }
        }

        // INBOX is always there, even where a server leaves it out of its LIST answer.
        if (!folders.Keys.Any(f => f.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase)))
        {
            await source.Inbox.StatusAsync(items, cancellationToken);
            folders[new SourceFolder(source.Inbox.FullName, source.Inbox.DirectorySeparator, FolderAttributes.Inbox)] = source.Inbox;
        }

        return new SourceFolderPlan(
            FolderMapper.Plan(folders.Keys, provider, includeGmailAllMail),
            folders.ToDictionary(f => f.Key.FullName, f => f.Value, StringComparer.Ordinal));
    }
}
