namespace MailImport.Workflow.Orchestrations;

/// <summary>The names orchestrations and activities are registered under, the same in both hosts.</summary>
public static class WorkflowNames
{
    /// <summary>One run of a batch.</summary>
    public const string ImportBatch = nameof(ImportBatch);

    /// <summary>Count one group of a run's mailboxes at the source.</summary>
    public const string CountMailboxGroup = nameof(CountMailboxGroup);

    /// <summary>One group of a run's mailboxes.</summary>
    public const string ImportMailboxGroup = nameof(ImportMailboxGroup);

    /// <summary>One mailbox of a run.</summary>
    public const string ImportMailbox = nameof(ImportMailbox);

    /// <summary>Parse the upload, store the secrets, write the manifest.</summary>
    public const string IngestCredentials = nameof(IngestCredentials);

    /// <summary>Choose the mailboxes of a run.</summary>
    public const string PlanRun = nameof(PlanRun);

    /// <summary>Read one group of a run's plan.</summary>
    public const string LoadPlanGroup = nameof(LoadPlanGroup);

    /// <summary>Keep a group's counts until it is copied.</summary>
    public const string SaveGroupCounts = nameof(SaveGroupCounts);

    /// <summary>Keep a mailbox's outcome for the run's report.</summary>
    public const string RecordOutcome = nameof(RecordOutcome);

    /// <summary>Show a running mailbox's state in the run's progress documents.</summary>
    public const string ShowProgress = nameof(ShowProgress);

    /// <summary>Is the domain confirmed?</summary>
    public const string CheckDomain = nameof(CheckDomain);

    /// <summary>Read the destination's existing mailboxes once for the run.</summary>
    public const string ReadDirectory = nameof(ReadDirectory);

    /// <summary>Log in at the source (and list it, for a dry run).</summary>
    public const string CheckSource = nameof(CheckSource);

    /// <summary>Is the destination username free? (dry run)</summary>
    public const string CheckUsername = nameof(CheckUsername);

    /// <summary>Create the destination mailbox unless it exists.</summary>
    public const string EnsureAccount = nameof(EnsureAccount);

    /// <summary>Copy one chunk.</summary>
    public const string CopyChunk = nameof(CopyChunk);

    /// <summary>Give up the hold on the destination mailbox of a copy that ended without finishing.</summary>
    public const string ReleaseDestination = nameof(ReleaseDestination);

    /// <summary>Write report.json and report.csv.</summary>
    public const string WriteReport = nameof(WriteReport);

    /// <summary>Close the batch and delete its secrets.</summary>
    public const string CloseBatch = nameof(CloseBatch);

    /// <summary>A batch's close after its mark: end its run, then delete its upload and secrets.</summary>
    public const string CloseImportBatch = nameof(CloseImportBatch);

    /// <summary>End a closed batch's run and its groups.</summary>
    public const string StopBatchRun = nameof(StopBatchRun);

    /// <summary>Delete a closed batch's upload and secrets and record when.</summary>
    public const string FinishClose = nameof(FinishClose);

    /// <summary>Purge the task hub's history of a group's finished mailbox orchestrations.</summary>
    public const string PurgeMailboxHistories = nameof(PurgeMailboxHistories);

    /// <summary>Purge the task hub's history of a finished group orchestration, its count or its copy.</summary>
    public const string PurgeGroupHistory = nameof(PurgeGroupHistory);
}
