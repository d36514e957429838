using MailImport.Core.Batches;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace MailImport.Functions;

/// <summary>The activity triggers: each calls the method the embedded engine registers under the same name
/// (WorkflowRegistration.AddMailImportActivities).</summary>
public sealed class ActivityFunctions(CredentialIngestion ingestion, BatchSteps batch, MailboxSteps mailbox, IServiceProvider services)
{
    /// <summary>Parses the run's uploaded file, seals the passwords, writes the manifest, deletes the file.</summary>
    [Function(WorkflowNames.IngestCredentials)]
    public Task<IngestResult> IngestCredentials([ActivityTrigger] IngestInput input, CancellationToken cancellationToken) =>
        ingestion.RunAsync(input, cancellationToken);

    /// <summary>Which mailboxes this run takes.</summary>
    [Function(WorkflowNames.PlanRun)]
    public Task<RunPlan> PlanRun([ActivityTrigger] BatchRunInput input, CancellationToken cancellationToken) =>
        batch.PlanAsync(input, cancellationToken);

    /// <summary>The mailboxes of one group of the run's plan.</summary>
    [Function(WorkflowNames.LoadPlanGroup)]
    public Task<IReadOnlyList<PlannedMailbox>> LoadPlanGroup([ActivityTrigger] PlanGroupInput input, CancellationToken cancellationToken) =>
        batch.LoadPlanGroupAsync(input, cancellationToken);

    /// <summary>Keeps a group's counts until the group is copied.</summary>
    [Function(WorkflowNames.SaveGroupCounts)]
    public Task<bool> SaveGroupCounts([ActivityTrigger] GroupCounts counts, CancellationToken cancellationToken) =>
        batch.SaveGroupCountsAsync(counts, cancellationToken);

    /// <summary>Keeps a mailbox's outcome for the run's report.</summary>
    [Function(WorkflowNames.RecordOutcome)]
    public Task<bool> RecordOutcome([ActivityTrigger] OutcomeRecord record, CancellationToken cancellationToken) =>
        batch.RecordOutcomeAsync(record, cancellationToken);

    /// <summary>Shows a running mailbox's state in the run's progress documents.</summary>
    [Function(WorkflowNames.ShowProgress)]
    public Task<bool> ShowProgress([ActivityTrigger] OutcomeRecord record, CancellationToken cancellationToken) =>
        batch.ShowProgressAsync(record, cancellationToken);

    /// <summary>Whether the destination domain is confirmed.</summary>
    [Function(WorkflowNames.CheckDomain)]
    public Task<StepResult> CheckDomain([ActivityTrigger] string domain, CancellationToken cancellationToken) =>
        batch.CheckDomainAsync(domain, cancellationToken);

    /// <summary>Reads the destination's existing mailboxes once for the run.</summary>
    [Function(WorkflowNames.ReadDirectory)]
    public Task<StepResult> ReadDirectory([ActivityTrigger] DirectoryReadInput input, CancellationToken cancellationToken) =>
        batch.ReadDirectoryAsync(input, cancellationToken);

    /// <summary>The fan-in: report.json and report.csv.</summary>
    [Function(WorkflowNames.WriteReport)]
    public Task<int> WriteReport([ActivityTrigger] ReportInput input, CancellationToken cancellationToken) =>
        batch.WriteReportAsync(input, cancellationToken);

    /// <summary>Closes a batch and deletes its secrets.</summary>
    [Function(WorkflowNames.CloseBatch)]
    public Task<int> CloseBatch([ActivityTrigger] string batchId, CancellationToken cancellationToken) =>
        batch.CloseAsync(batchId, cancellationToken);

    /// <summary>Deletes a closed batch's upload and a page of its secrets, and records when the last page is done.</summary>
    [Function(WorkflowNames.FinishClose)]
    public Task<ClosePage> FinishClose([ActivityTrigger] string batchId, CancellationToken cancellationToken) =>
        batch.FinishClosePageAsync(batchId, cancellationToken);

    /// <summary>Ends a closed batch's run and its groups, through the invocation's Durable client.</summary>
    [Function(WorkflowNames.StopBatchRun)]
    public Task<bool> StopBatchRun([ActivityTrigger] string batchId, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        WorkflowClients.Create<BatchCloseSteps>(services, client).StopRunAsync(batchId, cancellationToken);

    /// <summary>Purges the task hub's history of a group's finished mailboxes, through the invocation's Durable client.</summary>
    [Function(WorkflowNames.PurgeMailboxHistories)]
    public Task<int> PurgeMailboxHistories([ActivityTrigger] MailboxHistoriesInput input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        WorkflowClients.Create<MailboxHistories>(services, client).PurgeAsync(input, cancellationToken);

    /// <summary>Purges the task hub's history of a finished group orchestration, through the invocation's Durable client.</summary>
    [Function(WorkflowNames.PurgeGroupHistory)]
    public Task<bool> PurgeGroupHistory([ActivityTrigger] GroupHistoryInput input, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        WorkflowClients.Create<MailboxHistories>(services, client).PurgeGroupAsync(input, cancellationToken);

    /// <summary>Logs in at the source (and, on a dry run, lists its folders).</summary>
    [Function(WorkflowNames.CheckSource)]
    public Task<SourceCheckResult> CheckSource([ActivityTrigger] MailboxStepInput input, CancellationToken cancellationToken) =>
        mailbox.CheckSourceAsync(input, cancellationToken);

    /// <summary>Whether the destination username is free or already ours.</summary>
    [Function(WorkflowNames.CheckUsername)]
    public Task<StepResult> CheckUsername([ActivityTrigger] MailboxStepInput input, CancellationToken cancellationToken) =>
        mailbox.CheckUsernameAsync(input, cancellationToken);

    /// <summary>Creates the destination mailbox unless it is there.</summary>
    [Function(WorkflowNames.EnsureAccount)]
    public Task<StepResult> EnsureAccount([ActivityTrigger] MailboxStepInput input, CancellationToken cancellationToken) =>
        mailbox.EnsureAccountAsync(input, cancellationToken);

    /// <summary>Copies one chunk within its budget.</summary>
    [Function(WorkflowNames.CopyChunk)]
    public Task<ChunkSummary> CopyChunk([ActivityTrigger] MailboxStepInput input, CancellationToken cancellationToken) =>
        mailbox.CopyChunkAsync(input, cancellationToken);

    /// <summary>Gives up the hold on the destination mailbox of a copy that gave up.</summary>
    [Function(WorkflowNames.ReleaseDestination)]
    public Task<bool> ReleaseDestination([ActivityTrigger] MailboxStepInput input, CancellationToken cancellationToken) =>
        mailbox.ReleaseDestinationAsync(input, cancellationToken);
}
