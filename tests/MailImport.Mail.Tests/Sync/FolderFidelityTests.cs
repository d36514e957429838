using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Folders;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;

namespace MailImport.Mail.Tests.Sync;

/// <summary>A Dovecot source whose hierarchy separator is '/', where '.' is an ordinary character of a name.</summary>
public sealed class SlashSeparatorSource
{
    public DovecotServer Server { get; } = DovecotServer.Start("mi-test-slash", 9000, "--separator", "/");
}

/// <summary>The folder tree arrives as the source has it: subscriptions, \Noselect parents, names the destination's
/// separator would split, and folders the source refuses to open.</summary>
[Collection(DovecotServers.Name)]
public class FolderFidelityTests(DovecotFixture servers, SlashSeparatorSource slash) : IClassFixture<SlashSeparatorSource>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    private MailboxJob Job(DovecotServer from, MailAccount source, MailAccount destination) =>
        new("run-1", from.ImapSource, source, servers.Destination.Imaps, destination, new CopyOptions());

    private static async Task<HashSet<string>> SubscribedAsync(DovecotServer server, MailAccount account)
    {
        using var client = await MailCorpus.Connect(server, account);
        return (await client.GetFoldersAsync(client.PersonalNamespaces[0], StatusItems.None, subscribedOnly: true))
            .Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>True when the server lists the name as no folder of its own: \Noselect, or \NonExistent (which implies
    /// \Noselect, RFC 5258 section 3.4), as Dovecot's Maildir++ lists a parent it keeps no directory for.</summary>
    private static bool IsNoSelect(IMailFolder folder) => (folder.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) != 0;

    private static async Task<IMailFolder> ListedAsync(DovecotServer server, MailAccount account, string name)
    {
        using var client = await MailCorpus.Connect(server, account);
        return Assert.Single(await client.GetFoldersAsync(client.PersonalNamespaces[0]), f => f.FullName == name);
    }

    private static readonly string[] AutoCreated = ["Archive", "Drafts", "Junk", "Sent", "Trash"];

    private static SeedMessage One(string subject) => new(MailCorpus.Message(subject, $"{subject}@old.example"), MessageFlags.Seen, [], DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task CopyChunkAsync_SourceSubscriptions_SubscribedAtTheDestinationAndTheDestinationsOwnKept()
    {
        var source = servers.Source.AddUniqueUser("subsrc");
        var destination = servers.Destination.AddUniqueUser("subdst");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        using (var client = await MailCorpus.Connect(servers.Source, source))
        {
            foreach (var name in new[] { "INBOX", "Work", "Входящие.Архив 2024" })
            {
                await (await client.GetFolderAsync(name)).SubscribeAsync();
            }
        }

        using (var client = await MailCorpus.Connect(servers.Destination, destination))
        {
            // The destination user's own subscription, to a folder the source has unsubscribed.
            var empty = await MailCorpus.EnsureFolderAsync(servers.Destination, destination, client, "Empty");
            await empty.SubscribeAsync();
        }

        var sourceSubscribed = await SubscribedAsync(servers.Source, source);
        Assert.DoesNotContain("Work.Projects", sourceSubscribed);
        Assert.DoesNotContain("Empty", sourceSubscribed);
        Assert.DoesNotContain("INBOX", await SubscribedAsync(servers.Destination, destination));

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job(servers.Source, source, destination), new InMemoryCursorStore(), Unlimited);

        Assert.True(result.Completed);
        var subscribed = await SubscribedAsync(servers.Destination, destination);
        Assert.Contains("INBOX", subscribed);
        Assert.Contains("Work", subscribed);
        Assert.Contains("Входящие.Архив 2024", subscribed);
        Assert.Contains("Empty", subscribed);
        Assert.DoesNotContain("Work.Projects", subscribed);
        // The copied but unsubscribed folder is there all the same.
        Assert.Contains("Work.Projects", (await MailCorpus.SnapshotAsync(servers.Destination, destination)).Keys);
    }

    [Fact]
    public async Task CopyChunkAsync_NoselectParentAtTheSource_OnlyTheChildIsCreatedAtTheDestination()
    {
        var source = servers.Source.AddUniqueUser("nssrc");
        var destination = servers.Destination.AddUniqueUser("nsdst");
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = [], ["A.B.C"] = [new(MailCorpus.Message("deep", "deep@old.example"), MessageFlags.Seen, [], DateTimeOffset.UnixEpoch)] });
        Assert.True(IsNoSelect(await ListedAsync(servers.Source, source, "A")));

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job(servers.Source, source, destination), new InMemoryCursorStore(), Unlimited);

        Assert.True(result.Completed);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
        // One CREATE of "A.B.C": Dovecot's Maildir++ keeps the parents it needs as \Noselect names, no folders of their own.
        Assert.True(IsNoSelect(await ListedAsync(servers.Destination, destination, "A")));
        Assert.True(IsNoSelect(await ListedAsync(servers.Destination, destination, "A.B")));
    }

    [Fact]
    public async Task PlanAsync_WithoutListStatus_NoStatusToANoselectParentAndARefusedStatusCostsOnlyItsFolder()
    {
        var source = servers.Source.AddUniqueUser("stsrc");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        using var client = await MailCorpus.Connect(servers.Source, source);

        // STATUS folder by folder, as against a server without LIST-STATUS (Gmail); "Work.Projects" is deleted between LIST and STATUS.
        var plan = await SourceFolders.PlanAsync(client, SourceProvider.Custom, includeGmailAllMail: false, listStatus: false,
            () => Task.FromResult(servers.Source.Doveadm("mailbox", "delete", "-u", source.Login, "Work.Projects")), CancellationToken.None);

        Assert.True(IsNoSelect(plan.ByName["Входящие"]));
        var (folder, failure) = Assert.Single(plan.Refused);
        Assert.Equal("Work.Projects", folder);
        Assert.Equal(ErrorCode.SourceFolderUnavailable, failure.Code);
        Assert.DoesNotContain(plan.Plans, p => p.SourceFullName is "Work.Projects" or "Входящие");
        Assert.Equal(13, plan.Messages); // the corpus's 14 less the one in Work.Projects
        Assert.Equal(1, plan.ByName["Work"].Count);
    }

    [Fact]
    public async Task CopyChunkAsync_FolderDeletedBeforeItsSelect_ReportedAsNotCopiedAndTheRestCopied()
    {
        var source = servers.Source.AddUniqueUser("delsrc");
        var destination = servers.Destination.AddUniqueUser("deldst");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        var copier = ImapCopyTests.NewCopier();
        var deleted = false;
        copier.StepHook = step =>
        {
            // The first batch saved is INBOX's: the plan is made, "Work.Projects" not selected yet.
            if (step == CopyStep.Saved && !deleted)
            {
                deleted = true;
                servers.Source.Doveadm("mailbox", "delete", "-u", source.Login, "Work.Projects");
            }

            return ValueTask.CompletedTask;
        };
        var store = new InMemoryCursorStore();

        var result = await ImapCopyTests.RunToEndAsync(copier, Job(servers.Source, source, destination), store, Unlimited);

        Assert.True(deleted);
        Assert.True(result.Completed);
        Assert.Empty(result.Failures);
        var note = Assert.Single(result.FolderNotes);
        Assert.Equal(("Work.Projects", FolderOutcome.NotCopied, ErrorCode.SourceFolderUnavailable), (note.SourceFolder, note.Outcome, note.Code));
        Assert.Null(note.DestinationFolder);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
        // Left alone for the rest of the run: a later chunk of the same run does not try it again.
        Assert.Single(store.Current!.FailedFolders);
    }

    [Fact]
    public async Task CopyChunkAsync_RenamedFolderThenAFolderOfItsNewNameAppears_TheRenamedOneKeepsItsFolder()
    {
        var from = slash.Server;
        var source = from.AddUniqueUser("pinsrc");
        var destination = servers.Destination.AddUniqueUser("pindst");
        await MailCorpus.SeedAsync(from, source, new() { ["INBOX"] = [One("inbox")], ["Projects.2019"] = [One("dotted")] });
        var store = new InMemoryCursorStore();
        var first = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job(from, source, destination), store, Unlimited);
        Assert.Equal(("Projects.2019", "Projects_2019"), (first.FolderNotes.Single().SourceFolder, first.FolderNotes.Single().DestinationFolder));

        // Later a folder called what the renamed one became appears at the source.
        await MailCorpus.SeedAsync(from, source, new() { ["Projects_2019"] = [One("underscored")] });
        var second = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job(from, source, destination) with { RunId = "run-2" }, store, Unlimited);

        Assert.True(second.Completed);
        var expected = await MailCorpus.SnapshotAsync(from, source);
        var actual = await MailCorpus.SnapshotAsync(servers.Destination, destination);
        Assert.Equal(["INBOX", "Projects_2019", "Projects_2019_2"], actual.Keys.Except(AutoCreated));
        Assert.Equal(expected["Projects.2019"], actual["Projects_2019"]);
        Assert.Equal(expected["Projects_2019"], actual["Projects_2019_2"]);
        Assert.Equal(
            [("Projects.2019", "Projects_2019"), ("Projects_2019", "Projects_2019_2")],
            second.FolderNotes.Select(n => (n.SourceFolder, n.DestinationFolder!)).Order());
    }

    [Fact]
    public async Task CopyChunkAsync_NameHoldingTheDestinationSeparator_RenamedWithUnderscoreAndReported()
    {
        var from = slash.Server;
        var source = from.AddUniqueUser("slsrc");
        var destination = servers.Destination.AddUniqueUser("sldst");
        // On a '/' source "Projects.2019" is one level; "Work" is a \Noselect parent of "Work/Q1.2024".
        await MailCorpus.SeedAsync(from, source, new()
        {
            ["INBOX"] = [One("inbox")],
            ["Projects.2019"] = [One("dotted")],
            ["Projects_2019"] = [One("underscored")],
            ["Work/Q1.2024"] = [One("quarter")],
        });
        var expected = await MailCorpus.SnapshotAsync(from, source);
        Assert.Equal(["INBOX", "Projects.2019", "Projects_2019", "Work/Q1.2024"], expected.Keys.Except(AutoCreated));

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job(from, source, destination), new InMemoryCursorStore(), Unlimited);

        Assert.True(result.Completed);
        Assert.Empty(result.Failures);
        var actual = await MailCorpus.SnapshotAsync(servers.Destination, destination);
        Assert.Equal(["INBOX", "Projects_2019", "Projects_2019_2", "Work.Q1_2024"], actual.Keys.Except(AutoCreated));
        Assert.Equal(expected["INBOX"], actual["INBOX"]);
        // The folder already called Projects_2019 keeps its name; the renamed one takes the next free one.
        Assert.Equal(expected["Projects_2019"], actual["Projects_2019"]);
        Assert.Equal(expected["Projects.2019"], actual["Projects_2019_2"]);
        Assert.Equal(expected["Work/Q1.2024"], actual["Work.Q1_2024"]);
        Assert.Equal(
            [
                ("Projects.2019", "Projects_2019_2", FolderOutcome.Renamed),
                ("Work/Q1.2024", "Work.Q1_2024", FolderOutcome.Renamed),
            ],
            result.FolderNotes.Select(n => (n.SourceFolder, n.DestinationFolder, n.Outcome)).Order());
        Assert.All(result.FolderNotes, n => Assert.Null(n.Code));
        Assert.Contains("'Projects_2019' was another source folder's name", result.FolderNotes.Single(n => n.SourceFolder == "Projects.2019").Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("another source folder", result.FolderNotes.Single(n => n.SourceFolder == "Work/Q1.2024").Reason, StringComparison.Ordinal);
    }
}
