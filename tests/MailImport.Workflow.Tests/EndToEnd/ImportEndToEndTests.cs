using System.Text;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>The whole workflow with its real activities on real Dovecot and Azurite, on the embedded engine in memory.</summary>
[Collection(WorkflowServers.Name)]
public sealed class ImportEndToEndTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Domain = WorkflowSettings.Domain;
    private const string Canary = "Canary7pw";
    private EmbeddedWorkflowHost host = null!;

    public async Task InitializeAsync()
    {
        host = new EmbeddedWorkflowHost(WorkflowSettings.For(servers.Destination, servers.Azurite, ("MailImport:Workflow:ChunkMessages", "4")));
        await host.StartAsync();
    }

    public Task DisposeAsync() => host.StopAsync();

    [Fact]
    public async Task Import_GoodWrongPasswordAndBadUsername_ReportSaysExactlyThat_RerunAfterFixCopiesRestOnce()
    {
        var good = servers.Source.AddUser($"good{Guid.NewGuid():N}"[..16], Canary + "1");
        var wrong = servers.Source.AddUser($"late{Guid.NewGuid():N}"[..16], Canary + "2");
        await MailCorpus.SeedAsync(servers.Source, good, MailCorpus.Standard());
        await MailCorpus.SeedAsync(servers.Source, wrong, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        var file = $"{good.Login} {Canary}1\n{wrong.Login} {Canary}3\nbad_name \"{Canary} 4\"\n";
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

        await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));

        var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
        Assert.Equal([1, 2, 3], report.Mailboxes.Select(m => m.LineNumber));
        Assert.Equal((MailboxStatus.Done, (ErrorCode?)null), (report.Mailboxes[0].Status, report.Mailboxes[0].Code));
        Assert.Equal(14, report.Mailboxes[0].Counters.MessagesCopied);
        Assert.Equal(14, report.Mailboxes[0].Counters.MessagesTotal);
        Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceAuthFailed), (report.Mailboxes[1].Status, report.Mailboxes[1].Code));
        Assert.Equal((MailboxStatus.Invalid, ErrorCode.UsernameInvalidCharacter), (report.Mailboxes[2].Status, report.Mailboxes[2].Code));
        Assert.False(await storage.HasCredentialsAsync(batchId, CancellationToken.None));
        var goodAtDestination = new Mail.Connections.MailAccount($"{good.Login}@{Domain}", good.Password);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good), await MailCorpus.SnapshotAsync(servers.Destination, goodAtDestination));
        AssertActivityLines(batchId, $"{batchId}-r1");

        // The admin fixes the source account's password to what the file says, and re-runs the failed mailboxes.
        var fixedAtSource = servers.Source.AddUser(wrong.Login, Canary + "3");
        await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r2", RunMode.RetryFailed, RetryFirstDelaySeconds: 0.1));

        report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
        Assert.Equal(MailboxStatus.Done, report.Mailboxes[1].Status);
        Assert.Equal(7, report.Mailboxes[1].Counters.MessagesCopied);
        Assert.Equal(MailboxStatus.Done, report.Mailboxes[0].Status);
        var wrongAtDestination = new Mail.Connections.MailAccount($"{wrong.Login}@{Domain}", new MailImport.Core.Secret(Canary + "3"));
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, fixedAtSource), await MailCorpus.SnapshotAsync(servers.Destination, wrongAtDestination));
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good), await MailCorpus.SnapshotAsync(servers.Destination, goodAtDestination));

        await host.AssertNowhereAsync(Canary, batchId, servers.Azurite.ConnectionString,
            new[] { $"{batchId}-r1", $"{batchId}-r2" }.SelectMany(r => new[] { r, $"{r}-1", $"{r}-2" }));

        var deleted = await host.Services.GetRequiredService<MailImport.Workflow.Activities.BatchSteps>().CloseAsync(batchId, CancellationToken.None);
        // The data key, and the batch's container with the sealed passwords of the two lines.
        Assert.Equal(2, deleted);
        await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            host.Services.GetRequiredService<BatchSecrets>().GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
    }

    /// <summary>Each activity's outcome line is written under the scope naming its batch, run and line, and so are the
    /// copy engine's chunk lines, which carry no batch id themselves.</summary>
    private void AssertActivityLines(string batchId, string runId)
    {
        var lines = host.Logs.Entries.ToList();
        List<CapturedLine> Under(string scope, int eventId) => lines.Where(l => l.EventId.Id == eventId && l.Scopes.Contains(scope)).ToList();
        var batchScope = $"Batch {batchId}";
        var runScope = $"Batch {batchId} run {runId}";
        var line1 = $"Batch {batchId} run {runId} line 1";
        var line2 = $"Batch {batchId} run {runId} line 2";

        Assert.Equal("Credential file ingested: 2 mailboxes, 1 invalid lines", Assert.Single(Under(batchScope, 6010)).Message);
        Assert.Equal("Run planned: 2 mailboxes (Full); batch closed: False", Assert.Single(Under(runScope, 6011)).Message);
        Assert.Single(Under(runScope, 6017));
        // Mailbox 1: 14 messages, at most 4 a chunk: several chunks, the last one completes it; each chunk's engine
        // lines (5001 started, 5002 ended) sit under the same mailbox scope as the activity's own line.
        var chunks = Under(line1, 6016);
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunk lines");
        Assert.StartsWith("Chunk done: 14 of 14 messages copied, 0 refused, ", chunks[^1].Message, StringComparison.Ordinal);
        Assert.EndsWith("mailbox complete: True", chunks[^1].Message, StringComparison.Ordinal);
        Assert.All(chunks[..^1], c => Assert.EndsWith("mailbox complete: False", c.Message, StringComparison.Ordinal));
        Assert.Equal(chunks.Count, Under(line1, 5001).Count);
        Assert.Equal(chunks.Count, Under(line1, 5002).Count);
        Assert.Single(Under(line1, 6015));
        // Mailbox 2: the wrong source password stops it, once, with its code; no chunk line claims mail for it.
        var failed = Assert.Single(lines, l => l.EventId.Id is 6019 or 6020 && l.Scopes.Contains(line2));
        Assert.Contains(nameof(ErrorCode.SourceAuthFailed), failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.EventId.Id == 6016 && l.Scopes.Contains(line2) && !l.Message.StartsWith("Chunk done: 0 of", StringComparison.Ordinal));
    }
}
