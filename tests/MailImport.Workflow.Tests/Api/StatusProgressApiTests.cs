using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Infrastructure.Settings;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Api;
using MailImport.Workflow.Tests.EndToEnd;
using MailKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The status read from the run's progress documents, with its counts per state, its filter and its pages,
/// on the real workflow over Azurite and Dovecot: one mailbox paused by its download budget, one running (waiting for a
/// destination mailbox another batch holds), one invalid line.</summary>
[Collection(WorkflowServers.Name)]
public sealed class StatusProgressApiTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Key = "test-key-9a2e";
    private ApiTestHost host = null!;

    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, Key);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Status_MidRun_ShowsThePausedAndTheRunningLine_CountsEachState_FiltersAndPages_WithOneEngineLookup()
    {
        // Five messages of about 350 KB against a budget of 1 MB a day: a few are copied, then the mailbox is paused
        // until the window (a day by default) lets it download again.
        var paused = servers.Source.AddUniqueUser("pause", "Secret-ok1");
        var line = new string('p', 998) + "\r\n";
        await MailCorpus.SeedAsync(servers.Source, paused, new()
        {
            ["INBOX"] = [.. Enumerable.Range(0, 5).Select(i => new SeedMessage(MailCorpus.Message($"p{i}", $"p{i}@old.example", string.Concat(Enumerable.Repeat(line, 350))), MessageFlags.Seen, [], DateTimeOffset.UnixEpoch.AddDays(i)))],
        });
        var waiting = servers.Source.AddUniqueUser("wait", "Secret-ok2");
        var holds = host.Services.GetRequiredService<DestinationHolds>();
        var destinationHost = host.Services.GetRequiredService<IOptions<DestinationOptions>>().Value.Endpoint.Host;
        var other = new DestinationHold(Guid.NewGuid().ToString("N"), "other-r1", 1);
        Assert.Null(await holds.TryHoldAsync(destinationHost, $"{waiting.Login}@example.org", other, TimeSpan.FromMinutes(10), CancellationToken.None));
        string? batchId = null;
        try
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes($"{paused.Login} Secret-ok1\n{waiting.Login} Secret-ok2\nbad_name Secret12\n")), "file", "credentials.txt");
            form.Add(new StringContent(JsonSerializer.Serialize(new
            {
                domain = "example.org",
                source = new { protocol = "imap", host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
                options = new { downloadBudgetMegabytes = 1 },
            }, JsonSerializerOptions.Web)), "settings");
            using var started = await host.SendAsync(HttpMethod.Post, "/api/imports", form);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            batchId = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;

            var status = await PollUntilAsync(batchId, s => s.GetProperty("mailboxes") is { } lines && lines.GetArrayLength() == 3
                && lines[0].GetProperty("status").GetString() == "Paused" && IsWaiting(lines[1]));

            Assert.Equal("Running", status.GetProperty("status").GetString());
            var pausedLine = status.GetProperty("mailboxes")[0];
            Assert.Equal(("SourceLimitReached", 5L), (pausedLine.GetProperty("code").GetString(), pausedLine.GetProperty("counters").GetProperty("messagesTotal").GetInt64()));
            // The chunks before the pause show what they copied.
            Assert.InRange(pausedLine.GetProperty("counters").GetProperty("messagesCopied").GetInt64(), 1, 4);
            Assert.True(pausedLine.GetProperty("pausedUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(1));
            Assert.Equal([(1, "Paused"), (2, "Running"), (3, "Invalid")],
                status.GetProperty("mailboxes").EnumerateArray().Select(m => (m.GetProperty("lineNumber").GetInt32(), m.GetProperty("status").GetString())));
            Assert.Equal(Enum.GetNames<Core.Reports.MailboxStatus>().Order(), status.GetProperty("counts").EnumerateObject().Select(p => p.Name).Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
            Assert.Equal((1, 1, 1, 0), (Count(status, "Paused"), Count(status, "Running"), Count(status, "Invalid"), Count(status, "Failed")));

            // The status's engine lookups: the run's instance alone, however many lines it has.
            var before = host.EngineLookups;
            using (await host.SendAsync(HttpMethod.Get, $"/api/imports/{batchId}"))
            {
                Assert.Equal(1, host.EngineLookups - before);
            }

            var onlyPaused = await GetAsync($"/api/imports/{batchId}?state=paused");
            Assert.Equal([1], Lines(onlyPaused));
            Assert.Equal((1, 1, 1), (Count(onlyPaused, "Paused"), Count(onlyPaused, "Running"), Count(onlyPaused, "Invalid")));
            Assert.Equal(1, onlyPaused.GetProperty("page").GetProperty("matched").GetInt32());

            var first = await GetAsync($"/api/imports/{batchId}?state=Running,Paused&limit=1");
            Assert.Equal([1], Lines(first));
            Assert.Equal((2, 1), (first.GetProperty("page").GetProperty("matched").GetInt32(), first.GetProperty("page").GetProperty("nextOffset").GetInt32()));
            var second = await GetAsync($"/api/imports/{batchId}?state=Running,Paused&limit=1&offset=1");
            Assert.Equal([2], Lines(second));
            Assert.False(second.GetProperty("page").TryGetProperty("nextOffset", out _));
            // The totals are the batch's, whatever the page shows.
            Assert.Equal(status.GetProperty("totals").GetRawText(), second.GetProperty("totals").GetRawText());

            foreach (var (query, field) in new[] { ("state=stopped", "state"), ("state=3", "state"), ("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset"), ("offset=x", "offset") })
            {
                using var refused = await host.SendAsync(HttpMethod.Get, $"/api/imports/{batchId}?{query}");
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                var problem = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("problems")[0];
                Assert.Equal((field, "StatusQueryInvalid"), (problem.GetProperty("field").GetString(), problem.GetProperty("code").GetString()));
            }
        }
        finally
        {
            await holds.ReleaseAsync(destinationHost, $"{waiting.Login}@example.org", other, CancellationToken.None);
            if (batchId is not null)
            {
                using var close = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batchId}/close");
            }
        }
    }

    private static int Count(JsonElement status, string state) =>
        status.GetProperty("counts").EnumerateObject().Single(p => string.Equals(p.Name, state, StringComparison.OrdinalIgnoreCase)).Value.GetInt32();

    private static int[] Lines(JsonElement status) => [.. status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("lineNumber").GetInt32())];

    private static bool IsWaiting(JsonElement line) =>
        line.TryGetProperty("message", out var text) && text.GetString()?.StartsWith("Waiting:", StringComparison.Ordinal) == true;

    private async Task<JsonElement> GetAsync(string path)
    {
        using var answer = await host.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await answer.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Reads the batch's status every 100 ms until <paramref name="reached"/> holds of it (two minutes at most).</summary>
    private async Task<JsonElement> PollUntilAsync(string batchId, Func<JsonElement, bool> reached)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        JsonElement status = default;
        while (DateTime.UtcNow < deadline)
        {
            using var answer = await host.SendAsync(HttpMethod.Get, $"/api/imports/{batchId}");
            status = await answer.Content.ReadFromJsonAsync<JsonElement>();
            if (reached(status))
            {
                return status;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The run never showed one line paused and one waiting; last status: {status}");
    }
}
