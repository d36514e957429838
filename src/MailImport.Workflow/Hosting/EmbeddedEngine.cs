using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CoreDataConverter = DurableTask.Core.Serializing.DataConverter;

namespace MailImport.Workflow.Hosting;

/// <summary>Runs the same orchestrations and activities the Functions app runs, on the Durable Task Framework
/// directly: DurableTask.Core's <see cref="TaskHubWorker"/> over any orchestration service (Azure Storage on Azurite
/// for the local host, in memory for tests), through the public <see cref="DurableTaskShimFactory"/>.</summary>
public static class EmbeddedEngine
{
    /// <summary>Starts a worker for <paramref name="registry"/> on <paramref name="service"/>; activities get their
    /// services from a new scope of <paramref name="services"/> per execution.</summary>
    public static async Task<TaskHubWorker> StartWorkerAsync(IOrchestrationService service, DurableTaskRegistry registry, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = JsonDataConverter.Default }, loggerFactory);
        var worker = new TaskHubWorker(service, loggerFactory)
        {
            // Failures reach orchestrations as FailureDetails, so TaskFailedException.FailureDetails.IsCausedBy<T>() works.
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
        };

        // A new shim per execution (the shim holds the per-execution context), and a new dependency-injection scope per
        // activity execution, disposed when it ends.
        worker.AddTaskOrchestrations(registry.GetOrchestrators()
            .Select(o => (ObjectCreator<TaskOrchestration>)new Creator<TaskOrchestration>(o.Key, () => shims.CreateOrchestration(o.Key, o.Value(services), parent: null)))
            .ToArray());
        worker.AddTaskActivities(registry.GetActivities()
            .Select(a => (ObjectCreator<TaskActivity>)new Creator<TaskActivity>(a.Key, () =>
            {
                var scope = services.CreateAsyncScope();
                return shims.CreateActivity(a.Key, new ScopedActivity(a.Value(scope.ServiceProvider), scope));
            }))
            .ToArray());
        await worker.StartAsync();
        return worker;
    }

    /// <summary>A client whose payloads the shims can read: both sides use System.Text.Json.</summary>
    public static TaskHubClient CreateClient(IOrchestrationServiceClient service, ILoggerFactory loggerFactory) =>
        new(service, new SystemTextJsonConverter(JsonDataConverter.Default), loggerFactory);

    /// <summary>Makes a new orchestration or activity object per execution, under the registry's name.</summary>
    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> create;

        public Creator(TaskName name, Func<T> create)
        {
            this.create = create;
            Name = name.Name;
            // Instances are started with the version "", and DurableTask.Core matches on it.
            Version = string.Empty;
        }

        public override T Create() => create();
    }

    private sealed class ScopedActivity(ITaskActivity inner, AsyncServiceScope scope) : ITaskActivity
    {
        public Type InputType => inner.InputType;

        public Type OutputType => inner.OutputType;

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            try
            {
                return await inner.RunAsync(context, input);
            }
            finally
            {
                await scope.DisposeAsync();
            }
        }
    }

    /// <summary>TaskHubClient serialises with Newtonsoft by default, the shims read with System.Text.Json: one
    /// converter on both sides.</summary>
    private sealed class SystemTextJsonConverter(Microsoft.DurableTask.DataConverter inner) : CoreDataConverter
    {
        public override string Serialize(object value) => inner.Serialize(value)!;

        public override string Serialize(object value, bool formatted) => inner.Serialize(value)!;

        public override object Deserialize(string data, Type objectType) => inner.Deserialize(data, objectType)!;
    }
}
