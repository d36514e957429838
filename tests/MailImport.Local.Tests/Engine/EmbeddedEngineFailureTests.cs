using DurableTask.AzureStorage;
using DurableTask.Core;
using MailImport.Core.Errors;
using MailImport.Local.Engine;
using MailImport.Mail.Errors;
using MailImport.Testing;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Local.Tests.Engine;

/// <summary>On the embedded engine (DurableTask.Core's TaskHubWorker through the durabletask-dotnet shims) an activity's
/// classified failure reaches the orchestration with its properties: in memory, and on Azure Storage (Azurite), where
/// history is written to tables and read back, as the local host runs.</summary>
public class EmbeddedEngineFailureTests
{
    public static TheoryData<string> Services => ["memory", "azurite"];

    private const string Orchestration = "ReadFailure";
    private const string Activity = "Fail";

    [Theory]
    [MemberData(nameof(Services))]
    public async Task ActivityThrowsTransientFailure_OrchestrationReadsItsCodeAndHint(string service)
    {
        var throttled = MailFailure.Transient(ErrorCode.SourceThrottled, "Too many simultaneous connections.", TimeSpan.FromSeconds(42));

        var seen = await RunAsync(service, new MailFailureException(throttled));

        Assert.Equal(typeof(MailFailureException).FullName, seen.ErrorType);
        Assert.Equal(throttled.Message, seen.ErrorMessage);
        Assert.Equal(throttled, seen.Failure);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task ActivityThrowsBug_OrchestrationSeesNoRetry(string service)
    {
        var seen = await RunAsync(service, new InvalidOperationException("Batch b1 has no record."));

        Assert.Equal(typeof(InvalidOperationException).FullName, seen.ErrorType);
        Assert.Equal("Batch b1 has no record.", seen.ErrorMessage);
        Assert.Null(seen.Failure);
    }

    private static async Task<SeenFailure> RunAsync(string serviceName, Exception thrown)
    {
        var registry = new DurableTaskRegistry();
        registry.AddActivityFunc<string, string>(Activity, (_, _) => Task.FromException<string>(thrown));
        registry.AddOrchestratorFunc<string, SeenFailure>(Orchestration, async (context, _) =>
        {
            try
            {
                await context.CallActivityAsync<string>(Activity, "input");
                throw new InvalidOperationException("the activity did not fail");
            }
            catch (TaskFailedException e)
            {
                return new SeenFailure(e.FailureDetails.ErrorType, e.FailureDetails.ErrorMessage,
                    FailureBoundary.TryGetRetry(e.FailureDetails, out var failure) ? failure : null);
            }
        });

        var (service, client) = serviceName == "memory" ? InMemory() : await OnAzuriteAsync();
        var worker = await EmbeddedEngine.StartWorkerAsync(service, registry, new ServiceCollection().BuildServiceProvider(), NullLoggerFactory.Instance);
        try
        {
            var instance = await client.CreateOrchestrationInstanceAsync(Orchestration, string.Empty, Guid.NewGuid().ToString("N"), "input");
            var state = await client.WaitForOrchestrationAsync(instance, TimeSpan.FromMinutes(1));
            Assert.NotNull(state);
            Assert.True(state.OrchestrationStatus == OrchestrationStatus.Completed, $"{state.OrchestrationStatus}: {state.Output}");
            return System.Text.Json.JsonSerializer.Deserialize<SeenFailure>(state.Output, System.Text.Json.JsonSerializerOptions.Web)!;
        }
        finally
        {
            await worker.StopAsync(isForced: true);
            await service.DeleteAsync();
        }
    }

    private static (IOrchestrationService, TaskHubClient) InMemory()
    {
        var service = new InMemoryOrchestrationService(NullLoggerFactory.Instance);
        return (service, EmbeddedEngine.CreateClient(service, NullLoggerFactory.Instance));
    }

    private static async Task<(IOrchestrationService, TaskHubClient)> OnAzuriteAsync()
    {
        // The local host tests' Azurite (started, or found running); a task hub of this test's own.
        var azurite = AzuriteServer.Start("mi-local-tests", 31000);
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = "failure" + Guid.NewGuid().ToString("N")[..12],
            StorageAccountClientProvider = new StorageAccountClientProvider(azurite.ConnectionString),
            LoggerFactory = NullLoggerFactory.Instance,
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
        });
        await service.CreateIfNotExistsAsync();
        return (service, EmbeddedEngine.CreateClient(service, NullLoggerFactory.Instance));
    }

    /// <summary>What the orchestration saw of the failure.</summary>
    public sealed record SeenFailure(string ErrorType, string ErrorMessage, MailFailure? Failure);
}
