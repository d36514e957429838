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

    /// <inheritdoc/>
    /// <remarks>Through the service's purge client (DurableTask.AzureStorage implements it: the instance's rows in the
    /// History and Instances tables and its large-message blobs); a service without one keeps everything.</remarks>
    public async Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) =>
        client.ServiceClient is IOrchestrationServicePurgeClient purge && (await purge.PurgeInstanceStateAsync(instanceId)).DeletedInstanceCount > 0;
}
