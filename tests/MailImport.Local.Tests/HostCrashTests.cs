using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Core;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Xunit.Abstractions;

namespace MailImport.Local.Tests;

/// <summary>The local host killed (SIGKILL) again and again at random moments of one batch, and started again each
/// time: the batch finishes and every mailbox equals its source, nothing lost, nothing doubled.</summary>
public sealed class HostCrashTests(LocalServersFixture servers, ITestOutputHelper output) : IClassFixture<LocalServersFixture>
{
    private const string Key = "crash-test-key";
    private static readonly int Port = TestPorts.Shift(16080);
    private const string Password = "Secret-kill1";

    /// <summary>At least this many kills across the one batch: enough to land in every phase of a mailbox, several times.</summary>
    private const int Kills = 20;

    /// <summary>However busy the machine, a host that has not said it is ready in this long is hung, not slow.</summary>
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromMinutes(3);

    private LocalHostProcess Host(string taskHub) => new(WorkflowSettings.For(servers.Destination, servers.Azurite,
        ("MailImport:Local:Urls", $"http://127.0.0.1:{Port}"),
        ("MailImport:TaskHub", taskHub),
        // Short on purpose: a chunk's queue message reappears while the chunk still runs, so a second execution of
        // it starts alongside. Before the cursor lease, 32 of 96 messages arrived twice at this setting.
        ("MailImport:VisibilitySeconds", "3"),
        ("MailImport:Api:Key", Key),
        ("MailImport:Workflow:ChunkMessages", "2"),
        ("MailImport:Workflow:ChunksPerGeneration", "2"),
        ("Logging:LogLevel:Default", "Warning")).Select(s => (s.Key, s.Value!)));

    /// <summary>Every mailbox: the standard corpus (folders, flags, dates, odd MIME) and 30 more in the inbox, so that
    /// the batch runs through some ninety chunks of two messages and the kills land all over it.</summary>
    private static Dictionary<string, List<SeedMessage>> Corpus() => MailCorpus.StandardAndMore(30, "more");

    [Fact]
    public async Task Batch_HostKilledTwentyTimesAtRandomMoments_FinishesEqualToTheSourceWithEveryMessageOnce()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MAILIMPORT_KILL_SEED"), out var s) ? s : 20_260_7;
        var random = new Random(seed);
        var accounts = Enumerable.Range(0, 4).Select(i => servers.Source.AddUser($"k{i}{Guid.NewGuid():N}"[..14], Password)).ToList();
        foreach (var account in accounts)
        {
            await MailCorpus.SeedAsync(servers.Source, account, Corpus());
        }

        var total = accounts.Count * Corpus().Values.Sum(f => f.Count);
        var taskHub = "Crash" + Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);
        var clock = Stopwatch.StartNew();
        using var host = Host(taskHub);
        host.Start();
        try
        {
            await host.WaitReadyAsync(ReadyLimit);
            var import = await BatchEnd.StartAsync(http, accounts, Password, servers.Source);

            // Kill at a random moment after the host says it is ready again: early (orchestrations still resuming), mid-chunk, between.
            var kills = new List<string>();
            var midCopy = 0;
            var lastCopied = 0;
            // However slow the machine, at least one kill falls mid-copy: on a busy one the restarts can take all of the
            // first kills before the count phase ends and the first chunk is copied, so the kills go on until one has.
            while (kills.Count < Kills || midCopy == 0)
            {
                var up = Stopwatch.StartNew();
                await host.WaitReadyAsync(ReadyLimit);
                // Ahead of an even spread of the kills over the mail (a quick machine), the next kill comes soon after
                // the host answers, so that all of them fall before the batch ends however fast the copy runs.
                var ahead = lastCopied > (long)total * (kills.Count + 1) / (Kills + 1);
                var delay = TimeSpan.FromMilliseconds(random.Next(0, ahead ? 400 : 4_000));
                await Task.Delay(delay);
                var before = await BatchEnd.TryStatusAsync(http, import.BatchId);
                Assert.False(before?.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated",
                    $"the batch ended after {kills.Count} kills; give it more mail so that {Kills} kills fit in");
                host.Kill();
                var copied = lastCopied = await MailCountAsync(accounts);
                midCopy += copied > 0 && copied < total ? 1 : 0;
                kills.Add($"kill {kills.Count + 1} at {clock.Elapsed.TotalSeconds:0.0}s, {up.Elapsed.TotalSeconds - delay.TotalSeconds:0.0}s to answer + {delay.TotalSeconds:0.0}s, {copied}/{total} copied");
                host.Start();
            }

            var status = await BatchEnd.WaitAsync(http, import.BatchId, TimeSpan.FromMinutes(10));

            output.WriteLine(string.Join("\n", kills));
            output.WriteLine($"seed {seed}: {kills.Count} kills, {midCopy} of them with the mail part-copied; {total} messages in {accounts.Count} mailboxes; finished at {clock.Elapsed.TotalSeconds:0}s");
            Assert.Equal("Completed", status.GetProperty("status").GetString());
            Assert.All(status.GetProperty("mailboxes").EnumerateArray(), m => Assert.Equal("Done", m.GetProperty("status").GetString()));
            Assert.True(midCopy >= 1, "no kill fell while the mail was part-copied");
            var (lost, doubled) = (0, 0);
            var pairs = new List<(SortedDictionary<string, List<string>> Source, SortedDictionary<string, List<string>> Destination)>();
            foreach (var account in accounts)
            {
                var pair = (await MailCorpus.SnapshotAsync(servers.Source, account),
                    await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{account.Login}@{WorkflowSettings.Domain}", new Secret(Password))));
                var (mailboxLost, mailboxDoubled) = MailCorpus.LostAndDoubled(pair.Item1, pair.Item2);
                (lost, doubled) = (lost + mailboxLost, doubled + mailboxDoubled);

                pairs.Add(pair);
            }

            output.WriteLine($"lost {lost}, doubled {doubled}");
            foreach (var (source, destination) in pairs)
            {
                MailCorpus.AssertSame(source, destination);
            }
        }
        catch
        {
            output.WriteLine("The host's console, newest 400 lines over all its starts:\n" + host.Output());
            throw;
        }
    }

    /// <summary>A host that cannot start (here a setting out of range) fails the wait at once, and the failure carries
    /// what the host said, so a test that could not start its host says why.</summary>
    [Fact]
    public async Task HostThatCannotStart_FailsTheReadinessWaitWithItsOwnOutput()
    {
        using var host = new LocalHostProcess(WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", $"http://127.0.0.1:{Port}"),
            ("MailImport:Workflow:BatchIdleClose", "00:00:01")).Select(s => (s.Key, s.Value!)));
        host.Start();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.WaitReadyAsync(ReadyLimit));
        Assert.Contains("exited with code", failure.Message, StringComparison.Ordinal);
        Assert.Contains("BatchIdleClose", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Messages at the destination now, over every folder of the mailboxes that exist there yet.</summary>
    private async Task<int> MailCountAsync(IEnumerable<MailAccount> accounts)
    {
        var total = 0;
        foreach (var account in accounts)
        {
            try
            {
                total += (await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{account.Login}@{WorkflowSettings.Domain}", new Secret(Password)))).Values.Sum(f => f.Count);
            }
            catch (Mail.Errors.MailFailureException)
            {
                // Not created yet.
            }
        }

        return total;
    }
}
