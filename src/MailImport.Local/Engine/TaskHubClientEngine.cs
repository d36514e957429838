using DurableTask.Core;
using MailImport.Workflow.Hosting;

namespace MailImport.Local.Engine;

/// <summary>The engine behind the local host and the tests: DurableTask.Core's client over the embedded engine.</summary>
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
