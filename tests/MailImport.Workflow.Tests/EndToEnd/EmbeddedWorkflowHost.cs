using System.Text;
using Azure.Storage.Blobs;
using DurableTask.Core;
using MailImport.Infrastructure.Storage;
using MailImport.Local.Engine;
using MailImport.Testing;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>The workflow's real orchestrations and activities on the embedded engine in memory, with the services
/// both hosts register, configured by <paramref name="settings"/> (and <paramref name="before"/>, services registered
/// ahead of the workflow's); every log line is captured at Trace.</summary>
public sealed class EmbeddedWorkflowHost(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
{
    private TaskHubWorker? worker;
    private TaskHubClient? client;

    /// <summary>The host's services, once started.</summary>
    public ServiceProvider Services { get; private set; } = null!;

    /// <summary>The captured log lines.</summary>
    public CapturingLoggerProvider Logs => Services.GetRequiredService<CapturingLoggerProvider>();

    /// <summary>The services both hosts register, configured by <paramref name="settings"/>, every log line captured
    /// at Trace, the storage containers created: for tests that call the activity classes themselves.</summary>
    public static async Task<ServiceProvider> BuildServicesAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var collection = new ServiceCollection();
        before?.Invoke(collection);
        var services = collection
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddSingleton<CapturingLoggerProvider>()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).Services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<CapturingLoggerProvider>()))
            .AddMailImportWorkflow()
            .BuildServiceProvider();
        await services.GetRequiredService<BatchStorage>().EnsureContainersAsync(CancellationToken.None);
        return services;
    }

    /// <summary>Builds the services and starts the worker.</summary>
    public async Task StartAsync()
    {
        Services = await BuildServicesAsync(settings, collection =>
        {
            before?.Invoke(collection);
            // The activities that reach the engine (a group's purge of its mailboxes, a close's stop) reach this host's,
            // as the local host's do; the engine is there by the time the first activity runs.
            collection.AddSingleton(_ => Engine).AddMailImportApi();
        });

        var loggers = Services.GetRequiredService<ILoggerFactory>();
        var engine = new InMemoryOrchestrationService(loggers);
        worker = await EmbeddedEngine.StartWorkerAsync(engine, new DurableTaskRegistry().AddMailImportWorkflow(), Services, loggers);
        client = EmbeddedEngine.CreateClient(engine, loggers);
    }

    /// <summary>The engine as the HTTP API reads it (states and custom statuses), once started.</summary>
    public IWorkflowEngine Engine => new TaskHubClientEngine(client!);

    /// <summary>Runs one batch run to its end; fails the test unless it completes.</summary>
    public async Task RunAsync(Core.Batches.BatchRunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await Engine.StartAsync(WorkflowNames.ImportBatch, input, input.RunId, CancellationToken.None);
        await WaitAsync(input.RunId);
    }

    /// <summary>Waits for a run started through <see cref="Engine"/>; fails the test unless it completes.</summary>
    public async Task WaitAsync(string runId)
    {
        var state = await client!.WaitForOrchestrationAsync(new OrchestrationInstance { InstanceId = runId }, TimeSpan.FromMinutes(3));
        Assert.True(state?.OrchestrationStatus == OrchestrationStatus.Completed, $"{state?.OrchestrationStatus}: {state?.Output}");
    }

    /// <summary>The canary must be nowhere: not in a blob of the batch (the secret blobs are encrypted), not in any
    /// orchestration's input, custom status or output, not in any log line at any level.</summary>
    public async Task AssertNowhereAsync(string canary, string batchId, string blobConnectionString, IEnumerable<string> instances)
    {
        var places = new List<(string Where, string Text)>();
        var blobs = new BlobServiceClient(blobConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            var containerClient = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in containerClient.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                if (!blob.Name.Contains(batchId, StringComparison.Ordinal))
                {
                    continue;
                }

                var content = (await containerClient.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                places.Add(($"blob {container.Name}/{blob.Name}", Encoding.UTF8.GetString(content) + string.Join(",", blob.Metadata)));
            }
        }

        Assert.Contains(places, p => p.Where.Contains("mailimport-secrets", StringComparison.Ordinal));
        foreach (var instance in instances)
        {
            var state = await client!.GetOrchestrationStateAsync(instance);
            if (state is not null)
            {
                // The in-memory service keeps no readable history; activity payloads are covered structurally instead:
                // a Secret refuses to be serialised, so no activity input or output can carry one.
                places.Add(($"state {instance}", $"{state.Input} {state.Output} {state.Status}"));
            }
        }

        places.AddRange(Logs.Lines.Select(l => ("log", l)));
        Assert.True(places.Count > 20, $"only {places.Count} places scanned");
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(canary));
        var leaks = places.Where(p => p.Text.Contains(canary, StringComparison.OrdinalIgnoreCase) || p.Text.Contains(base64[..8], StringComparison.Ordinal)).Select(p => p.Where).ToList();
        Assert.True(leaks.Count == 0, "canary found in: " + string.Join(", ", leaks));
    }

    /// <summary>Stops the worker and disposes the services.</summary>
    public async Task StopAsync()
    {
        if (worker is not null)
        {
            await worker.StopAsync(isForced: true);
        }

        if (Services is not null)
        {
            await Services.DisposeAsync();
        }
    }
}
