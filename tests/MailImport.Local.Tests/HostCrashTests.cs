using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Core;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;

namespace MailImport.Local.Tests;

/// <summary>The local host killed (SIGKILL) in the middle of a batch and started again: the batch finishes and every
/// mailbox equals its source, nothing lost, nothing doubled.</summary>
public sealed class HostCrashTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Key = "crash-test-key";
    private const int Port = 31080;

    private Process StartHost(string taskHub)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "MailImport.Local.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(host);
        var settings = WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", $"http://127.0.0.1:{Port}"),
            ("MailImport:TaskHub", taskHub),
            ("MailImport:VisibilitySeconds", "10"),
            ("MailImport:Api:Key", Key),
            ("MailImport:Workflow:ChunkMessages", "2"),
            ("MailImport:Workflow:ChunksPerGeneration", "2"),
            ("Logging:LogLevel:Default", "Warning"));
        foreach (var (name, value) in settings)
        {
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<JsonElement?> TryStatusAsync(HttpClient http, string batchId)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>($"/api/imports/{batchId}");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Batch_HostKilledMidwayAndRestarted_FinishesWithEveryMessageOnce()
    {
        var accounts = Enumerable.Range(0, 3).Select(i => servers.Source.AddUser($"k{i}{Guid.NewGuid():N}"[..14], "Secret-kill1")).ToList();
        foreach (var account in accounts)
        {
            await MailCorpus.SeedAsync(servers.Source, account, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        }

        var taskHub = "Crash" + Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);
        var host = StartHost(taskHub);
        try
        {
            StartedImport? import = null;
            for (var attempt = 0; attempt < 120 && import is null; attempt++)
            {
                try
                {
                    var form = new MultipartFormDataContent
                    {
                        { new ByteArrayContent(Encoding.UTF8.GetBytes(string.Concat(accounts.Select(a => $"{a.Login} Secret-kill1\n")))), "file", "list.txt" },
                        { new StringContent(JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 } })), "settings" },
                    };
                    using var response = await http.PostAsync("/api/imports", form);
                    import = await response.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }

            Assert.NotNull(import);

            // Kill once some, but not all, of the mail has moved.
            for (var attempt = 0; attempt < 600; attempt++)
            {
                var copied = (await TryStatusAsync(http, import.BatchId))?.GetProperty("totals").GetProperty("messagesCopied").GetInt64() ?? 0;
                if (copied >= 2)
                {
                    break;
                }

                await Task.Delay(100);
            }

            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            var atKill = await MailCountAsync(accounts);
            Assert.InRange(atKill, 1, 20);
            host.Dispose();

            host = StartHost(taskHub);
            JsonElement status = default;
            for (var attempt = 0; attempt < 900 && status.ValueKind == JsonValueKind.Undefined; attempt++)
            {
                if (await TryStatusAsync(http, import.BatchId) is { } current && current.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
                {
                    status = current;
                }
                else
                {
                    await Task.Delay(200);
                }
            }

            Assert.Equal("Completed", status.GetProperty("status").GetString());
            Assert.All(status.GetProperty("mailboxes").EnumerateArray(), m => Assert.Equal("Done", m.GetProperty("status").GetString()));
            foreach (var account in accounts)
            {
                MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                    await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{account.Login}@{WorkflowSettings.Domain}", new Secret("Secret-kill1"))));
            }
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }

            host.Dispose();
        }
    }

    /// <summary>Messages at the destination now, over the mailboxes that exist there yet.</summary>
    private async Task<int> MailCountAsync(IEnumerable<MailAccount> accounts)
    {
        var total = 0;
        foreach (var account in accounts)
        {
            try
            {
                total += (await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{account.Login}@{WorkflowSettings.Domain}", new Secret("Secret-kill1"))))["INBOX"].Count;
            }
            catch (Mail.Errors.MailFailureException)
            {
                // Not created yet.
            }
        }

        return total;
    }
}
