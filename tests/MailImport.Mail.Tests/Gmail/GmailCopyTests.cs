using MailImport.Core.Sources;
using MailImport.Mail.Folders;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>Copies of the Gmail-shaped source into Dovecot, counted message by message by SHA-256.</summary>
[Collection(DovecotServers.Name)]
public sealed class GmailCopyTests(DovecotFixture servers, GmailStandInFixture gmail) : IClassFixture<GmailStandInFixture>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    private MailboxJob Job(MailImport.Mail.Connections.MailAccount source, MailImport.Mail.Connections.MailAccount destination, CopyOptions options, string run = "run-1") =>
        new(run, gmail.Source, source, servers.Destination.Imaps, destination, options);

    private async Task<(ChunkResult Result, SortedDictionary<string, List<string>> Snapshot, Dictionary<string, int> Copies)> CopyAsync(
        MailboxJob job, ICursorStore store, ChunkBudget? budget = null)
    {
        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), job, store, budget ?? Unlimited);
        var snapshot = await MailCorpus.SnapshotAsync(servers.Destination, job.DestinationAccount);
        return (result, snapshot, GmailCorpus.Copies(snapshot, GmailCorpus.Seeds()));
    }

    private static int[] CopiesBySeed(Dictionary<string, int> copies) => GmailCorpus.Seeds().Select(s => copies[GmailCorpus.Hash(s)]).ToArray();

    [Fact]
    public async Task CopyChunkAsync_ByMessage_EveryAllMailMessageOnceInOneFolderOtherLabelsAsKeywords()
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");

        // Small chunks and batches: the views resume from their cursors as any folder does.
        var (result, snapshot, copies) = await CopyAsync(Job(account, destination, new CopyOptions { BatchMessages = 4 }), new InMemoryCursorStore(),
            new ChunkBudget(7, long.MaxValue, TimeSpan.FromHours(1)));

        // Five chunks of one run: All Mail's labels are read by the first (one page of FETCH), the others plan from the cursor.
        Assert.Equal(1, gmail.Gmail.LabelFetches(account.Login));

        var bySeed = CopiesBySeed(copies);
        Assert.True(bySeed.Take(27).All(c => c == 1), string.Join(",", bySeed));
        Assert.True(bySeed.Skip(27).All(c => c == 0), string.Join(",", bySeed));
        Assert.Equal(27, snapshot.Values.Sum(v => v.Count));
        Assert.Equal(12, snapshot["INBOX"].Count);
        Assert.Equal(3, snapshot["Sent"].Count);
        Assert.Single(snapshot["Drafts"]);
        Assert.Equal(5, snapshot["Archive"].Count);
        Assert.Single(snapshot["Work"]);
        Assert.Single(snapshot["Projects.Alpha"]);
        Assert.Equal(2, snapshot["Receipts 2024"].Count);
        Assert.Equal(2, snapshot["Family"].Count);
        Assert.DoesNotContain(snapshot.Keys, k => k.Contains("Starred", StringComparison.Ordinal) || k.Contains("Important", StringComparison.Ordinal) || k.Contains("Gmail", StringComparison.Ordinal));
        // Message 7 (\Inbox, Work, Projects/Alpha) is in INBOX with its two labels as keywords; 24 is starred, so \Flagged.
        Assert.Contains(snapshot["INBOX"], l => l.StartsWith(GmailCorpus.Hash(GmailCorpus.Seeds()[7]), StringComparison.Ordinal) && l.Contains("[Projects/Alpha,Work]", StringComparison.Ordinal));
        Assert.Contains(snapshot["INBOX"], l => l.StartsWith(GmailCorpus.Hash(GmailCorpus.Seeds()[24]), StringComparison.Ordinal) && l.Contains("Flagged", StringComparison.Ordinal));
        Assert.Contains(snapshot["Receipts 2024"], l => l.Contains("[Work]", StringComparison.Ordinal));

        Assert.Equal(new Core.Reports.GmailLabelCounts(Labelled: 22, Labelless: 5, LabelsAsKeywords: 10, LabelsNotKept: 1, SpamNotCopied: 2, TrashNotCopied: 1), result.GmailLabels);
        Assert.Equal(27, result.MessagesTotal);
        Assert.Equal(27, result.MessagesCopied);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.NotExact);
    }

    [Theory]
    [InlineData(CopyStep.Journaled)]
    [InlineData(CopyStep.Appending)]
    [InlineData(CopyStep.Appended)]
    public async Task CopyChunkAsync_ByMessageCrashAtEveryOccurrenceOfStep_ResumedCopyHasEveryMessageOnce(CopyStep step)
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var crashes = 0;
        // Every other batch: the views' batches alternate between folders, and a Dovecot user per resume costs seconds.
        for (var occurrence = 1; occurrence <= 40; occurrence += 2)
        {
            var destination = servers.Destination.AddUniqueUser("gm");
            var store = new InMemoryCursorStore();
            var copier = ImapCopyTests.NewCopier();
            var seen = 0;
            var crashed = false;
            copier.StepHook = reached =>
            {
                if (reached == step && ++seen == occurrence)
                {
                    crashed = true;
                    throw new SimulatedCrash($"{step} #{occurrence}");
                }

                return ValueTask.CompletedTask;
            };
            var job = Job(account, destination, new CopyOptions { BatchMessages = 3 });
            try
            {
                await copier.CopyChunkAsync(job, store, Unlimited, CancellationToken.None);
            }
            catch (Exception) when (crashed)
            {
                // The crash surfaces as itself or wrapped by MailKit or the engine's classification.
            }

            copier.StepHook = null;
            await ImapCopyTests.RunToEndAsync(copier, job, store, Unlimited);
            var bySeed = CopiesBySeed(GmailCorpus.Copies(await MailCorpus.SnapshotAsync(servers.Destination, destination), GmailCorpus.Seeds()));
            Assert.True(bySeed.Take(27).All(c => c == 1), $"{step} #{occurrence}: {string.Join(",", bySeed)}");
            if (!crashed)
            {
                break;
            }

            crashes++;
        }

        Assert.True(crashes >= 5, $"only {crashes} crash points reached for {step}");
    }

    private sealed class SimulatedCrash(string where) : Exception($"simulated crash at {where}");

    [Fact]
    public async Task CopyChunkAsync_RerunAfterRelabelling_MovesNoDuplicateAndCopiesOnlyTheNewMessage()
    {
        var (mailbox, account, ids) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");
        var store = new InMemoryCursorStore();
        await CopyAsync(Job(account, destination, new CopyOptions()), store);

        // Work only becomes Family; an archived message gets a label; an inbox message is archived; a starred inbox message
        // moves to Work, whose folder took only earlier messages; another to a label new since the first run; one more arrives.
        mailbox.Relabel(ids[11], "Family");
        mailbox.Relabel(ids[16], "Work", @"\Inbox");
        mailbox.Relabel(ids[0]);
        mailbox.Relabel(ids[24], "Work");
        mailbox.Relabel(ids[5], "Brand new");
        var extra = new StandIns.Gmail.GmailSeed(System.Text.Encoding.UTF8.GetBytes(MailCorpus.Message("Arrived later", "gmail-later@corpus.example")),
            [@"\Inbox", "Work"], [], DateTimeOffset.UnixEpoch);
        mailbox.Add(extra);

        var (result, snapshot, copies) = await CopyAsync(Job(account, destination, new CopyOptions(), run: "run-2"), store);

        var bySeed = CopiesBySeed(copies);
        Assert.True(bySeed.Take(27).All(c => c == 1), string.Join(",", bySeed));
        Assert.Equal(28, snapshot.Values.Sum(v => v.Count));
        Assert.Contains(snapshot["INBOX"], l => l.StartsWith(GmailCorpus.Hash(extra), StringComparison.Ordinal) && l.Contains("[Work]", StringComparison.Ordinal));
        // The second run's flag sync keeps the labels a first copy carried as keywords.
        Assert.Contains(snapshot["INBOX"], l => l.StartsWith(GmailCorpus.Hash(GmailCorpus.Seeds()[7]), StringComparison.Ordinal) && l.Contains("[Projects/Alpha,Work]", StringComparison.Ordinal));
        Assert.Equal(1, result.CopiedThisChunk);
        Assert.Equal(28, result.MessagesCopied);
    }

    [Fact]
    public async Task CopyChunkAsync_RerunAfterRelabellingAndAllMailRenumbered_FindsEveryCopyByMessageIdAndCopiesOnlyTheNewMessage()
    {
        var (mailbox, account, ids) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");
        var store = new InMemoryCursorStore();
        await CopyAsync(Job(account, destination, new CopyOptions()), store);

        // Relabelled messages are in other folders than their labels now name, and every All Mail UID is another one:
        // only X-GM-MSGID says which message is which.
        mailbox.Relabel(ids[11], "Family");
        mailbox.Relabel(ids[0]);
        mailbox.Relabel(ids[5], "Brand new");
        mailbox.Renumber("[Gmail]/All Mail");
        var extra = new StandIns.Gmail.GmailSeed(System.Text.Encoding.UTF8.GetBytes(MailCorpus.Message("Arrived after the renumbering", "gmail-renumbered@corpus.example")),
            [@"\Inbox"], [@"\Seen"], DateTimeOffset.UnixEpoch);
        mailbox.Add(extra);

        var (result, snapshot, copies) = await CopyAsync(Job(account, destination, new CopyOptions(), run: "run-2"), store);

        var bySeed = CopiesBySeed(copies);
        Assert.True(bySeed.Take(27).All(c => c == 1), string.Join(",", bySeed));
        Assert.Equal(28, snapshot.Values.Sum(v => v.Count));
        Assert.Contains(snapshot["INBOX"], l => l.StartsWith(GmailCorpus.Hash(extra), StringComparison.Ordinal));
        Assert.Equal(1, result.CopiedThisChunk);
        Assert.Equal(0, result.AlreadyAtDestination);
        Assert.Equal(28, result.MessagesCopied);
    }

    [Fact]
    public async Task CopyChunkAsync_PerLabel_OneCopyInEachLabelsFolderAndArchivedMailInArchive()
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");

        var (result, snapshot, copies) = await CopyAsync(Job(account, destination, new CopyOptions { GmailMode = GmailCopyMode.CopyPerLabel, IncludeGmailSpam = true }), new InMemoryCursorStore());

        // Expected copies: one per Drafts/Sent/Inbox label and per user label, one in Archive for none; Spam asked for, Trash not.
        string[] folderLabels = [@"\Draft", @"\Sent", @"\Inbox"];
        var expected = GmailCorpus.Shapes.Select(s => s.Labels.Contains(@"\Spam") ? 1 : s.Labels.Contains(@"\Trash") ? 0
            : Math.Max(1, s.Labels.Count(l => folderLabels.Contains(l) || !l.StartsWith('\\')))).ToArray();
        Assert.Equal(expected, CopiesBySeed(copies));
        Assert.Equal(5, snapshot["Archive"].Count);
        Assert.Equal(2, snapshot["Junk"].Count);
        Assert.Equal(6, snapshot["Work"].Count);
        Assert.Equal(new Core.Reports.GmailLabelCounts(Labelled: 22, Labelless: 5, TrashNotCopied: 1), result.GmailLabels);
    }

    [Fact]
    public async Task CopyChunkAsync_FoldersAsTheyAre_EveryFolderAndAllMailsLabellessMailInArchive()
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");

        var (result, snapshot, copies) = await CopyAsync(Job(account, destination, new CopyOptions { GmailMode = GmailCopyMode.Folders }), new InMemoryCursorStore());

        var bySeed = CopiesBySeed(copies);
        Assert.DoesNotContain(0, bySeed);
        Assert.Equal(5, snapshot["Archive"].Count);
        Assert.Equal(2, snapshot["Starred"].Count);
        Assert.Equal(6, snapshot["Work"].Count);
        Assert.Equal(3, bySeed[7]);
        Assert.Equal(new Core.Reports.GmailLabelCounts(Labelless: 5), result.GmailLabels);
    }

    [Fact]
    public async Task CopyChunkAsync_GmailPresetWithAllMailWhole_LabelledMailOncePerLabelAndAllMailBesides()
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");
        var job = Job(account, destination, new CopyOptions { IncludeGmailAllMail = true }) with { Source = gmail.Source with { Provider = SourceProvider.Gmail } };

        var (result, snapshot, copies) = await CopyAsync(job, new InMemoryCursorStore());

        Assert.DoesNotContain(0, CopiesBySeed(copies));
        Assert.Equal(27, snapshot["All Mail"].Count);
        Assert.Null(result.GmailLabels);
    }
}
