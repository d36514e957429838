using DurableTask.Core;
using MailImport.Infrastructure.Settings;
using MailImport.Local.Engine;
using MailImport.Workflow;
using MailImport.Workflow.Hosting;
using Microsoft.DurableTask;
using Microsoft.Extensions.Options;
using DurableAzureStorage = DurableTask.AzureStorage;

namespace MailImport.Local;

/// <summary>Runs the embedded Durable engine for the lifetime of the host, on Azure Storage (Azurite locally).</summary>
/// <remarks>
/// Polling at most every 0.5 s keeps an idle local engine responsive (the default backs off to 30 s), and a 30 s
/// visibility timeout brings a killed host's work back in half a minute instead of five (measured here: 300 s with
/// the defaults, 20 s with 20 s). The worker id (<see cref="LocalEngineOptions.WorkerId"/>) stays the same across
/// restarts, so the restarted host takes its partitions back at once instead of waiting for the old leases to expire;
/// hosts that share one task hub each have their own, and share its partitions as Durable Functions' instances do.
/// Extended sessions keep an orchestration in memory between its episodes, so a step's result that comes back within
/// the idle timeout is played on it without reading its history again (Learn, "Performance and scale in Durable
/// Functions", https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-perf-and-scale#extended-sessions;
/// measured with scripts/bench scale at 300 mailboxes: 188 ms a mailbox without, 144 with). A partition another host takes
/// over moves once its sessions end, so the idle timeout is 2 s, not the default 30 s: with 30 s a second host sharing
/// a small batch got its partitions only after the batch had ended.
/// </remarks>
public sealed class LocalEngine(IServiceProvider services, IOptions<PlatformOptions> platform, IOptions<LocalEngineOptions> local, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private readonly DurableAzureStorage.AzureStorageOrchestrationService service = new(new DurableAzureStorage.AzureStorageOrchestrationServiceSettings
    {
        TaskHubName = platform.Value.TaskHub,
        StorageAccountClientProvider = new DurableAzureStorage.StorageAccountClientProvider(TaskHubStorage(platform.Value)),
        LoggerFactory = loggers,
        MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
        ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(platform.Value.VisibilitySeconds),
        WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(platform.Value.VisibilitySeconds),
        WorkerId = local.Value.WorkerId,
        ExtendedSessionsEnabled = true,
        ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(2),
    });

    private TaskHubWorker? worker;

    /// <summary>Where the task hub lives: MailImport:TaskHubConnectionString, else the batches' own storage.</summary>
    /// <remarks>Apart, a status call's reads of the batch (its progress documents, manifest and report) do not queue
    /// behind the engine's queue polls and history queries, and each Azurite, one Node.js thread, has a core of its own:
    /// scripts/bench scale at 2,000 mailboxes went from 129 ms a mailbox and status p95 507 ms on one Azurite to 100 ms
    /// and 171 ms on two.</remarks>
    internal static string TaskHubStorage(PlatformOptions platform) =>
        !string.IsNullOrEmpty(platform.TaskHubConnectionString) ? platform.TaskHubConnectionString
        : platform.StorageConnectionString ?? throw new InvalidOperationException("The local host needs MailImport:StorageConnectionString (Azurite).");

    /// <summary>The engine the HTTP API talks to.</summary>
    public IWorkflowEngine Engine => new TaskHubClientEngine(EmbeddedEngine.CreateClient(service, loggers));

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await service.CreateIfNotExistsAsync();
        worker = await EmbeddedEngine.StartWorkerAsync(service, new DurableTaskRegistry().AddMailImportWorkflow(), services, loggers);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (worker is not null)
        {
            await worker.StopAsync(isForced: true);
            worker = null;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);
}
