using MailImport.Workflow.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace MailImport.Functions;

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

    /// <inheritdoc/>
    public async Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) =>
        (await client.PurgeInstanceAsync(instanceId, cancellation: cancellationToken)).PurgedInstanceCount > 0;
}
