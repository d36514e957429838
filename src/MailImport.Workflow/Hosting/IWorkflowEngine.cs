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
/// DurableTaskClient (DurableTaskClientEngine) or the local host's TaskHubClient (TaskHubClientEngine).</summary>
public interface IWorkflowEngine
{
    /// <summary>Schedules an orchestration under a chosen instance id.</summary>
    Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken);

    /// <summary>The instance's state, or null when there is no such instance.</summary>
    Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Stops a running instance.</summary>
    Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken);

    /// <summary>Deletes a finished instance's history and state from the task hub; true when there was one to delete.</summary>
    Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken);
}
