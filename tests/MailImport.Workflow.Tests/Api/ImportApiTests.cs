using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DurableTask.Core;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Tests.EndToEnd;
using MailKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The HTTP API on Kestrel (127.0.0.1), with the real workflow on the embedded engine, Azurite and Dovecot.</summary>
[Collection(WorkflowServers.Name)]
public sealed class ImportApiTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Key = "test-key-5c1f";
    private ApiTestHost host = null!;

    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, Key);

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static MultipartFormDataContent Upload(string file, object settings)
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(file)), "file", "credentials.txt");
        form.Add(new StringContent(JsonSerializer.Serialize(settings, JsonSerializerOptions.Web)), "settings");
        return form;
    }

    private object Settings(string domain = "example.org", string host = "127.0.0.1") => new
    {
        domain,
        source = new { protocol = "imap", host, port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
    };

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? key = Key) =>
        host.SendAsync(method, path, content, key);

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task AnyCall_WithoutTheRightKey_Is401AndStartsNothing(string? key)
    {
        using var start = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", Settings()), key);
        using var status = await SendAsync(HttpMethod.Get, $"/api/imports/{Guid.NewGuid():N}", key: key);

        Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
    }

    [Theory]
    [InlineData("/api/imports/abc")]
    [InlineData("/api/imports/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/imports/0123456789abcdef0123456789abcdef")]
    [InlineData("/api/imports/0123456789ABCDEF0123456789ABCDEF/report")]
    public async Task Status_IdNotOurs_Is404(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Start_BadSettingsAndNoValidLine_Is400NamingEachFieldAndLine()
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload("bad_name Secret12\nonlyone\n", Settings(domain: "not a domain", host: "imap://x")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web);
        Assert.Equal(["domain", "source.host", "file", "line 1", "line 2"], error!.Problems!.Select(p => p.Field));
        Assert.Equal(["FileNoUsableLine", "UsernameInvalidCharacter", "LineFieldCount"], error.Problems!.Skip(2).Select(p => p.Code));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \r\n\t\n")]
    public async Task Start_FileWithoutAMailboxLine_IsOneFileEmpty(string file)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload(file, Settings()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = Assert.Single((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("file", "FileEmpty"), (problem.Field, problem.Code));
    }

    [Fact]
    public async Task Start_BodyOverTheLimit_Is413BeforeAnythingIsRead()
    {
        var big = new string('a', (int)ImportApi.MaxBodyBytes + 1);

        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload(big, Settings()));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Start_ScheduleThatIsNotCron_Is400NamingTheField()
    {
        var settings = new { domain = "example.org", source = new { host = "127.0.0.1" }, options = new { schedule = "every day" } };

        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", settings));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = Assert.Single((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("options.schedule", "SettingsInvalidSchedule"), (problem.Field, problem.Code));
    }

    [Fact]
    public async Task Start_DuplicatesNeitherSkipNorCopy_Is400NamingTheField()
    {
        var settings = new { domain = "example.org", source = new { host = "127.0.0.1" }, options = new { duplicates = "merge" } };

        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", settings));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = Assert.Single((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("options.duplicates", "SettingsInvalidDuplicates"), (problem.Field, problem.Code));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_000_001)]
    public async Task Start_DownloadBudgetOutOfRange_Is400NamingTheField(int megabytes)
    {
        var settings = new { domain = "example.org", source = new { host = "127.0.0.1" }, options = new { downloadBudgetMegabytes = megabytes } };

        using var response = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", settings));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = Assert.Single((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("options.downloadBudgetMegabytes", "SettingsInvalidDownloadBudget"), (problem.Field, problem.Code));
    }

    [Theory]
    [InlineData("application/json", "{ \"domain\": ")]
    public async Task Start_MalformedBody_Is400WithAReason(string contentType, string body)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/imports", new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))?.Error));
    }

    [Fact]
    public async Task Start_BinaryFile_Is400FileNotText()
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 1]), "file", "list.xlsx");
        form.Add(new StringContent(JsonSerializer.Serialize(Settings(), JsonSerializerOptions.Web)), "settings");

        using var response = await SendAsync(HttpMethod.Post, "/api/imports", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("FileNotText", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ThroughTheApi_RunsReportsRerunsAndCloses()
    {
        var good = servers.Source.AddUser($"api{Guid.NewGuid():N}"[..15], "Secret-api1");
        await MailCorpus.SeedAsync(servers.Source, good, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });

        using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload($"{good.Login} Secret-api1\nbad_name Secret12\n", Settings()));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        Assert.Equal((1, 1), (import.Mailboxes, import.InvalidLines));

        var status = await host.WaitForAsync(import.BatchId);
        Assert.Equal(["Done", "Invalid"], status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        Assert.Equal(7, status.GetProperty("totals").GetProperty("messagesCopied").GetInt64());
        // The run's own orchestration stays; its mailbox's history went once its group had ended, and the group's count
        // and copy once the run had their results (MailboxHistories).
        var engine = host.Services.GetRequiredService<IWorkflowEngine>();
        Assert.NotNull(await engine.GetStateAsync($"{import.BatchId}-r1", CancellationToken.None));
        Assert.Null(await engine.GetStateAsync(ImportBatchOrchestration.MailboxInstanceId($"{import.BatchId}-r1", 1), CancellationToken.None));
        Assert.Null(await engine.GetStateAsync(ImportBatchOrchestration.CountInstanceId($"{import.BatchId}-r1", 0), CancellationToken.None));
        Assert.Null(await engine.GetStateAsync(ImportBatchOrchestration.GroupInstanceId($"{import.BatchId}-r1", 0), CancellationToken.None));

        using var csv = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("UsernameInvalidCharacter", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var json = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report");
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);

        // Between the runs one message arrives at the source and another is flagged there.
        using (var client = await MailCorpus.Connect(servers.Source, good))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await MailCorpus.AppendAsync(client.Inbox, new SeedMessage(MailCorpus.Message("Arrived later", "<later@example.org>"), MessageFlags.None, [], DateTimeOffset.UnixEpoch.AddYears(50)));
            await client.Inbox.AddFlagsAsync(0, MessageFlags.Flagged, silent: true);
            await client.DisconnectAsync(true);
        }

        using var rerun = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/rerun", JsonContent.Create(new { mode = "incremental" }));
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        status = await host.WaitForAsync(import.BatchId);
        Assert.Equal(2, status.GetProperty("runs").GetArrayLength());
        // JsonContent is sent in chunks, without a Content-Length: the mode must be read all the same.
        Assert.Equal("Incremental", status.GetProperty("runs")[1].GetProperty("mode").ToString(), ignoreCase: true);
        Assert.Equal(8, status.GetProperty("totals").GetProperty("messagesCopied").GetInt64());

        // Each run's own figures, next to the cumulative ones: in the status, the report and its CSV.
        var lastRun = status.GetProperty("mailboxes")[0].GetProperty("lastRun");
        Assert.Equal(($"{import.BatchId}-r2", 1L, 1L), (lastRun.GetProperty("runId").GetString(), lastRun.GetProperty("messagesCopied").GetInt64(), lastRun.GetProperty("flagsUpdated").GetInt64()));
        Assert.Equal([(7L, 0L), (1L, 1L)], status.GetProperty("runSummaries").EnumerateArray().Select(r => (r.GetProperty("messagesCopied").GetInt64(), r.GetProperty("flagsUpdated").GetInt64())));
        using var report = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report");
        var runs = (await report.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runs");
        Assert.Equal([($"{import.BatchId}-r1", 1, 7L), ($"{import.BatchId}-r2", 1, 1L)],
            runs.EnumerateArray().Select(r => (r.GetProperty("runId").GetString(), r.GetProperty("succeeded").GetInt32(), r.GetProperty("messagesCopied").GetInt64())));
        using var rerunCsv = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report?format=csv");
        Assert.Contains($",{import.BatchId}-r2,1,", await rerunCsv.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var close = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/close");
        Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        Assert.Equal(new Uri(host.Http.BaseAddress!, $"/api/imports/{import.BatchId}"), close.Headers.Location);
        Assert.Equal("Closing", (await close.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("closeState").GetString());
        // The close's mark comes before its answer: a re-run is refused at once, before the close has finished.
        using var afterClose = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/rerun");
        Assert.Equal(HttpStatusCode.Conflict, afterClose.StatusCode);
        var closed = await host.WaitForClosedAsync(import.BatchId);
        Assert.True(closed.GetProperty("closed").GetBoolean());
        Assert.Null(await host.Services.GetRequiredService<BatchStorage>().LoadLineSecretsAsync(import.BatchId, 1, CancellationToken.None));
        Assert.True(closed.GetProperty("secretsDeletedAt").GetDateTimeOffset() >= closed.GetProperty("closedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Status_WhileTheRunGoes_ShowsEveryLineOfTheFile_TheInvalidOneIncluded()
    {
        var waiting = servers.Source.AddUser($"wait{Guid.NewGuid():N}"[..15], "Secret-ok1");
        // Another batch holds the destination mailbox, so the good line's run waits: the status is read mid-run.
        await using (var held = await HoldDestinationAsync(waiting.Login))
        {
            using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload($"{waiting.Login} Secret-ok1\nbad_name Secret12\n", Settings()));
            var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

            var status = await PollUntilAsync(import.BatchId, s => s.GetProperty("mailboxes").EnumerateArray().Any(IsWaiting),
                "The good line never showed that it waits for the destination mailbox.");

            Assert.Equal("Running", status.GetProperty("status").GetString());
            Assert.Equal([(1, "Running"), (2, "Invalid")],
                status.GetProperty("mailboxes").EnumerateArray().Select(m => (m.GetProperty("lineNumber").GetInt32(), m.GetProperty("status").GetString())));

            await held.DisposeAsync();
            status = await host.WaitForAsync(import.BatchId);
            Assert.Equal(["Done", "Invalid"], status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        }
    }

    [Fact]
    public async Task Status_FirstPollBeforeTheFileIsRead_ShowsEveryLineOfTheFile()
    {
        // No worker takes the run: it stays where every run is for its first moments, before ingestion writes the manifest.
        await using var idle = await ApiTestHost.StartWithoutWorkerAsync(servers, Key);
        using var started = await idle.SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan.petrov Secret12\nbad_name Secret12\nanna.smirnova Secret34 anna Secret34\n", Settings()));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

        using var answer = await idle.SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}");
        var body = await answer.Content.ReadAsStringAsync();
        var status = JsonDocument.Parse(body).RootElement;

        Assert.Equal("Pending", status.GetProperty("status").GetString());
        Assert.Equal([(1, "Pending", "ivan.petrov"), (2, "Invalid", "bad_name"), (3, "Pending", "anna")],
            status.GetProperty("mailboxes").EnumerateArray().Select(m => (m.GetProperty("lineNumber").GetInt32(), m.GetProperty("status").GetString(), m.GetProperty("destinationUsername").GetString())));
        Assert.Equal("UsernameInvalidCharacter", status.GetProperty("mailboxes")[1].GetProperty("code").GetString());
        Assert.DoesNotContain("Secret", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_MidRun_ShowsTheTotalsCountedBeforeTheFirstChunkAndTheShareDone()
    {
        // Two mailboxes of the same size; the second one's destination is held by another batch, so the run stops
        // half-way: the first copied, the second counted but waiting.
        var first = servers.Source.AddUser($"half{Guid.NewGuid():N}"[..15], "Secret-ok1");
        var second = servers.Source.AddUser($"held{Guid.NewGuid():N}"[..15], "Secret-ok2");
        foreach (var account in new[] { first, second })
        {
            await MailCorpus.SeedAsync(servers.Source, account, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        }

        await using (var held = await HoldDestinationAsync(second.Login))
        {
            using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload($"{first.Login} Secret-ok1\n{second.Login} Secret-ok2\n", Settings()));
            var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

            var status = await PollUntilAsync(import.BatchId,
                s => s.GetProperty("mailboxes") is { } lines && lines.GetArrayLength() == 2 && lines[0].GetProperty("status").GetString() == "Done" && IsWaiting(lines[1]),
                "The run never reached the first mailbox done and the second waiting.");

            var progress = status.GetProperty("progress");
            var plan = progress.GetProperty("plan");
            // Both mailboxes have the same folders (INBOX and those the destination's Dovecot makes of itself).
            var folders = 2 * status.GetProperty("mailboxes")[1].GetProperty("counters").GetProperty("folders").GetInt32();
            Assert.Equal(("Copying", 2, 2, folders, 14L, 14L), (progress.GetProperty("phase").GetString(), plan.GetProperty("mailboxes").GetInt32(), plan.GetProperty("counted").GetInt32(),
                plan.GetProperty("folders").GetInt32(), plan.GetProperty("messages").GetInt64(), plan.GetProperty("messagesToCopy").GetInt64()));
            Assert.Equal(7L, progress.GetProperty("messagesDone").GetInt64());
            // Half the mail is copied, and the share says so, by bytes where the source gives STATUS=SIZE.
            Assert.Equal(50, progress.GetProperty("percent").GetInt32());
            Assert.Equal(7L, status.GetProperty("mailboxes")[1].GetProperty("counters").GetProperty("messagesTotal").GetInt64());

            await held.DisposeAsync();
            status = await host.WaitForAsync(import.BatchId);
            progress = status.GetProperty("progress");
            Assert.Equal(("Ended", 100, 14L), (progress.GetProperty("phase").GetString(), progress.GetProperty("percent").GetInt32(), progress.GetProperty("messagesDone").GetInt64()));
        }
    }

    [Fact]
    public async Task Rerun_AfterOneNewSourceFolder_EachRunCountsTheFoldersItCreated()
    {
        var account = servers.Source.AddUser($"fc{Guid.NewGuid():N}"[..14], "Secret-fc1");
        await MailCorpus.SeedAsync(servers.Source, account, MailCorpus.Standard());
        using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload($"{account.Login} Secret-fc1\n", Settings()));
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var first = await host.WaitForAsync(import.BatchId);
        var destination = new Mail.Connections.MailAccount($"{account.Login}@example.org", new MailImport.Core.Secret("Secret-fc1"));
        // What the destination lists after the run, less what a new Dovecot mailbox has of itself (INBOX and its
        // special-use folders, which the copy fills and never creates): the folders the run made.
        var listed = (await FolderNamesAsync(servers.Destination, destination)).Except(["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]).ToList();
        var made = listed.Count;
        Assert.True(made >= 4, $"the run made {string.Join(", ", listed)}; the corpus has at least four folders that the destination lacks");
        Assert.True(made == first.GetProperty("mailboxes")[0].GetProperty("lastRun").GetProperty("foldersCreated").GetInt32(), string.Join(", ", listed));

        await MailCorpus.SeedAsync(servers.Source, account, new() { ["Later"] = [new SeedMessage(MailCorpus.Message("later folder", "<lf@example.org>"), MessageFlags.None, [], DateTimeOffset.UnixEpoch.AddYears(50))] });
        using var rerun = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/rerun", JsonContent.Create(new { mode = "incremental" }));
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        var second = await host.WaitForAsync(import.BatchId);

        Assert.Equal(1, second.GetProperty("mailboxes")[0].GetProperty("lastRun").GetProperty("foldersCreated").GetInt32());
        Assert.Equal([made, 1], second.GetProperty("runSummaries").EnumerateArray().Select(r => r.GetProperty("foldersCreated").GetInt32()));
        using var report = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report");
        Assert.Equal([made, 1], (await report.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("foldersCreated").GetInt32()));
        using var csv = await SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}/report?format=csv");
        var rows = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", rows[1].Split(',')[Array.IndexOf(rows[0].Split(','), "run_folders_created")]);
    }

    /// <summary>Another batch's hold on the destination mailbox of <paramref name="login"/> at example.org: a run into it
    /// waits until the hold is released (disposing it; releasing twice is harmless).</summary>
    private async Task<IAsyncDisposable> HoldDestinationAsync(string login)
    {
        var holds = host.Services.GetRequiredService<DestinationHolds>();
        var destinationHost = host.Services.GetRequiredService<IOptions<DestinationOptions>>().Value.Endpoint.Host;
        var other = new DestinationHold(Guid.NewGuid().ToString("N"), "other-r1", 1);
        Assert.Null(await holds.TryHoldAsync(destinationHost, $"{login}@example.org", other, TimeSpan.FromMinutes(10), CancellationToken.None));
        return new ForeignHold(() => holds.ReleaseAsync(destinationHost, $"{login}@example.org", other, CancellationToken.None));
    }

    private sealed class ForeignHold(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }

    /// <summary>Reads the batch's status every 100 ms until <paramref name="reached"/> holds of it (two minutes at most).</summary>
    private async Task<JsonElement> PollUntilAsync(string batchId, Func<JsonElement, bool> reached, string never)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, never);
            await Task.Delay(100);
            using var answer = await SendAsync(HttpMethod.Get, $"/api/imports/{batchId}");
            var status = await answer.Content.ReadFromJsonAsync<JsonElement>();
            if (reached(status))
            {
                return status;
            }
        }
    }

    /// <summary>True for a status line that waits for another batch's hold on its destination mailbox.</summary>
    private static bool IsWaiting(JsonElement line) =>
        line.TryGetProperty("message", out var text) && text.GetString()?.StartsWith("Waiting:", StringComparison.Ordinal) == true;

    private static async Task<List<string>> FolderNamesAsync(DovecotServer server, Mail.Connections.MailAccount account)
    {
        using var client = await MailCorpus.Connect(server, account);
        var names = (await client.GetFoldersAsync(client.PersonalNamespaces[0], StatusItems.None, subscribedOnly: false))
            .Where(f => (f.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) == 0).Select(f => f.FullName).ToList();
        await client.DisconnectAsync(true);
        return names;
    }

    [Fact]
    public async Task Close_WhileARunOfManyGroupsGoes_EndsTheRunningGroupsAndStartsNoOther()
    {
        // One mailbox a group, two groups at a time: both running groups wait for a destination mailbox another batch
        // holds, so the close comes while they run and two groups have not started.
        await using var grouped = await ApiTestHost.StartAsync(servers, Key, ("MailImport:Workflow:MailboxesPerGroup", "1"), ("MailImport:Workflow:MaxMailboxesInFlight", "2"));
        var users = Enumerable.Range(0, 4).Select(_ => servers.Source.AddUser($"grp{Guid.NewGuid():N}"[..15], "Secret-ok1")).ToList();
        var holds = grouped.Services.GetRequiredService<DestinationHolds>();
        var destinationHost = grouped.Services.GetRequiredService<IOptions<DestinationOptions>>().Value.Endpoint.Host;
        var other = new DestinationHold(Guid.NewGuid().ToString("N"), "other-r1", 1);
        var held = users.Take(2).Select(u => $"{u.Login}@example.org").ToList();
        foreach (var login in held)
        {
            Assert.Null(await holds.TryHoldAsync(destinationHost, login, other, TimeSpan.FromMinutes(10), CancellationToken.None));
        }

        try
        {
            using var started = await grouped.SendAsync(HttpMethod.Post, "/api/imports", Upload(string.Join('\n', users.Select(u => $"{u.Login} Secret-ok1")), Settings()), Key);
            var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
            var engine = grouped.Services.GetRequiredService<IWorkflowEngine>();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            async Task<int> WaitingAsync()
            {
                using var answer = await grouped.SendAsync(HttpMethod.Get, $"/api/imports/{import.BatchId}", key: Key);
                return (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mailboxes").EnumerateArray()
                    .Count(m => m.TryGetProperty("message", out var text) && text.GetString()?.StartsWith("Waiting:", StringComparison.Ordinal) == true);
            }

            while (await WaitingAsync() < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "The first two groups' mailboxes never showed that they wait.");
                await Task.Delay(100);
            }

            using var close = await grouped.SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/close", key: Key);
            Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
            await grouped.WaitForClosedAsync(import.BatchId);

            // Ending the run's orchestration does not end its sub-orchestrations: the close ends the groups itself.
            foreach (var group in new[] { 0, 1 })
            {
                Assert.Equal(WorkflowRuntimeStatus.Terminated, (await engine.GetStateAsync(ImportBatchOrchestration.GroupInstanceId(import.RunId, group), CancellationToken.None))?.Status);
            }

            foreach (var group in new[] { 2, 3 })
            {
                Assert.Null(await engine.GetStateAsync(ImportBatchOrchestration.GroupInstanceId(import.RunId, group), CancellationToken.None));
            }
        }
        finally
        {
            foreach (var login in held)
            {
                await holds.ReleaseAsync(destinationHost, login, other, CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task Import_FixTheFileAndRerun_EverythingDoneAndNothingCopiedTwice()
    {
        // The admin's everyday case: one good mailbox, one with a wrong source password, one whose username breaks the rules.
        var good = servers.Source.AddUser($"fix{Guid.NewGuid():N}"[..15], "Secret-ok1");
        var wrong = servers.Source.AddUser($"pw{Guid.NewGuid():N}"[..14], "Secret-ok2");
        var renamed = servers.Source.AddUser($"re_{Guid.NewGuid():N}"[..15], "Secret-ok3");
        foreach (var account in new[] { good, wrong, renamed })
        {
            await MailCorpus.SeedAsync(servers.Source, account, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        }

        using var started = await SendAsync(HttpMethod.Post, "/api/imports",
            Upload($"{good.Login} Secret-ok1\n{wrong.Login} Wrong-pw9\n{renamed.Login} Secret-ok3\n", Settings()));
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var first = await host.WaitForAsync(import.BatchId);
        Assert.Equal([("Done", null), ("Failed", "SourceAuthFailed"), ("Invalid", "UsernameInvalidCharacter")],
            first.GetProperty("mailboxes").EnumerateArray().Select(m => (m.GetProperty("status").GetString(), m.TryGetProperty("code", out var c) ? c.GetString() : null)));

        // The admin fixes the two lines (right password; a new username in the four-field form) and re-runs.
        var fixedUsername = renamed.Login.Replace("_", "-", StringComparison.Ordinal);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes($"{renamed.Login} Secret-ok3 {fixedUsername} Secret-ok3\n{wrong.Login} Secret-ok2\n")), "file", "fixed.txt" },
        };
        using var rerun = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/rerun", form);
        Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        // The answer counts the batch as the corrected file leaves it: three mailboxes, no invalid line.
        var rerunStarted = (await rerun.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        Assert.Equal((3, 0), (rerunStarted.Mailboxes, rerunStarted.InvalidLines));
        var second = await host.WaitForAsync(import.BatchId);

        Assert.Equal(["Done", "Done", "Done"], second.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        Assert.Equal([1, 2, 3], second.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("lineNumber").GetInt32()));
        foreach (var (account, username, password) in new[] { (good, good.Login, "Secret-ok1"), (wrong, wrong.Login, "Secret-ok2"), (renamed, fixedUsername, "Secret-ok3") })
        {
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                await MailCorpus.SnapshotAsync(servers.Destination, new Mail.Connections.MailAccount($"{username}@example.org", new MailImport.Core.Secret(password))));
        }
    }

    [Fact]
    public async Task Schedule_TurnedOnChangedAndOff_StatusShowsItAndBadOnesAreRefused()
    {
        using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", Settings()));
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var path = $"/api/imports/{import.BatchId}/schedule";

        using var on = await SendAsync(HttpMethod.Post, path, JsonContent.Create(new { schedule = "default" }));
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        Assert.Equal(new ScheduleChanged(import.BatchId, new WorkflowOptions().DefaultSchedule), await on.Content.ReadFromJsonAsync<ScheduleChanged>(JsonSerializerOptions.Web));
        using var changed = await SendAsync(HttpMethod.Post, path, JsonContent.Create(new { schedule = "30 4 * * 1" }));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("30 4 * * 1", (await host.WaitForAsync(import.BatchId)).GetProperty("schedule").GetString());

        using var bad = await SendAsync(HttpMethod.Post, path, JsonContent.Create(new { schedule = "every day" }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = Assert.Single((await bad.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("schedule", "SettingsInvalidSchedule"), (problem.Field, problem.Code));
        using var shapeless = await SendAsync(HttpMethod.Post, path, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, shapeless.StatusCode);

        using var off = await SendAsync(HttpMethod.Post, path, new StringContent("{\"schedule\": null}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        Assert.False((await host.WaitForAsync(import.BatchId)).TryGetProperty("schedule", out _));

        using var unknown = await SendAsync(HttpMethod.Post, $"/api/imports/{Guid.NewGuid():N}/schedule", JsonContent.Create(new { schedule = "default" }));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var close = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/close");
        Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        using var afterClose = await SendAsync(HttpMethod.Post, path, JsonContent.Create(new { schedule = "default" }));
        Assert.Equal(HttpStatusCode.Conflict, afterClose.StatusCode);
    }

    [Fact]
    public async Task Status_SaysWhenTheBatchClosesForIdleness_ThenWhenItWasClosed()
    {
        // No such user at the source: the run ends at once with its one mailbox failed.
        using var started = await SendAsync(HttpMethod.Post, "/api/imports", Upload("ivan Secret12", Settings()));
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var status = await host.WaitForAsync(import.BatchId);
        var run = status.GetProperty("runs")[0];
        var runStarted = run.GetProperty("startedAt").GetDateTimeOffset();
        var idle = new WorkflowOptions().BatchIdleClose;

        Assert.Equal(runStarted + idle, status.GetProperty("closesAt").GetDateTimeOffset());
        Assert.False(status.TryGetProperty("closedAt", out _));
        // The run's record says how it ended: what decides whether a scheduled run keeps the batch open.
        Assert.Equal(0, run.GetProperty("mailboxesSucceeded").GetInt32());
        Assert.True(run.GetProperty("endedAt").GetDateTimeOffset() >= runStarted);

        // With a schedule, its next occurrence counts as a run.
        using var on = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/schedule", JsonContent.Create(new { schedule = "0 3 * * *" }));
        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        var next = new DateTimeOffset(runStarted.UtcDateTime.Date.AddHours(3), TimeSpan.Zero);
        next = next > runStarted ? next : next.AddDays(1);
        Assert.Equal(next + idle, (await host.WaitForAsync(import.BatchId)).GetProperty("closesAt").GetDateTimeOffset());

        var before = DateTimeOffset.UtcNow;
        using var close = await SendAsync(HttpMethod.Post, $"/api/imports/{import.BatchId}/close");
        Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        status = await host.WaitForClosedAsync(import.BatchId);
        Assert.False(status.TryGetProperty("closesAt", out _));
        Assert.InRange(status.GetProperty("closedAt").GetDateTimeOffset(), before, DateTimeOffset.UtcNow);
        Assert.Equal("Requested", status.GetProperty("closedFor").GetString());
        Assert.True(status.GetProperty("secretsDeletedAt").GetDateTimeOffset() >= status.GetProperty("closedAt").GetDateTimeOffset());
    }
}
