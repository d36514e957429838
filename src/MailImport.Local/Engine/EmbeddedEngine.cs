using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CoreDataConverter = DurableTask.Core.Serializing.DataConverter;

namespace MailImport.Local.Engine;

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
            // Failures reach orchestrations as FailureDetails, so TaskFailedException.FailureDetails.IsCausedBy<T>() works,
            // and carry the properties the provider reads off the exception (a classified failure's code and hint).
            ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
            ExceptionPropertiesProvider = new ExceptionPropertiesProviderAdapter(new FailureBoundary()),
        };

        worker.AddActivityDispatcherMiddleware(FailurePropertiesActivity.AttachAsync);

        // A new shim per execution (the shim holds the per-execution context), and a new dependency-injection scope per
        // activity execution, disposed when it ends.
        worker.AddTaskOrchestrations(registry.GetOrchestrators()
            .Select(o => (ObjectCreator<TaskOrchestration>)new Creator<TaskOrchestration>(o.Key, () => shims.CreateOrchestration(o.Key, o.Value(services), parent: null)))
            .ToArray());
        worker.AddTaskActivities(registry.GetActivities()
            .Select(a => (ObjectCreator<TaskActivity>)new Creator<TaskActivity>(a.Key, () =>
            {
                var scope = services.CreateAsyncScope();
                return new FailurePropertiesActivity(shims.CreateActivity(a.Key, new ScopedActivity(a.Value(scope.ServiceProvider), scope)));
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

    /// <summary>Gives an activity's failure the properties of <see cref="TaskHubWorker.ExceptionPropertiesProvider"/>.</summary>
    /// <remarks>
    /// DurableTask.Core's own activity base classes ask the provider when they catch (AsyncTaskActivity.RunAsync in
    /// Azure/durabletask). The shim overrides RunAsync and rethrows the bare exception
    /// (src/Worker/Core/Shims/TaskActivityShim.cs in microsoft/durabletask-dotnet), and TaskActivityDispatcher then
    /// records <c>new FailureDetails(e)</c> without them (DurableTask.Core 3.11.2; TaskFailureException's own
    /// FailureDetails cannot be set from outside the assembly). So this wrapper keeps the details with the properties
    /// when the activity throws, and <see cref="AttachAsync"/>, an activity dispatcher middleware, puts them into the
    /// TaskFailedEvent the dispatcher built, before it is written to history.
    /// </remarks>
    private sealed class FailurePropertiesActivity(TaskActivity inner) : TaskActivity
    {
        private FailureDetails? failure;

        public override async Task<string?> RunAsync(TaskContext context, string input)
        {
            try
            {
                return await inner.RunAsync(context, input);
            }
            catch (Exception e) when (context.ExceptionPropertiesProvider.ExtractProperties(e) is { } properties)
            {
                failure = new FailureDetails(e, properties);
                throw;
            }
        }

        public override string Run(TaskContext context, string input) => throw new NotSupportedException("Activities run asynchronously.");

        /// <summary>Replaces the failed activity's FailureDetails with the ones that carry its properties.</summary>
        public static async Task AttachAsync(DispatchMiddlewareContext context, Func<Task> next)
        {
            await next();
            if (context.GetProperty<TaskActivity>() is FailurePropertiesActivity { failure: { } details }
                && context.GetProperty<ActivityExecutionResult>()?.ResponseEvent is TaskFailedEvent failed)
            {
                context.SetProperty(new ActivityExecutionResult
                {
                    ResponseEvent = new TaskFailedEvent(failed.EventId, failed.TaskScheduledId, failed.Reason, failed.Details, details),
                });
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
