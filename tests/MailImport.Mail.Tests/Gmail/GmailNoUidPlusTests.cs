using System.Text.RegularExpressions;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;
using MailImport.Testing;
using MailImport.Testing.Faults;
using MailKit.Net.Imap;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>A destination Dovecot that announces no UIDPLUS (RFC 4315), reached through a proxy that takes out the
/// APPENDUID response code Dovecot sends all the same, so APPEND names no new UID, as on a server without UIDPLUS.</summary>
public sealed partial class NoUidPlusDestination : IAsyncDisposable
{
    public NoUidPlusDestination()
    {
        DovecotServer.Install();
        Destination = DovecotServer.Start("mi-test-nouidplus", 1000, "--drop-capability", "UIDPLUS");
        Proxy = new FaultProxy("dst", Destination.ImapPort, seed: 1)
        {
            Plans = _ => new FaultPlan
            {
                Imap = new ImapFaults { Rewrite = (response, _) => AppendUid().IsMatch(response.Text) ? AppendUid().Replace(response.Text, "") : null },
            },
        };
    }

    public DovecotServer Destination { get; }

    public FaultProxy Proxy { get; }

    /// <summary>The destination as the copy reaches it: plain IMAP through the proxy.</summary>
    public MailImport.Mail.Connections.ServerEndpoint Endpoint => Proxy.Endpoint(Destination.Imap);

    public ValueTask DisposeAsync() => Proxy.DisposeAsync();

    [GeneratedRegex(@"\[APPENDUID [0-9]+ [0-9:,]+\] ", RegexOptions.CultureInvariant)]
    private static partial Regex AppendUid();
}

/// <summary>Gmail copied by message into a destination without UIDPLUS: relabelled mail still moves no duplicate, and
/// the copies are found by identity so later runs keep their flags up to date.</summary>
public sealed class GmailNoUidPlusTests(NoUidPlusDestination servers, GmailStandInFixture gmail) : IClassFixture<NoUidPlusDestination>, IClassFixture<GmailStandInFixture>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    [Fact]
    public async Task CopyChunkAsync_RerunAfterRelabellingWithoutUidPlus_MovesNoDuplicateAndSyncsTheStar()
    {
        var (mailbox, account, ids) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");
        using (var client = await MailCorpus.Connect(servers.Destination, destination))
        {
            Assert.Equal(ImapCapabilities.None, client.Capabilities & ImapCapabilities.UidPlus);
        }


        var store = new InMemoryCursorStore();
        MailboxJob Job(string run) => new(run, gmail.Source, account, servers.Endpoint, destination, new CopyOptions { BatchMessages = 5 });
        await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job("run-1"), store, Unlimited);

        // An archived message gets a label; an inbox one moves to Family with a star; a Work message is starred in place.
        mailbox.Relabel(ids[16], "Brand new");
        mailbox.Relabel(ids[0], "Family", @"\Starred");
        var work = GmailCorpus.Shapes.Select((s, i) => (s, i)).First(p => p.s.Labels.SequenceEqual(["Work"])).i;
        mailbox.Relabel(ids[work], "Work", @"\Starred");
        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), Job("run-2"), store, Unlimited);
        // APPEND named no UID: every view's map was filled by finding the copies.
        Assert.True(store.Current!.Folders.Values.Sum(f => f.Map.Count) >= 27);

        var snapshot = await MailCorpus.SnapshotAsync(servers.Destination, destination);
        var bySeed = GmailCorpus.Seeds().Select(s => GmailCorpus.Copies(snapshot, GmailCorpus.Seeds())[GmailCorpus.Hash(s)]).ToArray();
        Assert.True(bySeed.Take(27).All(c => c == 1), string.Join(",", bySeed));
        Assert.Equal(0, result.CopiedThisChunk);
        Assert.Equal(27, result.MessagesCopied);
        // Both starred messages are \Flagged where they were first copied: flag sync found their destination UIDs.
        foreach (var seed in new[] { 0, work })
        {
            Assert.Contains(snapshot.Values.SelectMany(v => v), l => l.StartsWith(GmailCorpus.Hash(GmailCorpus.Seeds()[seed]), StringComparison.Ordinal) && l.Contains("Flagged", StringComparison.Ordinal));
        }
    }
}
