using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow;

/// <summary>Registers the orchestrations and activities by name: the embedded engine uses this registry, and the
/// Functions app's [Function] wrappers call the same methods under the same names.</summary>
public static class WorkflowRegistration
{
    /// <summary>The activities whose class reaches the engine (<see cref="BatchCloseSteps"/>): the local host resolves
    /// them from its container, where the engine is a service; the Functions app builds them over the invocation's
    /// Durable client instead (MailImport.Functions.WorkflowClients), as it does the HTTP API's handlers.</summary>
    public static IReadOnlySet<string> EngineActivities { get; } = new HashSet<string>(StringComparer.Ordinal) { WorkflowNames.StopBatchRun, WorkflowNames.PurgeMailboxHistories, WorkflowNames.PurgeGroupHistory };

    /// <summary>Adds every orchestration and activity of MailImport to <paramref name="registry"/>.</summary>
    public static DurableTaskRegistry AddMailImportWorkflow(this DurableTaskRegistry registry) =>
        registry.AddMailImportOrchestrations().AddMailImportActivities();

    /// <summary>Adds the orchestrations only (tests pair them with stand-in activities of the same names).</summary>
    public static DurableTaskRegistry AddMailImportOrchestrations(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestratorFunc<BatchRunInput, BatchProgress>(WorkflowNames.ImportBatch, ImportBatchOrchestration.RunAsync);
        registry.AddOrchestratorFunc<MailboxGroupInput, PlanTotals>(WorkflowNames.CountMailboxGroup, MailboxGroupOrchestration.CountAsync);
        registry.AddOrchestratorFunc<MailboxGroupInput, GroupResult>(WorkflowNames.ImportMailboxGroup, MailboxGroupOrchestration.RunAsync);
        registry.AddOrchestratorFunc<MailboxRunInput, MailboxResult>(WorkflowNames.ImportMailbox, MailboxOrchestration.RunAsync);
        registry.AddOrchestratorFunc<string, int>(WorkflowNames.CloseImportBatch, CloseBatchOrchestration.RunAsync);
        return registry;
    }

    /// <summary>Adds the activities, each a method of a class from dependency injection.</summary>
    public static DurableTaskRegistry AddMailImportActivities(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);

        registry.Activity<CredentialIngestion, IngestInput, IngestResult>(WorkflowNames.IngestCredentials, (a, input, ct) => a.RunAsync(input, ct));
        registry.Activity<BatchSteps, BatchRunInput, RunPlan>(WorkflowNames.PlanRun, (a, input, ct) => a.PlanAsync(input, ct));
        registry.Activity<BatchSteps, PlanGroupInput, IReadOnlyList<PlannedMailbox>>(WorkflowNames.LoadPlanGroup, (a, input, ct) => a.LoadPlanGroupAsync(input, ct));
        registry.Activity<BatchSteps, GroupCounts, bool>(WorkflowNames.SaveGroupCounts, (a, counts, ct) => a.SaveGroupCountsAsync(counts, ct));
        registry.Activity<BatchSteps, OutcomeRecord, bool>(WorkflowNames.RecordOutcome, (a, record, ct) => a.RecordOutcomeAsync(record, ct));
        registry.Activity<BatchSteps, OutcomeRecord, bool>(WorkflowNames.ShowProgress, (a, record, ct) => a.ShowProgressAsync(record, ct));
        registry.Activity<BatchSteps, string, StepResult>(WorkflowNames.CheckDomain, (a, domain, ct) => a.CheckDomainAsync(domain, ct));
        registry.Activity<BatchSteps, DirectoryReadInput, StepResult>(WorkflowNames.ReadDirectory, (a, input, ct) => a.ReadDirectoryAsync(input, ct));
        registry.Activity<BatchSteps, ReportInput, int>(WorkflowNames.WriteReport, (a, input, ct) => a.WriteReportAsync(input, ct));
        registry.Activity<BatchSteps, string, int>(WorkflowNames.CloseBatch, (a, batchId, ct) => a.CloseAsync(batchId, ct));
        registry.Activity<BatchSteps, string, ClosePage>(WorkflowNames.FinishClose, (a, batchId, ct) => a.FinishClosePageAsync(batchId, ct));
        registry.Activity<BatchCloseSteps, string, bool>(WorkflowNames.StopBatchRun, (a, batchId, ct) => a.StopRunAsync(batchId, ct));
        registry.Activity<MailboxHistories, MailboxHistoriesInput, int>(WorkflowNames.PurgeMailboxHistories, (a, input, ct) => a.PurgeAsync(input, ct));
        registry.Activity<MailboxHistories, GroupHistoryInput, bool>(WorkflowNames.PurgeGroupHistory, (a, input, ct) => a.PurgeGroupAsync(input, ct));
        registry.Activity<MailboxSteps, MailboxStepInput, SourceCheckResult>(WorkflowNames.CheckSource, (a, input, ct) => a.CheckSourceAsync(input, ct));
        registry.Activity<MailboxSteps, MailboxStepInput, StepResult>(WorkflowNames.CheckUsername, (a, input, ct) => a.CheckUsernameAsync(input, ct));
        registry.Activity<MailboxSteps, MailboxStepInput, StepResult>(WorkflowNames.EnsureAccount, (a, input, ct) => a.EnsureAccountAsync(input, ct));
        registry.Activity<MailboxSteps, MailboxStepInput, ChunkSummary>(WorkflowNames.CopyChunk, (a, input, ct) => a.CopyChunkAsync(input, ct));
        registry.Activity<MailboxSteps, MailboxStepInput, bool>(WorkflowNames.ReleaseDestination, (a, input, ct) => a.ReleaseDestinationAsync(input, ct));
        return registry;
    }

    private static void Activity<TService, TInput, TOutput>(this DurableTaskRegistry registry, string name, Func<TService, TInput, CancellationToken, Task<TOutput>> run)
        where TService : notnull =>
        registry.AddActivity(name, services => new ServiceActivity<TService, TInput, TOutput>(ActivatorUtilities.GetServiceOrCreateInstance<TService>(services), run));

    /// <summary>An activity whose body is a method of a class from dependency injection.</summary>
    private sealed class ServiceActivity<TService, TInput, TOutput>(TService service, Func<TService, TInput, CancellationToken, Task<TOutput>> run)
        : TaskActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => run(service, input, CancellationToken.None);
    }
}
