using MailImport.Core.Batches;
using MailImport.Workflow.Hosting;

namespace MailImport.Workflow.Tests.Api;

/// <summary>An engine for the run starter's tests: records what would be started or terminated; answers every instance as finished unless told it runs.</summary>
internal sealed class RecordingEngine(string? running = null) : IWorkflowEngine
{
    public List<(string Orchestration, BatchRunInput Input)> Started { get; } = [];

    public List<string> Terminated { get; } = [];

    public int StateQueries { get; private set; }

    public Task StartAsync(string orchestration, object input, string instanceId, CancellationToken cancellationToken)
    {
        Started.Add((orchestration, (BatchRunInput)input));
        return Task.CompletedTask;
    }

    public Task<WorkflowState?> GetStateAsync(string instanceId, CancellationToken cancellationToken)
    {
        StateQueries++;
        return Task.FromResult<WorkflowState?>(new(instanceId, instanceId == running ? WorkflowRuntimeStatus.Running : WorkflowRuntimeStatus.Completed, null, null));
    }

    public Task TerminateAsync(string instanceId, string reason, CancellationToken cancellationToken)
    {
        Terminated.Add(instanceId);
        return Task.CompletedTask;
    }

    public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>A clock that tells the time it is set to.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    /// <summary>The time it answers; a test moves it on.</summary>
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
