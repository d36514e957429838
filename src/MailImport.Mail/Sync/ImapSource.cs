using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>An IMAP source: every planned folder, messages named by UID under the folder's UIDVALIDITY, flags,
/// keywords and INTERNALDATE carried over.</summary>
internal sealed class ImapSource(ImapClient client, MailboxJob job, MailboxCursor cursor, ILogger logger, MessageSpool spool) : IMailSource
{
    private IReadOnlyDictionary<string, IMailFolder>? folders;
    private GmailLabelViews? views;

    /// <inheritdoc/>
    public async Task<SourcePlan> PlanAsync(CancellationToken cancellationToken)
    {
        var plan = await OnSource(() => SourceFolders.PlanAsync(client, job.Source.Provider, job.Options.IncludeGmailAllMail, cancellationToken));
        if (job.Source.Protocol == Core.Sources.MailProtocol.Imap && await GmailLabelViews.PlanAsync(client, plan, job.Options, cursor, job.RunId, cancellationToken) is { } gmail)
        {
            // A Gmail source: its folders are views of All Mail, each message read from there.
            views = gmail.Views;
            folders = gmail.ByName;
            return gmail.Plan;
        }

        folders = plan.ByName;
        return new SourcePlan(plan.Plans, plan.Messages, plan.Bytes, plan.Refused);
    }

    /// <inheritdoc/>
    public bool Wrote(InFlightBatch journal) => journal.Uids.Count > 0;

    /// <inheritdoc/>
    public async Task<IReadOnlyList<(SourceKey Key, MessageIdentity Identity)>?> JournaledIdentitiesAsync(InFlightBatch journal, CancellationToken cancellationToken)
    {
        var byName = Planned();
        if (!cursor.Folders.ContainsKey(journal.SourceFolder) || !byName.TryGetValue(journal.SourceFolder, out var folder))
        {
            return null;
        }

        await OnSource(() => folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken));
        // A changed source UIDVALIDITY is handled by the folder's full re-match when it is copied.
        if (folder.UidValidity != journal.SourceUidValidity)
        {
            return null;
        }

        var uids = journal.Uids.Select(u => new UniqueId(folder.UidValidity, u)).ToList();
        var identities = await OnSource(() => ImapIdentities.FetchAsync(folder, uids, cancellationToken));
        return identities.Select(i => (SourceKey.OfUid(i.Uid.Id), i.Identity)).ToList();
    }

    /// <inheritdoc/>
    public void Reconciled(InFlightBatch journal, SourceKey key, uint destinationUid, DestinationFolder target)
    {
        var state = cursor.Folders[journal.SourceFolder];
        var uid = ImapSourceFolder.UidOf(key);
        if (uid > state.HighestCopiedUid)
        {
            state.CopiedAbove.Add(uid);
        }

        state.Retry.Remove(uid);
        views?.ViewOf(journal.SourceFolder)?.MarkCopied(uid);
        if (target.UidValidity == state.DestinationUidValidity)
        {
            state.Map.Add(uid, destinationUid);
        }
    }

    /// <inheritdoc/>
    public async Task<ISourceFolder> OpenFolderAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        var folder = Planned()[plan.SourceFullName] as IImapFolder
            ?? throw new InvalidOperationException($"The folder '{plan.SourceFullName}' is not an IMAP folder.");
        if (!cursor.Folders.TryGetValue(plan.SourceFullName, out var state))
        {
            state = new FolderCursor { FlagsSyncedRun = job.RunId };
            cursor.Folders[plan.SourceFullName] = state;
        }

        await OnSource(() => folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken));
        return new ImapSourceFolder(plan.SourceFullName, folder, state, cursor, job.RunId, logger, spool, views?.ViewOf(plan.SourceFullName));
    }

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();

    /// <summary>The account's limit when the last [ALERT] the source sent on this connection said it is over it.</summary>
    public Core.Errors.MailFailure? LimitAlert => Connections.HierarchyImapClient.SourceLimitAlert(client);

    private IReadOnlyDictionary<string, IMailFolder> Planned() =>
        folders ?? throw new InvalidOperationException("The source's folders are not planned yet.");
}
