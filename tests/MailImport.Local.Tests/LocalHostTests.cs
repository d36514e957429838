using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MailImport.Core;
using MailImport.Local;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.Local.Tests;

/// <summary>Servers of their own for the local host's tests: Dovecot source and destination, and Azurite.</summary>
public sealed class LocalServersFixture() : ServerSet("mi-local", 29000)
{
    private readonly Lazy<AzuriteServer> taskHubStorage = new(() => AzuriteServer.Start("mi-local-hub", 31010));

    /// <summary>A second Azurite, for a task hub kept apart from the batches (MailImport:TaskHubConnectionString).</summary>
    public AzuriteServer TaskHubStorage => taskHubStorage.Value;
}

/// <summary>The local host as a person runs it: Kestrel on 127.0.0.1, the engine on Azure Storage (Azurite).</summary>
public sealed class LocalHostTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Key = "local-test-key";
    private const string Canary = "CanaryLocal9";

    private WebApplication Build(string taskHub, AzuriteServer? taskHubStorage) => LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite,
        ("MailImport:Local:Urls", "http://127.0.0.1:0"),
        ("MailImport:TaskHub", taskHub),
        ("MailImport:TaskHubConnectionString", taskHubStorage?.ConnectionString),
        ("MailImport:Api:Key", Key),
        ("Logging:LogLevel:Default", "Warning"))));

    [Fact]
    public void StartedLine_ConfiguredKey_IsNotPrinted_AMadeUpOneIs()
    {
        var configured = LocalHost.StartedLine(["http://127.0.0.1:7071"], Key, generatedKey: false);
        var madeUp = LocalHost.StartedLine(["http://127.0.0.1:7071"], "0123abcd", generatedKey: true);

        // scripts/local-host configures the key and sends the console to its log file.
        Assert.DoesNotContain(Key, configured, StringComparison.Ordinal);
        Assert.Contains("MailImport__Api__Key", configured, StringComparison.Ordinal);
        Assert.EndsWith(": 0123abcd", madeUp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyInTheQuery_IsInNoLogLine_EvenWithEveryCategoryAtTrace()
    {
        await using var app = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "LocalKeyLog" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", Key),
            ("Logging:LogLevel:Default", "Trace"),
            ("Logging:LogLevel:" + LocalTelemetry.HostingDiagnosticsCategory, "Trace"))));
        var logs = new CapturingLoggerProvider();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        using var answer = await http.GetAsync($"/api/imports/{Guid.NewGuid():N}?code={Key}");
        await app.StopAsync();

        // The key was taken (the batch is unknown, not the caller), and lines were written at Trace, none with the key.
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Contains(logs.Entries, l => l.Level == LogLevel.Trace);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_WhileTheRunReadsALargeFile_ShowsEveryLineOfIt()
    {
        // 3,000 lines take the run's first activity seconds to seal, while DurableTask.AzureStorage already reports the
        // run as Running with the JSON null as its custom status: every poll until the run sets its progress must show
        // the file's lines, as the upload gives them.
        await using var app = Build("LocalTest" + Guid.NewGuid().ToString("N")[..8], null);
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);
        var file = new StringBuilder();
        for (var line = 1; line <= 3000; line++)
        {
            file.Append(System.Globalization.CultureInfo.InvariantCulture, $"big{line:D5} Secret-{line:D5}\n");
        }

        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(file.ToString())), "file", "list.txt" },
            { new StringContent(JsonSerializer.Serialize(new { domain = "example.org", source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 }, options = new { dryRun = true } })), "settings" },
        };
        using var started = await http.PostAsync("/api/imports", form);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

        var engine = app.Services.GetRequiredService<MailImport.Workflow.Hosting.IWorkflowEngine>();
        var polls = new List<string>();
        var sawTheRunGo = false;
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var state = await engine.GetStateAsync(import.RunId, CancellationToken.None);
            var status = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.BatchId}?limit=1");
            polls.Add($"{status.GetProperty("status").GetString()} ({state?.CustomStatus ?? "no custom status"}): {status.GetProperty("page").GetProperty("matched").GetInt32()} lines");
            Assert.True(status.GetProperty("page").GetProperty("matched").GetInt32() == 3000, string.Join("\n", polls));
            sawTheRunGo |= state?.Status == MailImport.Workflow.Hosting.WorkflowRuntimeStatus.Running;
            if (status.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(sawTheRunGo, "The run never showed as Running before it set its progress:\n" + string.Join("\n", polls));
        await app.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Import_OnAzurite_CompletesAndLeavesNoPasswordInStorage(bool taskHubApart)
    {
        var good = servers.Source.AddUser($"loc{Guid.NewGuid():N}"[..15], Canary);
        await MailCorpus.SeedAsync(servers.Source, good, MailCorpus.Standard());
        var taskHub = "LocalTest" + Guid.NewGuid().ToString("N")[..8];
        var hubStorage = taskHubApart ? servers.TaskHubStorage : servers.Azurite;
        await using var app = Build(taskHub, taskHubApart ? hubStorage : null);
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);
        Assert.StartsWith("http://127.0.0.1:", http.BaseAddress!.ToString(), StringComparison.Ordinal);

        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes($"{good.Login} {Canary}\nbad_name \"{Canary} x\"\n")), "file", "list.txt" },
            { new StringContent(JsonSerializer.Serialize(new { domain = "example.org", source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 } })), "settings" },
        };
        using var started = await http.PostAsync("/api/imports", form);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

        JsonElement status = default;
        for (var attempt = 0; attempt < 600 && status.ValueKind == JsonValueKind.Undefined; attempt++)
        {
            var current = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.BatchId}");
            if (current.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                status = current;
            }
            else
            {
                await Task.Delay(250);
            }
        }

        Assert.Equal("Completed", status.GetProperty("status").GetString());
        Assert.Equal(["Done", "Invalid"], status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good),
            await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{good.Login}@example.org", new Secret(Canary))));
        await app.StopAsync();

        await AssertNoCanaryInAzuriteAsync(taskHub, import.BatchId, hubStorage);
        if (taskHubApart)
        {
            // The hub is all in its own storage, and the batch all in the batches'.
            Assert.False(await HasTablesAsync(servers.Azurite, taskHub));
            Assert.False(await new BlobServiceClient(hubStorage.ConnectionString).GetBlobContainerClient(MailImport.Infrastructure.Storage.BatchStorage.BatchesContainer).ExistsAsync());
        }
    }

    private static async Task<bool> HasTablesAsync(AzuriteServer azurite, string taskHub)
    {
        await foreach (var table in new TableServiceClient(azurite.ConnectionString).QueryAsync(t => t.Name.CompareTo(taskHub) >= 0))
        {
            if (table.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every blob of the batch, every queue message and every table row of the task hub (orchestration history
    /// and instances included), in the batches' storage and the hub's. Azurite keeps earlier runs' data, so the scan is
    /// limited to this run's.</summary>
    private async Task AssertNoCanaryInAzuriteAsync(string taskHub, string batchId, AzuriteServer hubStorage)
    {
        var texts = new List<(string Where, string Text)>();
        foreach (var storage in new[] { servers.Azurite, hubStorage }.Distinct())
        {
            var blobs = new BlobServiceClient(storage.ConnectionString);
            await foreach (var container in blobs.GetBlobContainersAsync())
            {
                var client = blobs.GetBlobContainerClient(container.Name);
                await foreach (var blob in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
                {
                    if (!blob.Name.Contains(batchId, StringComparison.Ordinal) && !container.Name.Contains(batchId, StringComparison.Ordinal)
                        && !container.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    texts.Add(($"blob {container.Name}/{blob.Name}", Encoding.UTF8.GetString((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray())));
                }
            }
        }

        var queues = new QueueServiceClient(hubStorage.ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync(prefix: taskHub.ToLowerInvariant()))
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                texts.Add(($"queue {queue.Name}", message.Body.ToString()));
            }
        }

        var tables = new TableServiceClient(hubStorage.ConnectionString);
        var rows = 0;
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(taskHub) >= 0))
        {
            if (!table.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                rows++;
                texts.Add(($"table {table.Name}", string.Join(" ", entity.Select(p => $"{p.Key}={p.Value}"))));
            }
        }

        Assert.True(rows > 10, $"only {rows} table rows: is {taskHub}'s history where it should be?");
        Assert.Contains(texts, t => t.Where.StartsWith($"table {taskHub}History", StringComparison.OrdinalIgnoreCase));
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(Canary))[..8];
        var leaks = texts.Where(t => t.Text.Contains(Canary, StringComparison.OrdinalIgnoreCase) || t.Text.Contains(base64, StringComparison.Ordinal)).Select(t => t.Where).Distinct().ToList();
        Assert.True(leaks.Count == 0, "canary found in: " + string.Join(", ", leaks));
    }
}
