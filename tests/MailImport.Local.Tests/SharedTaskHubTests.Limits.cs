using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Core;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Testing.Faults;
using MailImport.Workflow.Api;

namespace MailImport.Local.Tests;

/// <summary>The connection limit per source account across host processes: two local hosts on one task hub, each
/// sent a batch of three lines that all read one source account, with the account's cap at 2. The source is reached
/// through a proxy in this test that counts the connections open at once at the server's side.</summary>
public sealed partial class SharedTaskHubTests
{
    [Fact]
    public async Task TwoHostProcessesTwoBatches_OneSourceAccountCappedAtTwo_NeverMoreThanTwoConnections_AndEveryMailboxEqualsItsSource()
    {
        const int Cap = 2;
        var source = servers.Mail.AddUser($"cap{Guid.NewGuid():N}"[..14], Password);
        await MailCorpus.SeedAsync(servers.Mail, source, MailCorpus.Standard());
        await using var proxy = new FaultProxy("src", servers.Mail.ImapPort, seed: 5);
        var taskHub = "Limits" + Guid.NewGuid().ToString("N")[..8];
        var names = new[] { "limit-a", "limit-b" };
        var logs = names.Select(name => new HostLog(name)).ToList();
        var hosts = logs.Select((log, i) => new LocalHostProcess(
            Settings(taskHub, log.Name, TestPorts.Shift(SharedTaskHubServersFixture.PortBase) + 80 + 3 + i).Append(("MailImport:Connector:ConnectionsPerSourceAccount", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            log.See)).ToList();
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

            // Each batch's work then has both hosts to go to: a batch started before would be done by the first host alone.
            await WaitForSharedPartitionsAsync(logs);
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var batches = new List<(HttpClient Http, string BatchId, string[] Usernames)>();
            for (var i = 0; i < hosts.Count; i++)
            {
                var http = Client(3 + i);
                var usernames = Enumerable.Range(1, 3).Select(n => $"cap{names[i][^1]}{n}{suffix}").ToArray();
                batches.Add((http, await StartThroughAsync(http, proxy, source, usernames), usernames));
            }

            foreach (var (http, batchId, _) in batches)
            {
                var status = await BatchEnd.WaitAsync(http, batchId, TimeSpan.FromMinutes(10));
                Assert.Equal("Completed", status.GetProperty("status").GetString());
                Assert.All(status.GetProperty("mailboxes").EnumerateArray(), m => Assert.Equal("Done", m.GetProperty("status").GetString()));
            }

            output.WriteLine($"source connections: {proxy.Counters.Connections}, at most {proxy.Counters.MostOpen} at once; chunks: " +
                string.Join("; ", logs.Select(l => $"{l.Name} {l.Chunks.Count}")));
            Assert.True(proxy.Counters.MostOpen <= Cap, $"{proxy.Counters.MostOpen} connections to the source account were open at once; the cap is {Cap}");
            Assert.Equal(Cap, proxy.Counters.MostOpen);
            Assert.All(logs, l => Assert.NotEmpty(l.Chunks));
            var expected = await MailCorpus.SnapshotAsync(servers.Mail, source);
            var (lost, doubled) = (0, 0);
            foreach (var username in batches.SelectMany(b => b.Usernames))
            {
                var copied = await MailCorpus.SnapshotAsync(servers.Mail, new MailAccount($"{username}@{WorkflowSettings.Domain}", new Secret(Password)));
                var (l, d) = MailCorpus.LostAndDoubled(expected, copied);
                (lost, doubled) = (lost + l, doubled + d);
                MailCorpus.AssertSame(expected, copied);
            }

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

    /// <summary>Starts a batch through the API: one line per username, each reading <paramref name="account"/> over plain
    /// IMAP through <paramref name="proxy"/>.</summary>
    private static async Task<string> StartThroughAsync(HttpClient http, FaultProxy proxy, MailAccount account, string[] usernames)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(string.Concat(usernames.Select(u => $"{account.Login} {Password} {u} {Password}\n")))), "file", "list.txt" },
            { new StringContent(JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source = new { host = "127.0.0.1", port = proxy.Port, security = "none" } })), "settings" },
        };
        using var response = await http.PostAsync("/api/imports", form);
        Assert.True(response.IsSuccessStatusCode, $"the start answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
    }
}
