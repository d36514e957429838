using System.Text;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>Two batches of the same mailboxes, one after the other, on real Dovecot and Azurite: the second copies only
/// what the first did not, unless its options ask for copies.</summary>
[Collection(WorkflowServers.Name)]
public sealed class DuplicateEndToEndTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Domain = WorkflowSettings.Domain;
    private EmbeddedWorkflowHost host = null!;

    public async Task InitializeAsync()
    {
        // Four messages a chunk: the destination's messages are matched over several chunks of the second batch.
        host = new EmbeddedWorkflowHost(WorkflowSettings.For(servers.Destination, servers.Azurite, ("MailImport:Workflow:ChunkMessages", "4")));
        await host.StartAsync();
    }

    public Task DisposeAsync() => host.StopAsync();

    [Fact]
    public async Task SameFileStartedTwice_SecondBatchCopiesNothing_ReportsThemAlreadyAtDestination()
    {
        var user = await SeededUserAsync("twice");
        var file = $"{user.Login} {user.Password.Reveal()}\n";

        await RunBatchAsync(file, new ImportOptions());
        var second = await RunBatchAsync(file, new ImportOptions());

        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, user), await MailCorpus.SnapshotAsync(servers.Destination, AtDestination(user)));
        var mailbox = Assert.Single(second.Mailboxes);
        Assert.Equal(MailboxStatus.Done, mailbox.Status);
        Assert.Equal((14L, 14L, 14L), (mailbox.Counters.MessagesTotal, mailbox.Counters.MessagesCopied, mailbox.Counters.AlreadyAtDestination));
    }

    [Fact]
    public async Task PilotOfTwoLinesThenFullFile_NothingDoubled_OnlyTheNewMailboxCopied()
    {
        var users = new[] { await SeededUserAsync("pilot1"), await SeededUserAsync("pilot2"), await SeededUserAsync("rest") };
        var lines = users.Select(u => $"{u.Login} {u.Password.Reveal()}\n").ToList();

        await RunBatchAsync(string.Concat(lines.Take(2)), new ImportOptions());
        var full = await RunBatchAsync(string.Concat(lines), new ImportOptions());

        foreach (var user in users)
        {
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, user), await MailCorpus.SnapshotAsync(servers.Destination, AtDestination(user)));
        }

        Assert.Equal([14L, 14L, 0L], full.Mailboxes.Select(m => m.Counters.AlreadyAtDestination));
        Assert.All(full.Mailboxes, m => Assert.Equal((MailboxStatus.Done, 14L), (m.Status, m.Counters.MessagesCopied)));
    }

    [Fact]
    public async Task SameFileStartedTwiceAtOnce_OneBatchWaitsForTheOther_NothingDoubled()
    {
        var user = await SeededUserAsync("atonce");
        var file = $"{user.Login} {user.Password.Reveal()}\n";

        var reports = await Task.WhenAll(RunBatchAsync(file, new ImportOptions()), RunBatchAsync(file, new ImportOptions()));

        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, user), await MailCorpus.SnapshotAsync(servers.Destination, AtDestination(user)));
        var mailboxes = reports.Select(r => Assert.Single(r.Mailboxes)).ToList();
        Assert.All(mailboxes, m => Assert.Equal((MailboxStatus.Done, 14L), (m.Status, m.Counters.MessagesCopied)));
        // One batch appended all 14 while the other waited on its hold, then found them there.
        Assert.Equal([0L, 14L], mailboxes.Select(m => m.Counters.AlreadyAtDestination).Order());
    }

    [Fact]
    public async Task SecondBatchWithDuplicatesCopy_CopiesEveryMessageAgain()
    {
        var user = await SeededUserAsync("force");
        var file = $"{user.Login} {user.Password.Reveal()}\n";

        await RunBatchAsync(file, new ImportOptions());
        var second = await RunBatchAsync(file, new ImportOptions { Duplicates = "copy" });

        var source = await MailCorpus.SnapshotAsync(servers.Source, user);
        var destination = await MailCorpus.SnapshotAsync(servers.Destination, AtDestination(user));
        foreach (var (folder, messages) in source)
        {
            Assert.Equal(messages.Count * 2, destination[folder].Count);
        }

        Assert.Equal(0L, Assert.Single(second.Mailboxes).Counters.AlreadyAtDestination);
    }

    private async Task<MailAccount> SeededUserAsync(string prefix)
    {
        var user = servers.Source.AddUser($"{prefix}{Guid.NewGuid():N}"[..16], "Dup" + Guid.NewGuid().ToString("N")[..8]);
        await MailCorpus.SeedAsync(servers.Source, user, MailCorpus.Standard());
        return user;
    }

    private static MailAccount AtDestination(MailAccount user) => new($"{user.Login}@{Domain}", user.Password);

    /// <summary>A new batch of <paramref name="file"/>, run to its end; its report.</summary>
    private async Task<BatchReport> RunBatchAsync(string file, ImportOptions options)
    {
        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, options, DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);
        await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));
        return (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
    }
}
