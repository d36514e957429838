using System.Text;
using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Testing.Faults;
using MailImport.Workflow.Orchestrations;
using MailKit;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>A source account's limits on the whole workflow, real Dovecot and Azurite: a mailbox that reaches its
/// download budget, or whose provider says it is over its limit, is Paused until a time, goes on by itself on a
/// durable timer, and ends Done with every message at the destination exactly once.</summary>
[Collection(WorkflowServers.Name)]
public sealed partial class SourceLimitEndToEndTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Domain = WorkflowSettings.Domain;
    private static readonly JsonSerializerOptions Json = MailImport.Workflow.Api.ApiAnswers.Json;
    private EmbeddedWorkflowHost host = null!;

    public async Task InitializeAsync()
    {
        host = new EmbeddedWorkflowHost(WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Workflow:DownloadBudgetWindow", "00:00:04"),
            ("MailImport:Workflow:LimitPause", "00:00:02")));
        await host.StartAsync();
    }

    public Task DisposeAsync() => host.StopAsync();

    [Fact]
    public async Task Import_DownloadBudgetSpent_PausesUntilTheWindowAllowsMore_ThenEndsDoneWithEveryMessageOnce()
    {
        // Five messages of about 350 KB against a budget of 1 MB in 4 seconds: two fit the first chunk, the third is
        // the second chunk's first message (a chunk always moves on), then the budget is spent and the mailbox waits.
        var source = servers.Source.AddUniqueUser("budget");
        var line = new string('b', 998) + "\r\n";
        var messages = Enumerable.Range(0, 5)
            .Select(i => new SeedMessage(MailCorpus.Message($"b{i}", $"b{i}@old.example", string.Concat(Enumerable.Repeat(line, 350))), MessageFlags.Seen, [], DateTimeOffset.UnixEpoch.AddDays(i)))
            .ToList();
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = messages });
        var options = new ImportOptions { DownloadBudgetMegabytes = 1 };
        var (batchId, runId) = await StartAsync(servers.Source.ImapSource, options, source);

        var pauses = await WatchPausesAsync(runId);

        var report = (await host.Services.GetRequiredService<BatchStorage>().LoadReportAsync(batchId, CancellationToken.None))!;
        var mailbox = Assert.Single(report.Mailboxes);
        Assert.Equal((MailboxStatus.Done, (ErrorCode?)null, 5L), (mailbox.Status, mailbox.Code, mailbox.Counters.MessagesCopied));
        Assert.NotEmpty(pauses);
        Assert.Contains(host.Logs.Entries, l => l.EventId.Id == 6050);
        Assert.All(pauses, p =>
        {
            Assert.Equal(ErrorCode.SourceLimitReached, p.Code);
            Assert.Contains("downloaded its budget of 1 MB per 00:00:04", p.Message, StringComparison.Ordinal);
            Assert.Contains($"paused until {p.PausedUntil:u}", p.Message, StringComparison.Ordinal);
        });
        await AssertExactlyOnceAsync(source);
    }

    [Fact]
    public async Task Import_ServerSaysTheAccountIsOverItsLimit_PausesInsteadOfFailing_ThenEndsDone()
    {
        // Gmail's words, which a Dovecot never says: at the first LOGIN (the source check) and at the first fetch of
        // message bodies (a chunk). Each is a pause of MailImport:Workflow:LimitPause, never a failure.
        var source = servers.Source.AddUniqueUser("alert");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        await using var proxy = new FaultProxy("src", servers.Source.ImapPort, seed: 1);
        var fetches = 0;
        var alerts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        const string Alert = "{tag} NO [ALERT] Account exceeded command or bandwidth limits. (Failure)\r\n";
        proxy.Plans = c => new FaultPlan
        {
            Imap = new ImapFaults
            {
                Command = command =>
                {
                    if ((c.Number == 1 && command.Name is "LOGIN" or "AUTHENTICATE")
                        || (command.Text.Contains("BODY.PEEK[]", StringComparison.Ordinal) && Interlocked.Increment(ref fetches) == 1))
                    {
                        alerts.Enqueue($"connection {c.Number} {command.Name}");
                        return Alert;
                    }

                    return null;
                },
            },
        };
        var (pauses, logged, pausedUntil) = await ImportThroughAsync(proxy, source);
        Assert.True(fetches >= 1, "no body was fetched through the proxy");
        // One pause for each over-limit answer (the refused LOGIN of the run's count, the refused fetch of the first
        // chunk), as the activities logged them: each answer sets the account's pause anew, and a step that finds the
        // account paused (the mailbox's own source check after the count was refused) logs that same time again. The
        // status was read often enough to see at least one of them.
        Assert.True(alerts.Count == 2 && pausedUntil.Count == 2,
            $"answered: {string.Join("; ", alerts)}. logged: {string.Join("; ", logged)}");
        Assert.NotEmpty(pauses);
        Assert.All(pauses, p =>
        {
            Assert.Equal(ErrorCode.SourceLimitReached, p.Code);
            // The server's own words where its answer paused the step; a step that found the account already paused
            // (the mailbox's source check after the count's was refused) says so in ours.
            Assert.True(p.Message!.Contains("exceeded command or bandwidth limits", StringComparison.Ordinal)
                || p.Message.Contains("said the account is over its limit", StringComparison.Ordinal), p.Message);
        });
        await AssertExactlyOnceAsync(source);
    }

    [Fact]
    public async Task Import_SourceSaysItsLimitAfterLogin_InTheCountAndTheSourceCheck_PausesInsteadOfFailing_ThenEndsDone()
    {
        // After a good login: the LIST "" "INBOX" MailKit sends itself gets Gmail's ALERT, then the folder listing
        // (LIST "" "*") of the next step gets Exchange Online's throttling answer. Each pauses the mailbox, neither fails
        // it nor leaves a folder out.
        var source = servers.Source.AddUniqueUser("listlimit");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        await using var proxy = new FaultProxy("src", servers.Source.ImapPort, seed: 2);
        string[] refusals =
        [
            "{tag} NO [ALERT] Account exceeded command or bandwidth limits. (Failure)\r\n",
            "{tag} NO Request is throttled. Suggested Backoff Time: 1500 milliseconds\r\n",
        ];
        var lists = 0;
        var answered = new System.Collections.Concurrent.ConcurrentQueue<string>();
        proxy.Plans = c => new FaultPlan
        {
            Imap = new ImapFaults
            {
                Command = command =>
                {
                    var refused = Volatile.Read(ref lists) switch
                    {
                        0 => command.Name == "LIST" && command.Text.Contains("\"INBOX\"", StringComparison.Ordinal),
                        // Not MailKit's own LIST (SPECIAL-USE) after the login: the listing of the folders to copy.
                        1 => command.Name == "LIST" && command.Text.Contains("\"*\" RETURN", StringComparison.Ordinal) && !command.Text.Contains("(SPECIAL-USE)", StringComparison.Ordinal),
                        _ => false,
                    };
                    if (refused && Interlocked.Increment(ref lists) is var n)
                    {
                        answered.Enqueue($"connection {c.Number} #{n} {command.Text.Trim()}");
                        return refusals[n - 1];
                    }

                    return null;
                },
            },
        };
        var (pauses, logged, pausedUntil) = await ImportThroughAsync(proxy, source);
        // One pause for each refused listing, at its own time.
        Assert.True(answered.Count == 2 && pausedUntil.Count >= 2, $"answered: {string.Join("; ", answered)}. logged: {string.Join("; ", logged)}");
        Assert.NotEmpty(pauses);
        Assert.All(pauses, p => Assert.Equal(ErrorCode.SourceLimitReached, p.Code));
        await AssertExactlyOnceAsync(source);
    }

    /// <summary>Imports <paramref name="source"/> through <paramref name="proxy"/> (plain IMAP) and checks that it ends
    /// Done with all 14 of its messages; returns the pauses the status showed, the pause lines the activities logged, and
    /// the distinct times those lines pause until.</summary>
    private async Task<(List<MailboxReport> Pauses, List<string> Logged, List<string> PausedUntil)> ImportThroughAsync(FaultProxy proxy, MailAccount source)
    {
        var through = proxy.Source(servers.Source.ImapSource with { Port = servers.Source.ImapPort, Security = TransportSecurity.None, TrustedCertificateSha256 = null });
        var (batchId, runId) = await StartAsync(through, new ImportOptions(), source);

        var pauses = await WatchPausesAsync(runId);

        var report = (await host.Services.GetRequiredService<BatchStorage>().LoadReportAsync(batchId, CancellationToken.None))!;
        var mailbox = Assert.Single(report.Mailboxes);
        Assert.Equal((MailboxStatus.Done, (ErrorCode?)null, 14L), (mailbox.Status, mailbox.Code, mailbox.Counters.MessagesCopied));
        var logged = host.Logs.Entries.Where(l => l.EventId.Id is 6050 or 6019 or 6020 or 6021).Select(l => l.Message).ToList();
        var pausedUntil = logged.Select(m => PausedUntil().Match(m)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        return (pauses, logged, pausedUntil);
    }

    private async Task<(string BatchId, string RunId)> StartAsync(SourceServer source, ImportOptions options, MailAccount account)
    {
        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, source, options, DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, runId, Encoding.UTF8.GetBytes($"{account.Login} {account.Password.Reveal()}\n"), isJson: false, CancellationToken.None);
        await host.Engine.StartAsync(WorkflowNames.ImportBatch, new BatchRunInput(batchId, runId, RunMode.Full, RetryFirstDelaySeconds: 0.1), runId, CancellationToken.None);
        return (batchId, runId);
    }

    /// <summary>Reads the mailbox's live status the way the status API does (its custom status as a report line) until
    /// the run ends; returns each distinct pause seen, which must name a time still ahead when it was seen.</summary>
    private async Task<List<MailboxReport>> WatchPausesAsync(string runId)
    {
        var pauses = new List<MailboxReport>();
        var instance = ImportBatchOrchestration.MailboxInstanceId(runId, 1);
        var wait = host.WaitAsync(runId);
        while (!wait.IsCompleted)
        {
            if ((await host.Engine.GetStateAsync(instance, CancellationToken.None))?.CustomStatus is { } json
                && JsonSerializer.Deserialize<MailboxOutcome>(json, Json)?.ToReport() is { Status: MailboxStatus.Paused } paused)
            {
                Assert.NotNull(paused.PausedUntil);
                if (!pauses.Exists(p => p.PausedUntil == paused.PausedUntil))
                {
                    Assert.True(paused.PausedUntil > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1), $"paused until {paused.PausedUntil:o}, seen at {DateTimeOffset.UtcNow:o}");
                    pauses.Add(paused);
                }
            }

            await Task.WhenAny(wait, Task.Delay(100));
        }

        await wait;
        return pauses;
    }

    /// <summary>Count and compare: the destination holds each source message once, byte for byte, with its flags.</summary>
    private async Task AssertExactlyOnceAsync(MailAccount source)
    {
        var atDestination = new MailAccount($"{source.Login}@{Domain}", source.Password);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, atDestination));
    }

    [System.Text.RegularExpressions.GeneratedRegex("paused until (\\S+)")]
    private static partial System.Text.RegularExpressions.Regex PausedUntil();
}
