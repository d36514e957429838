using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DurableTask.Core;
using MailImport.Infrastructure.Storage;
using MailImport.Local.Engine;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The HTTP API on Kestrel (127.0.0.1) with the real workflow on the embedded engine in memory, over the
/// given servers' Azurite and Dovecot; every log line at every level is kept in <see cref="Logs"/>.</summary>
internal sealed class ApiTestHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly TaskHubWorker? worker;
    private readonly string key;

    private ApiTestHost(WebApplication app, TaskHubWorker? worker, CapturingLoggerProvider logs, string key)
    {
        this.app = app;
        this.worker = worker;
        this.key = key;
        Logs = logs;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
    }

    public HttpClient Http { get; }

    public IServiceProvider Services => app.Services;

    public CapturingLoggerProvider Logs { get; }

    /// <summary>How many instance lookups (<see cref="IWorkflowEngine.GetStateAsync"/>) the host's handlers have made.</summary>
    public int EngineLookups => Services.GetRequiredService<CountingEngine>().Lookups;

    public static Task<ApiTestHost> StartAsync(ServerSet servers, string key, params (string Key, string? Value)[] extra) =>
        StartAsync(servers, key, runWorkflows: true, null, extra);

    /// <summary>The host with <paramref name="before"/>'s services registered ahead of the workflow's (a handler for a
    /// stand-in's certificate, say).</summary>
    public static Task<ApiTestHost> StartAsync(ServerSet servers, string key, Action<IServiceCollection>? before, params (string Key, string? Value)[] extra) =>
        StartAsync(servers, key, runWorkflows: true, before, extra);

    /// <summary>The API alone: runs are scheduled but no worker takes them, so each stays Pending, before its first
    /// activity, for as long as the test looks.</summary>
    public static Task<ApiTestHost> StartWithoutWorkerAsync(ServerSet servers, string key) => StartAsync(servers, key, runWorkflows: false, null, []);

    private static async Task<ApiTestHost> StartAsync(ServerSet servers, string key, bool runWorkflows, Action<IServiceCollection>? before, (string Key, string? Value)[] extra)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite, [("MailImport:Api:Key", key), .. extra]));
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var engine = new InMemoryOrchestrationService(loggers);
        var client = EmbeddedEngine.CreateClient(engine, loggers);
        before?.Invoke(builder.Services);
        var counting = new CountingEngine(new TaskHubClientEngine(client));
        builder.Services.AddMailImportWorkflow().AddMailImportApi().AddSingleton<IWorkflowEngine>(counting).AddSingleton(counting);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapImportApi();
        await app.Services.GetRequiredService<BatchStorage>().EnsureContainersAsync(CancellationToken.None);
        var worker = runWorkflows
            ? await EmbeddedEngine.StartWorkerAsync(engine, new DurableTaskRegistry().AddMailImportWorkflow(), app.Services, app.Services.GetRequiredService<ILoggerFactory>())
            : null;
        await app.StartAsync();
        return new ApiTestHost(app, worker, logs, key);
    }

    /// <summary>The ids of every batch in the host's storage: a refusal must leave them as they were.</summary>
    public async Task<List<string>> BatchIdsAsync()
    {
        var ids = new List<string>();
        await foreach (var id in app.Services.GetRequiredService<BatchStorage>().ListBatchIdsAsync(CancellationToken.None))
        {
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>Sends with the host's key, another key, or (null) none.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? key = "")
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key.Length == 0 ? this.key : key);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>Polls the batch's status until its latest run ends and asserts that it completed. <paramref name="send"/>
    /// defaults to <see cref="SendAsync"/>; a test that keeps every answer passes its own.</summary>
    public async Task<JsonElement> WaitForAsync(string batchId, Func<HttpMethod, string, HttpContent?, Task<HttpResponseMessage>>? send = null)
    {
        send ??= (method, path, content) => SendAsync(method, path, content);
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var response = await send(HttpMethod.Get, $"/api/imports/{batchId}", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var status = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                Assert.Equal("Completed", status.GetProperty("status").GetString());
                return status;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The import did not finish in two minutes.");
    }

    /// <summary>Polls the batch's status until its close has ended the run and deleted the secrets (closeState Closed);
    /// two minutes at most.</summary>
    public async Task<JsonElement> WaitForClosedAsync(string batchId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        JsonElement status = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/api/imports/{batchId}");
            status = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (status.TryGetProperty("closeState", out var state) && state.GetString() == "Closed")
            {
                return status;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The close did not finish in two minutes; last status: {status}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        if (worker is not null)
        {
            await worker.StopAsync(isForced: true);
        }

        await app.DisposeAsync();
    }
}

/// <summary>The engine as the handlers reach it, counting their instance lookups: the status's cost in lookups must
/// not grow with the batch's lines.</summary>
internal sealed class CountingEngine(IWorkflowEngine inner) : IWorkflowEngine
{
    private int lookups;

    public int Lookups => Volatile.Read(ref lookups);

    public Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken) =>
        inner.StartAsync(orchestration, input, instanceId, cancellationToken);

    public Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref lookups);
        return inner.GetStateAsync(instanceId, cancellationToken);
    }

    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        inner.TerminateAsync(instanceId, reason, cancellationToken);

    public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) => inner.PurgeAsync(instanceId, cancellationToken);
}
