using System.Security.Cryptography;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Testing;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>The stand-in behaves as Gmail does for what a copy reads, seen through MailKit.</summary>
public sealed class GmailStandInTests(GmailStandInFixture fixture) : IClassFixture<GmailStandInFixture>
{
    private async Task<ImapClient> ConnectAsync(MailAccount account) =>
        await new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(30) }, TestSourceAccess.LoopbackPolicy)
            .OpenImapAsync(ServerEndpoint.Of(fixture.Source), account, MailSide.Source, CancellationToken.None);

    [Fact]
    public async Task MailKit_ReadsTheStandIn_AsGmailShowsItsMailbox()
    {
        var (_, account, ids) = fixture.AddCorpusAccount();
        using var client = await ConnectAsync(account);
        Assert.True((client.Capabilities & ImapCapabilities.GMailExt1) != 0, fixture.Gmail.Transcript);

        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0]);
        var byName = folders.ToDictionary(f => f.FullName);
        Assert.True((byName["[Gmail]"].Attributes & FolderAttributes.NoSelect) != 0);
        foreach (var (name, attribute) in new[] { ("[Gmail]/All Mail", FolderAttributes.All), ("[Gmail]/Sent Mail", FolderAttributes.Sent), ("[Gmail]/Drafts", FolderAttributes.Drafts),
            ("[Gmail]/Spam", FolderAttributes.Junk), ("[Gmail]/Trash", FolderAttributes.Trash), ("[Gmail]/Starred", FolderAttributes.Flagged), ("[Gmail]/Important", FolderAttributes.Important) })
        {
            Assert.True((byName[name]!.Attributes & attribute) != 0, $"{name}: {byName[name].Attributes}");
        }

        var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.GMailMessageId | MessageSummaryItems.GMailLabels | MessageSummaryItems.Flags);
        var allMail = client.GetFolder(SpecialFolder.All)!;
        await allMail.OpenAsync(FolderAccess.ReadOnly);
        var all = await allMail.FetchAsync(0, -1, request);
        Assert.Equal(ids.Count - GmailCorpus.SpamAndTrash, all.Count);
        Assert.Equal(ids.Take(27), all.Select(s => s.GMailMessageId!.Value));
        Assert.Equal(["Projects/Alpha", "Work", @"\Inbox"], all[7].GMailLabels!.Order(StringComparer.Ordinal));
        Assert.True((all[24].Flags!.Value & MessageFlags.Flagged) != 0);

        // Every label folder is a view of All Mail: the same X-GM-MSGID for the same message.
        var byId = all.ToDictionary(s => s.GMailMessageId!.Value);
        var work = byName["Work"];
        await work.OpenAsync(FolderAccess.ReadOnly);
        var inWork = await work.FetchAsync(0, -1, request);
        Assert.Equal(6, inWork.Count);
        Assert.All(inWork, s => Assert.Contains("Work", byId[s.GMailMessageId!.Value].GMailLabels!));

        // UID FETCH BODY.PEEK[] returns the stored bytes exactly.
        var seeds = GmailCorpus.Seeds();
        await allMail.OpenAsync(FolderAccess.ReadOnly);
        await using var body = await allMail.GetStreamAsync(all[3].UniqueId, "");
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        Assert.Equal(SHA256.HashData(seeds[3].Raw), SHA256.HashData(buffer.ToArray()));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Login_SixteenthConnection_RefusedAsGmailRefusesIt()
    {
        var (_, account, _) = fixture.AddCorpusAccount();
        var clients = new List<ImapClient>();
        try
        {
            for (var i = 0; i < StandIns.Gmail.GmailImapStandIn.MaxConnectionsPerAccount; i++)
            {
                clients.Add(await ConnectAsync(account));
            }

            var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(account));
            Assert.Contains("Too many simultaneous connections", refused.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisconnectAsync(true);
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task GmailDryRunPlanAsync_ByMessage_CountsEachDestinationFolderAndTheLabelsNotTheSourcesFolders()
    {
        var (_, account, _) = fixture.AddCorpusAccount();
        using var client = await ConnectAsync(account);
        var folders = await Folders.SourceFolders.PlanAsync(client, Core.Sources.SourceProvider.Custom, false, CancellationToken.None);

        var plan = await MailImport.Mail.Sync.GmailDryRun.PlanAsync(client, folders, new MailImport.Mail.Sync.CopyOptions(), CancellationToken.None);

        // The same figures the copy of this corpus gives (GmailCopyTests), read without copying anything.
        Assert.NotNull(plan);
        Assert.Equal(27, plan.Messages);
        Assert.Equal(["INBOX", "Archive", "Drafts", "Sent", "Family", "Projects/Alpha", "Receipts 2024", "Work"], plan.Folders);
        Assert.Equal([12L, 5, 1, 3, 2, 1, 2, 1], plan.Labels.Folders!.Select(f => f.Messages));
        Assert.Equal(new Core.Reports.GmailLabelCounts(Labelled: 22, Labelless: 5, LabelsAsKeywords: 10, LabelsNotKept: 1, SpamNotCopied: 2, TrashNotCopied: 1),
            plan.Labels with { Folders = null });
        Assert.DoesNotContain(plan.Folders, f => f.Contains("[Gmail]", StringComparison.Ordinal));
    }
}
