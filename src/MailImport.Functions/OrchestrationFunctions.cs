using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Workflow.Orchestrations;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace MailImport.Functions;

/// <summary>The orchestrator triggers: each runs the workflow's orchestration under the name the embedded engine
/// registers it by (function-based: the class-based source generator is not used).</summary>
public static class OrchestrationFunctions
{
    /// <summary>One run of a batch: ingestion, domain check, fan-out per mailbox, report.</summary>
    [Function(WorkflowNames.ImportBatch)]
    public static Task<BatchProgress> ImportBatch([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ImportBatchOrchestration.RunAsync(context, context.GetInput<BatchRunInput>()!);
    }

    /// <summary>Counts one group of a run's mailboxes at the source.</summary>
    [Function(WorkflowNames.CountMailboxGroup)]
    public static Task<PlanTotals> CountMailboxGroup([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return MailboxGroupOrchestration.CountAsync(context, context.GetInput<MailboxGroupInput>()!);
    }

    /// <summary>One group of a run's mailboxes.</summary>
    [Function(WorkflowNames.ImportMailboxGroup)]
    public static Task<GroupResult> ImportMailboxGroup([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return MailboxGroupOrchestration.RunAsync(context, context.GetInput<MailboxGroupInput>()!);
    }

    /// <summary>One mailbox: checks, account, chunk after chunk.</summary>
    [Function(WorkflowNames.ImportMailbox)]
    public static Task<MailboxResult> ImportMailbox([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return MailboxOrchestration.RunAsync(context, context.GetInput<MailboxRunInput>()!);
    }

    /// <summary>A batch's close after its mark: its run ended, its upload and secrets deleted.</summary>
    [Function(WorkflowNames.CloseImportBatch)]
    public static Task<int> CloseImportBatch([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return CloseBatchOrchestration.RunAsync(context, context.GetInput<string>()!);
    }
}
