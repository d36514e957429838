using System.Text;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Testing.Faults;
using MailImport.Workflow.Orchestrations;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>A connection limit that holds across hosts and batches, on real Dovecot and Azurite: two hosts (each its own
/// container and embedded engine, as two host processes have), each running a batch of three lines that all read one
/// source account, with the account's cap at 2. The source is reached through a proxy that counts the connections open
/// at once at the server's side; every mailbox ends equal to the source.</summary>
[Collection(WorkflowServers.Name)]
public sealed class ConnectionLimitEndToEndTests(WorkflowServersFixture servers, ITestOutputHelper output)
{
    private const string Domain = WorkflowSettings.Domain;
    private const int Cap = 2;
    private static readonly string[] HostNames = ["a", "b"];

    [Fact]
    public async Task TwoHostsTwoBatches_OneSourceAccountCappedAtTwo_NeverMoreThanTwoConnections_AndEveryMailboxEqualsItsSource()
    {
        var source = servers.Source.AddUniqueUser("capped");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        await using var proxy = new FaultProxy("src", servers.Source.ImapPort, seed: 4);
        var through = proxy.Source(servers.Source.ImapSource with { Port = servers.Source.ImapPort, Security = TransportSecurity.None, TrustedCertificateSha256 = null });
        var settings = WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Connector:ConnectionsPerSourceAccount", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            // Several chunks a mailbox, so the two batches' chunks interleave.
            ("MailImport:Workflow:ChunkMessages", "4"));
        var hosts = new[] { new EmbeddedWorkflowHost(settings), new EmbeddedWorkflowHost(settings) };
        try
        {
            foreach (var host in hosts)
            {
                await host.StartAsync();
            }

            var suffix = Guid.NewGuid().ToString("N")[..8];
            var runs = new List<(EmbeddedWorkflowHost Host, string BatchId, string RunId, string[] Usernames)>();
            foreach (var (host, name) in hosts.Zip(HostNames))
            {
                var usernames = Enumerable.Range(1, 3).Select(i => $"cap{name}{i}{suffix}").ToArray();
                var (batchId, runId) = await StartAsync(host, through, source, usernames);
                runs.Add((host, batchId, runId, usernames));
            }

            foreach (var (host, _, runId, _) in runs)
            {
                await host.WaitAsync(runId);
            }

            output.WriteLine($"source connections: {proxy.Counters.Connections}, at most {proxy.Counters.MostOpen} at once");
            Assert.True(proxy.Counters.MostOpen <= Cap, $"{proxy.Counters.MostOpen} connections to the source account were open at once; the cap is {Cap}");
            // Six copies ran side by side and the cap was reached: not a run too quiet to cross it.
            Assert.Equal(Cap, proxy.Counters.MostOpen);
            Assert.True(proxy.Counters.Connections >= 6 * 2, $"only {proxy.Counters.Connections} source connections");

            var expected = await MailCorpus.SnapshotAsync(servers.Source, source);
            var (lost, doubled) = (0, 0);
            foreach (var (host, batchId, _, usernames) in runs)
            {
                var report = (await host.Services.GetRequiredService<BatchStorage>().LoadReportAsync(batchId, CancellationToken.None))!;
                Assert.All(report.Mailboxes, m => Assert.Equal((MailboxStatus.Done, (ErrorCode?)null, 14L), (m.Status, m.Code, m.Counters.MessagesCopied)));
                foreach (var username in usernames)
                {
                    var copied = await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{username}@{Domain}", source.Password));
                    var (l, d) = MailCorpus.LostAndDoubled(expected, copied);
                    (lost, doubled) = (lost + l, doubled + d);
                    MailCorpus.AssertSame(expected, copied);
                }
            }

            Assert.Equal((0, 0), (lost, doubled));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
            }
        }
    }

    /// <summary>Starts a batch on <paramref name="host"/>: one line per username, each reading <paramref name="account"/>.</summary>
    private static async Task<(string BatchId, string RunId)> StartAsync(EmbeddedWorkflowHost host, SourceServer source, MailAccount account, string[] usernames)
    {
        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        var password = account.Password.Reveal();
        var file = string.Concat(usernames.Select(u => $"{account.Login} {password} {u} {password}\n"));
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, source, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, runId, Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);
        await host.Engine.StartAsync(WorkflowNames.ImportBatch, new BatchRunInput(batchId, runId, RunMode.Full, RetryFirstDelaySeconds: 0.1), runId, CancellationToken.None);
        return (batchId, runId);
    }
}
