using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace MailImport.Local.Tests;

/// <summary>The local host's traces: one upload, one trace, from the HTTP call through both orchestrations (across
/// ContinueAsNew) to every chunk of the mailbox, on the embedded engine over Azure Storage (Azurite).</summary>
public sealed class LocalTelemetryTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Key = "telemetry-test-key";
    private const string Password = "Telemetry9x";

    [Fact]
    public async Task Import_OnAzurite_HttpCallOrchestrationsAndEveryChunkShareOneTrace()
    {
        var mailbox = servers.Source.AddUser($"tel{Guid.NewGuid():N}"[..15], Password);
        await MailCorpus.SeedAsync(servers.Source, mailbox, MailCorpus.Standard());
        // 14 messages, 4 a chunk, 2 chunks a generation: several chunks, and the mailbox orchestration continues as new.
        await using var app = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "TelemetryTest" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", Key),
            ("MailImport:Workflow:ChunkMessages", "4"),
            ("MailImport:Workflow:ChunksPerGeneration", "2"),
            ("Logging:LogLevel:Default", "Warning"))));
        var spans = new List<Activity>();
        // The host's own tracer provider (its sources and instrumentation), with an in-memory exporter added.
        app.Services.GetRequiredService<TracerProvider>().AddProcessor(new SimpleActivityExportProcessor(new InMemoryExporter<Activity>(spans)));
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);

        using var started = await http.PostAsJsonAsync("/api/imports", new
        {
            domain = WorkflowSettings.Domain,
            source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
            entries = new[] { new { login = mailbox.Login, password = Password } },
        });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var status = "";
        for (var attempt = 0; attempt < 600 && status is not ("Completed" or "Failed" or "Terminated"); attempt++)
        {
            await Task.Delay(250);
            status = (await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.BatchId}")).GetProperty("status").GetString();
        }

        Assert.Equal("Completed", status);
        await app.StopAsync();
        Activity[] finished;
        lock (spans)
        {
            finished = [.. spans];
        }

        // Listeners are process-wide, so other tests' hosts show up too: the upload is the POST whose child scheduled this run.
        var upload = Assert.Single(finished, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server
            && s.GetTagItem("http.request.method") as string == "POST" && s.GetTagItem("url.path") as string == "/api/imports"
            && finished.Any(c => c.ParentSpanId == s.SpanId && c.Kind == ActivityKind.Producer && c.GetTagItem("durabletask.task.instance_id") as string == import.RunId));
        var line = ImportBatchOrchestration.MailboxInstanceId(import.RunId, 1);
        var orchestrations = finished.Where(s => s.Source.Name == LocalTelemetry.DurableTaskCoreSource && s.Kind == ActivityKind.Server
            && s.GetTagItem("durabletask.type") as string == "orchestration"
            && s.GetTagItem("durabletask.task.instance_id") as string is { } id && (id == import.RunId || id == line)).ToList();
        var chunks = finished.Where(s => s.Source.Name == MailImportTelemetry.SourceName && s.DisplayName == WorkflowNames.CopyChunk
            && s.GetTagItem(MailImportTelemetry.BatchIdTag) as string == import.BatchId).ToList();
        var engineChunks = finished.Where(s => s.Source.Name == LocalTelemetry.DurableTaskCoreSource && s.Kind == ActivityKind.Server
            && s.GetTagItem("durabletask.type") as string == "activity"
            && s.GetTagItem("durabletask.task.name") as string == WorkflowNames.CopyChunk && s.GetTagItem("durabletask.task.instance_id") as string == line).ToList();

        Assert.Contains(orchestrations, s => s.DisplayName.Contains(WorkflowNames.ImportBatch, StringComparison.Ordinal));
        Assert.Contains(orchestrations, s => s.DisplayName.Contains(WorkflowNames.ImportMailbox, StringComparison.Ordinal));
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunk spans for 14 messages at 4 a chunk");
        Assert.Equal(engineChunks.Count, chunks.Count);
        Assert.All(orchestrations, s => Assert.Equal(upload.TraceId, s.TraceId));
        Assert.All(chunks, s =>
        {
            Assert.Equal(upload.TraceId, s.TraceId);
            Assert.Equal(import.RunId, s.GetTagItem(MailImportTelemetry.RunIdTag));
            Assert.Equal(1, s.GetTagItem(MailImportTelemetry.LineTag));
            // Started inside the activity method: a child of the engine's activity span, not a sibling of it.
            Assert.Contains(engineChunks, e => e.SpanId == s.ParentSpanId);
        });
    }
}
