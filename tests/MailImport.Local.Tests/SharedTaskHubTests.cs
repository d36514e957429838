using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailImport.Core;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Xunit.Abstractions;

namespace MailImport.Local.Tests;

/// <summary>One Dovecot that is both the source and the destination, and one Azurite: the servers of three hosts on
/// one task hub (base 18000: Dovecot at +110/143/993/995, Azurite at +0..2, the hosts' HTTP at +80..82).</summary>
public sealed class SharedTaskHubServersFixture
{
    public const int PortBase = 18000;

    public SharedTaskHubServersFixture()
    {
        DovecotServer.Install();
        Mail = DovecotServer.Start("mi-shared-hub", PortBase);
        Azurite = AzuriteServer.Start("mi-shared-hub", PortBase);
    }

    public DovecotServer Mail { get; }

    public AzuriteServer Azurite { get; }
}

/// <summary>Three local hosts on one task hub share one batch as Durable Functions' instances do: each holds some of
/// the hub's partitions (leases in Azure Storage) and runs some of the mailboxes; one is killed mid-batch, the others
/// take its partitions once its leases lapse, and every mailbox ends equal to its source.</summary>
public sealed partial class SharedTaskHubTests(SharedTaskHubServersFixture servers, ITestOutputHelper output) : IClassFixture<SharedTaskHubServersFixture>
{
    private const string Key = "shared-hub-test-key";
    private const string Password = "Secret-share1";

    /// <summary>Each host's MailImport:Local:WorkerId: the name its partition leases are held under.</summary>
    private static readonly string[] HostNames = ["host-a", "host-b", "host-c"];

    /// <summary>DurableTask.AzureStorage's default partition count (AzureStorageOrchestrationServiceSettings.PartitionCount):
    /// the hub's control queues.</summary>
    private const int Partitions = 4;

    /// <summary>However busy the machine, a wait this long means something is stuck, not slow.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task ThreeHostsOneTaskHub_OneKilledMidBatch_ShareTheWorkAndEveryMailboxEqualsItsSource()
    {
        var accounts = Enumerable.Range(0, 9).Select(i => servers.Mail.AddUser($"h{i}{Guid.NewGuid():N}"[..14], Password)).ToList();
        foreach (var account in accounts)
        {
            await MailCorpus.SeedAsync(servers.Mail, account, Corpus());
        }

        var taskHub = "Shared" + Guid.NewGuid().ToString("N")[..8];
        var logs = HostNames.Select(name => new HostLog(name)).ToList();
        var hosts = logs.Select((log, i) => new LocalHostProcess(Settings(taskHub, log.Name, TestPorts.Shift(SharedTaskHubServersFixture.PortBase) + 80 + i), log.See)).ToList();
        var (victim, victimLog) = (hosts[1], logs[1]);
        try
        {
            foreach (var host in hosts)
            {
                host.Start();
            }

            foreach (var host in hosts)
            {
                await host.WaitReadyAsync(Guard);
            }

            await WaitForSharedPartitionsAsync(logs);
            output.WriteLine("partitions before the batch: " + string.Join("; ", logs.Select(l => $"{l.Name} {string.Join(",", l.Owned())}")));

            using var http = Client(0);
            var import = await BatchEnd.StartAsync(http, accounts, Password, servers.Mail);

            // Killed once it has copied a share of its own, while the batch still runs.
            await victimLog.CopiedTwice.Task.WaitAsync(Guard);
            var before = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.BatchId}");
            Assert.False(before.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated", "the batch ended before the kill; give it more mail");
            var held = victimLog.Owned();
            victim.Kill();
            var killedAt = DateTime.UtcNow;
            output.WriteLine($"killed {victimLog.Name} at {killedAt:HH:mm:ss.fff} holding {string.Join(",", held)} after {victimLog.Chunks.Count} chunks");

            // Its leases lapse (DurableTask.AzureStorage renews them every few seconds), and the others take them.
            var survivors = new[] { logs[0], logs[2] };
            var moved = Stopwatch.StartNew();
            while (!held.All(p => survivors.Any(s => s.AcquiredSince(p, killedAt))))
            {
                Assert.True(moved.Elapsed < Guard, $"the killed host's partitions {string.Join(",", held)} did not move: " + string.Join("; ", survivors.Select(s => $"{s.Name} {string.Join(",", s.Owned())}")));
                await Task.Delay(200);
            }

            output.WriteLine($"partitions {moved.Elapsed.TotalSeconds:0.0} s after the kill: " + string.Join("; ", survivors.Select(s => $"{s.Name} {string.Join(",", s.Owned())}")));

            var status = await BatchEnd.WaitAsync(http, import.BatchId, TimeSpan.FromMinutes(10));

            // The split: which host copied chunks of which mailbox (a chunk is an activity: any host's engine may take it
            // from the hub's one work-item queue), and whose partitions ran the orchestrations.
            foreach (var log in logs)
            {
                var lines = log.Chunks.Select(c => c.Line).Distinct().Order().ToList();
                output.WriteLine($"{log.Name}: {log.Chunks.Count} chunks of mailboxes (lines) {string.Join(",", lines)}; " +
                    $"after the kill {log.Chunks.Count(c => c.At > killedAt)}; partitions {(log == victimLog ? "when killed" : "at the end")} {string.Join(",", log.Owned())}");
            }

            Assert.Equal("Completed", status.GetProperty("status").GetString());
            Assert.All(status.GetProperty("mailboxes").EnumerateArray(), m => Assert.Equal("Done", m.GetProperty("status").GetString()));
            Assert.All(logs, l => Assert.NotEmpty(l.Chunks));
            Assert.Contains(survivors, s => s.Chunks.Any(c => c.At > killedAt));
            var (lost, doubled) = (0, 0);
            foreach (var account in accounts)
            {
                var source = await MailCorpus.SnapshotAsync(servers.Mail, account);
                var destination = await MailCorpus.SnapshotAsync(servers.Mail, new MailAccount($"{account.Login}@{WorkflowSettings.Domain}", new Secret(Password)));
                var (l, d) = MailCorpus.LostAndDoubled(source, destination);
                (lost, doubled) = (lost + l, doubled + d);
                MailCorpus.AssertSame(source, destination);
            }

            output.WriteLine($"{accounts.Count} mailboxes, {accounts.Count * Corpus().Values.Sum(f => f.Count)} messages: lost {lost}, doubled {doubled}");
            Assert.Equal((0, 0), (lost, doubled));
        }
        catch
        {
            PrintConsoles(hosts, logs);
            throw;
        }
        finally
        {
            hosts.ForEach(h => h.Dispose());
        }
    }

    /// <summary>What each host printed, for a test that failed.</summary>
    private void PrintConsoles(List<LocalHostProcess> hosts, List<HostLog> logs)
    {
        foreach (var (host, log) in hosts.Zip(logs))
        {
            output.WriteLine($"--- {log.Name}'s console, newest 400 lines:\n{host.Output()}");
        }
    }

    private IEnumerable<(string, string)> Settings(string taskHub, string workerId, int port) => WorkflowSettings.For(servers.Mail, servers.Azurite,
        ("MailImport:Local:Urls", $"http://127.0.0.1:{port}"),
        ("MailImport:Local:WorkerId", workerId),
        ("MailImport:TaskHub", taskHub),
        // A killed host's dequeued work comes back to the others this soon.
        ("MailImport:VisibilitySeconds", "10"),
        ("MailImport:Api:Key", Key),
        ("MailImport:Workflow:ChunkMessages", "2"),
        ("MailImport:Workflow:ChunksPerGeneration", "2"),
        ("Logging:LogLevel:Default", "Warning"),
        // The lines the split is read from: every chunk (with its mailbox's line in the scope), every partition lease.
        ("Logging:LogLevel:MailImport.Workflow.Activities.MailboxSteps", "Information"),
        ("Logging:LogLevel:DurableTask.AzureStorage", "Information")).Select(s => (s.Key, s.Value!));

    private static HttpClient Client(int host)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{TestPorts.Shift(SharedTaskHubServersFixture.PortBase) + 80 + host}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);
        return http;
    }

    /// <summary>The standard corpus and 20 more in the inbox: chunks of two messages, some fifteen a mailbox.</summary>
    private static Dictionary<string, List<SeedMessage>> Corpus() => MailCorpus.StandardAndMore(20, "shared");

    /// <summary>Waits until every host listens on a share of the partitions of its own and every partition has one host.</summary>
    /// <remarks>The lease balancer moves partitions from the first host to the later ones, a few seconds apart: a holder
    /// sees that a lease was taken from it when it next checks its leases (about 10 s here), drains, and lets go.</remarks>
    private static async Task WaitForSharedPartitionsAsync(IReadOnlyList<HostLog> logs)
    {
        var balancing = Stopwatch.StartNew();
        while (!(logs.All(l => l.Owned().Count > 0) && logs.SelectMany(l => l.Owned()).Count() == Partitions && logs.SelectMany(l => l.Owned()).Distinct().Count() == Partitions))
        {
            Assert.True(balancing.Elapsed < Guard, "the hosts did not share the partitions: " + string.Join("; ", logs.Select(l => $"{l.Name} {string.Join(",", l.Owned())}")));
            await Task.Delay(200);
        }
    }

    /// <summary>What one host's console says of its chunks and partition leases, as the lines come.</summary>
    private sealed partial class HostLog(string name)
    {
        private readonly ConcurrentDictionary<string, DateTime> owned = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<(string Partition, DateTime At)> acquired = new();

        public string Name { get; } = name;

        public ConcurrentQueue<(int Line, DateTime At)> Chunks { get; } = new();

        /// <summary>Set once the host has copied two chunks.</summary>
        public TaskCompletionSource CopiedTwice { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Owned() => owned.Keys.Order(StringComparer.Ordinal).ToList();

        public bool AcquiredSince(string partition, DateTime since) => acquired.Any(a => a.Partition == partition && a.At > since);

        public void See(string line)
        {
            var now = DateTime.UtcNow;
            if (ChunkLine().Match(line) is { Success: true } chunk)
            {
                Chunks.Enqueue((int.Parse(chunk.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), now));
                if (Chunks.Count >= 2)
                {
                    CopiedTwice.TrySetResult();
                }
            }
            else if (AcquiredLine().Match(line) is { Success: true } gained)
            {
                owned[gained.Groups[1].Value] = now;
                acquired.Enqueue((gained.Groups[1].Value, now));
            }
            else if (ReleasedLine().Match(line) is { Success: true } lost)
            {
                owned.TryRemove(lost.Groups[1].Value, out _);
            }
        }

        // StepLogging's scope ("line {Line}") precedes MailboxSteps' ChunkCopied message on the console's single line.
        [GeneratedRegex(@"\bline (\d+)\b.*Chunk done:")]
        private static partial Regex ChunkLine();

        // A host works a partition while it listens on its control queue, {taskhub}-control-NN: DurableTask.AzureStorage
        // logs both ends (ControlQueue listening in Azure/durabletask's partition managers). Its lease lines say less:
        // a lease "stolen" is at first only the intent to take it, until the holder drains and lets go.
        [GeneratedRegex(@"(control-\d+): Started listening for messages")]
        private static partial Regex AcquiredLine();

        [GeneratedRegex(@"(control-\d+): Stopped listening for messages")]
        private static partial Regex ReleasedLine();
    }
}
