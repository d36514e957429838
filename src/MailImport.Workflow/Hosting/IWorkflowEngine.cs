using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace MailImport.Workflow.Hosting;

/// <summary>Where an orchestration instance stands.</summary>
public enum WorkflowRuntimeStatus
{
    /// <summary>Scheduled, not started.</summary>
    Pending,
    /// <summary>Running (or continued as new).</summary>
    Running,
    /// <summary>Finished.</summary>
    Completed,
    /// <summary>Failed with an unhandled error.</summary>
    Failed,
    /// <summary>Stopped by a terminate request.</summary>
    Terminated,
}

/// <summary>An instance's state as the HTTP API reads it: JSON, never typed payloads, so both engines serve it alike.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="CustomStatus">The custom status JSON, if any.</param>
/// <param name="Output">The output JSON once it finished.</param>
public sealed record WorkflowState(string InstanceId, WorkflowRuntimeStatus Status, string? CustomStatus, string? Output);

/// <summary>The one small interface the HTTP handlers use to reach a Durable engine: the Functions app's
/// <see cref="DurableTaskClient"/> or the local host's <see cref="TaskHubClient"/>.</summary>
public interface IWorkflowEngine
{
    /// <summary>Schedules an orchestration under a chosen instance id.</summary>
    Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken);

    /// <summary>The instance's state, or null when there is no such instance.</summary>
    Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Stops a running instance.</summary>
    Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken);
}

/// <summary>The engine behind the Functions app.</summary>
public sealed class DurableTaskClientEngine(DurableTaskClient client) : IWorkflowEngine
{
    /// <inheritdoc/>
    public Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken) =>
        client.ScheduleNewOrchestrationInstanceAsync(orchestration, input, new StartOrchestrationOptions(instanceId), cancellationToken);

    /// <inheritdoc/>
    public async Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        return metadata is null ? null : new WorkflowState(instanceId, metadata.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Pending => WorkflowRuntimeStatus.Pending,
            OrchestrationRuntimeStatus.Completed => WorkflowRuntimeStatus.Completed,
            OrchestrationRuntimeStatus.Failed => WorkflowRuntimeStatus.Failed,
            OrchestrationRuntimeStatus.Terminated => WorkflowRuntimeStatus.Terminated,
            _ => WorkflowRuntimeStatus.Running,
        }, metadata.SerializedCustomStatus, metadata.SerializedOutput);
    }

    /// <inheritdoc/>
    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        client.TerminateInstanceAsync(instanceId, reason, cancellationToken);
}

/// <summary>The engine behind the local host and the tests.</summary>
public sealed class TaskHubClientEngine(TaskHubClient client) : IWorkflowEngine
{
    /// <inheritdoc/>
    public Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken) =>
        client.CreateOrchestrationInstanceAsync(orchestration, "", instanceId, input);

    /// <inheritdoc/>
    public async Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        var state = await client.GetOrchestrationStateAsync(instanceId);
        return state is null ? null : new WorkflowState(instanceId, state.OrchestrationStatus switch
        {
            OrchestrationStatus.Pending => WorkflowRuntimeStatus.Pending,
            OrchestrationStatus.Completed => WorkflowRuntimeStatus.Completed,
            OrchestrationStatus.Failed => WorkflowRuntimeStatus.Failed,
            OrchestrationStatus.Terminated or OrchestrationStatus.Canceled => WorkflowRuntimeStatus.Terminated,
            _ => WorkflowRuntimeStatus.Running,
        }, state.Status, state.Output);
    }

    /// <inheritdoc/>
    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken) =>
        client.TerminateInstanceAsync(new OrchestrationInstance { InstanceId = instanceId }, reason);
}
