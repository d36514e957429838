using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Reports;
using MailImport.Core.Sources;

namespace MailImport.Workflow.Api;

/// <summary>The settings part of a start request: where the mail comes from and where it goes.</summary>
/// <param name="Domain">The destination domain.</param>
/// <param name="Source">The source server.</param>
/// <param name="Options">Dry run, Gmail folders, schedule.</param>
public sealed record ImportSettings(string? Domain, SourceServerRequest? Source, ImportOptions? Options);

/// <summary>What a refused request answers: what is wrong, field by field or line by line.</summary>
/// <param name="Error">One sentence.</param>
/// <param name="Problems">Field or line problems.</param>
public sealed record ApiError(string Error, IReadOnlyList<ApiProblem>? Problems = null);

/// <summary>One problem of a refused request.</summary>
/// <param name="Field">The field (settings) or "line N".</param>
/// <param name="Code">The stable code.</param>
/// <param name="Message">What to change.</param>
public sealed record ApiProblem(string Field, string Code, string Message)
{
    /// <summary>A credential problem as an API problem.</summary>
    public static ApiProblem Of(CredentialProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new(problem.IsFileLevel ? "file" : $"line {problem.LineNumber}", problem.Code.ToString(), problem.Message);
    }
}

/// <summary>The answer to a started import or run.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run just started.</param>
/// <param name="StatusUrl">Where to follow it.</param>
/// <param name="ReportUrl">Where the report appears.</param>
/// <param name="Mailboxes">Mailboxes the file holds.</param>
/// <param name="InvalidLines">Lines that cannot be imported (in the report already).</param>
public sealed record StartedImport(string BatchId, string RunId, string StatusUrl, string ReportUrl, int Mailboxes, int InvalidLines);

/// <summary>A batch as the status call shows it.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Domain">The destination domain.</param>
/// <param name="Closed">True once closed.</param>
/// <param name="Runs">Every run, oldest first.</param>
/// <param name="Status">The latest run's state: Pending, Running, Completed, Failed, Terminated.</param>
/// <param name="Mailboxes">Per mailbox: live progress while running, the report line once finished; only the lines
/// the call's filter and page chose (<see cref="StatusQuery"/>), all of them when it named none.</param>
/// <param name="Totals">All mailboxes' counters added up.</param>
public sealed record BatchStatus(
    string BatchId,
    string Domain,
    bool Closed,
    IReadOnlyList<BatchRunRecord> Runs,
    string Status,
    [property: System.Text.Json.Serialization.JsonConverter(typeof(StatusLinesJsonConverter))] IReadOnlyList<MailboxReport> Mailboxes,
    MailboxCounters Totals)
{
    /// <summary>The CRON schedule (UTC) of incremental re-runs; null when none.</summary>
    public string? Schedule { get; init; }

    /// <summary>How the batch signs in at the source (Password, GoogleServiceAccount, MicrosoftAppOnly): it decides the
    /// grammar of a corrected file. The kind only; the key or secret is never in an answer.</summary>
    public Core.Sources.SourceAuthenticationType SourceAuthentication { get; init; }

    /// <summary>How many of the batch's lines are in each state, every state named, whatever the filter and page.</summary>
    public IReadOnlyDictionary<MailboxStatus, int> Counts { get; init; } = new Dictionary<MailboxStatus, int>();

    /// <summary>Where <see cref="Mailboxes"/> stands among the lines the filter matches.</summary>
    public StatusPageInfo? Page { get; init; }

    /// <summary>What each run did, oldest first: the report's summaries of the runs that ended, and the going run's
    /// summed from its mailboxes' live figures.</summary>
    public IReadOnlyList<RunSummary> RunSummaries { get; init; } = [];

    /// <summary>How far the latest run is: the totals its count found at the source before the first chunk, and the
    /// share of them done; null before its count begins (and for runs from before counts were kept).</summary>
    public RunProgress? Progress { get; init; }

    /// <summary>When the batch is closed for idleness unless it runs again (<see cref="BatchRetention.ClosesAt"/>);
    /// null once it is closed.</summary>
    public DateTimeOffset? ClosesAt { get; init; }

    /// <summary>When it was closed; null while open (and for a batch closed before this was recorded).</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>Who closed it: Requested (the admin) or Idle (the timer); null while open.</summary>
    public BatchCloseReason? ClosedFor { get; init; }

    /// <summary>When the close finished deleting the upload and every password; null until then.</summary>
    public DateTimeOffset? SecretsDeletedAt { get; init; }

    /// <summary>Closing once the batch is marked closed, Closed once its secrets are deleted; null while open.</summary>
    public BatchCloseState? CloseState => !Closed ? null : SecretsDeletedAt is null ? BatchCloseState.Closing : BatchCloseState.Closed;

    /// <summary>How many generated destination passwords wait to be downloaded once from
    /// <c>/api/imports/{id}/passwords</c>; null when none do. The count only: no password is ever in the status.</summary>
    public int? GeneratedPasswords { get; init; }
}

/// <summary>How far a batch's close is.</summary>
public enum BatchCloseState
{
    /// <summary>Marked closed (no run starts any more); its run is being ended and its secrets deleted.</summary>
    Closing,
    /// <summary>Its run ended and its upload and every password deleted.</summary>
    Closed,
}

/// <summary>The answer to a close: accepted, and where to follow it.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Closed">True: the batch takes no more runs from now on.</param>
/// <param name="CloseState">Closing until the close has ended the run and deleted the secrets.</param>
/// <param name="StatusUrl">The status to poll until its closeState is Closed.</param>
public sealed record ClosingBatch(string BatchId, bool Closed, BatchCloseState CloseState, string StatusUrl);

/// <summary>The answer to a schedule change.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Schedule">The schedule now in force; null when the scheduled re-runs are off.</param>
public sealed record ScheduleChanged(string BatchId, string? Schedule);

/// <summary>A credential file or JSON entries as uploaded, with what the parser made of them.</summary>
/// <param name="Bytes">The upload as sent: stored as it is for the run's first activity to read.</param>
/// <param name="IsJson">True for JSON entries, false for a credential file.</param>
/// <param name="Parsed">The entries and problems the parser found.</param>
public sealed record CredentialUpload(byte[] Bytes, bool IsJson, CredentialParseResult Parsed);

/// <summary>A start request that passed every check: what the first run of a new batch needs.</summary>
/// <param name="Domain">The destination domain, lower case, without a trailing dot.</param>
/// <param name="Source">The source server, presets and defaults resolved.</param>
/// <param name="Options">The import's options, the schedule resolved ("default" replaced by the service's).</param>
/// <param name="Credentials">The uploaded credentials; at least one line is valid.</param>
public sealed record NewImport(string Domain, SourceServer Source, ImportOptions Options, CredentialUpload Credentials)
{
    /// <summary>How the source is logged in to; passwords unless the request said otherwise.</summary>
    public SourceAuthentication Authentication { get; init; } = SourceAuthentication.Password;

    /// <summary>The service account's key or the Entra app's client secret, sealed into the batch's secret store at
    /// upload and never kept anywhere else; null for passwords.</summary>
    public Core.Secret? SourceCredential { get; init; }
}

/// <summary>A re-run request that passed every check.</summary>
/// <param name="Mode">Failed and partial mailboxes again, or an incremental run of all.</param>
/// <param name="Correction">A corrected credential file or entries to fold in first, if any.</param>
public sealed record RerunRequest(RunMode Mode, CredentialUpload? Correction);

/// <summary>A run just started, with the counts its answer shows.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run, also its orchestration's instance id.</param>
/// <param name="Mailboxes">Mailboxes the batch holds for the run.</param>
/// <param name="InvalidLines">Lines that cannot be imported.</param>
public sealed record StartedRun(string BatchId, string RunId, int Mailboxes, int InvalidLines);

/// <summary>Why the next run of a batch was not started.</summary>
public enum RunRefusal
{
    /// <summary>The batch is closed: it takes no more runs.</summary>
    BatchClosed,
    /// <summary>The batch's last run has not ended.</summary>
    RunGoing,
}

/// <summary>What asking for a batch's next run gave: the run started, or why not.</summary>
/// <param name="Run">The run started; null when refused.</param>
/// <param name="Refusal">Why it was not started; null when started.</param>
public sealed record RunStart(StartedRun? Run, RunRefusal? Refusal)
{
    /// <summary>The run was started.</summary>
    public static RunStart Started(StartedRun run) => new(run, null);

    /// <summary>The run was not started.</summary>
    public static RunStart Refused(RunRefusal refusal) => new(null, refusal);
}
