using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;

namespace MailImport.Local.Tests;

/// <summary>A batch started through POST /api/imports and its status followed through GET /api/imports/{id}, as an
/// API client does, for tests whose hosts come and go.</summary>
internal static class BatchEnd
{
    /// <summary>Starts a batch of <paramref name="accounts"/>, each with <paramref name="password"/>, from
    /// <paramref name="source"/> over IMAPS (its own certificate trusted by fingerprint).</summary>
    public static async Task<StartedImport> StartAsync(HttpClient http, IEnumerable<MailAccount> accounts, string password, DovecotServer source)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(string.Concat(accounts.Select(a => $"{a.Login} {password}\n")))), "file", "list.txt" },
            { new StringContent(JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source = new { host = "127.0.0.1", port = source.ImapsPort, security = "ssl", trustedCertificateSha256 = source.CertificateSha256 } })), "settings" },
        };
        using var response = await http.PostAsync("/api/imports", form);
        Assert.True(response.IsSuccessStatusCode, $"the start answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var import = await response.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web);
        Assert.NotNull(import);
        return import;
    }

    /// <summary>The status, or null while no host answers: none listening, or one too busy (a host still resuming its
    /// orchestrations on a loaded machine) to answer within the client's timeout.</summary>
    public static async Task<JsonElement?> TryStatusAsync(HttpClient http, string batchId)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>($"/api/imports/{batchId}");
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            // HttpClient.Timeout elapsed (https://learn.microsoft.com/dotnet/api/system.net.http.httpclient.timeout).
            return null;
        }
    }

    /// <summary>The status once the run has ended. The end is what is waited for; <paramref name="limit"/> only stops a
    /// batch that never ends from hanging the suite.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient http, string batchId, TimeSpan limit)
    {
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            var current = await TryStatusAsync(http, batchId);
            if (current?.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return current.Value;
            }

            Assert.True(waiting.Elapsed < limit, $"the batch did not end within {limit.TotalMinutes:0} minutes; its status: {current}");
            await Task.Delay(200);
        }
    }
}
