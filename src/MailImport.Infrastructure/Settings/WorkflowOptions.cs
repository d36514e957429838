using System.ComponentModel.DataAnnotations;
using Cronos;
using MailImport.Mail.Sync;

namespace MailImport.Infrastructure.Settings;

/// <summary>How hard the workflow pushes, chosen for IMAP servers' connection caps and the Functions timeout.</summary>
public sealed class WorkflowOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Workflow";

    /// <summary>Mailboxes copied at the same time in one batch.</summary>
    [Range(1, int.MaxValue)]
    public int MaxMailboxesInFlight { get; set; } = 8;

    /// <summary>Connections one source host accepts from us at once (Gmail allows about 15 per account group);
    /// each mailbox in flight holds one.</summary>
    [Range(1, int.MaxValue)]
    public int ConnectionsPerSourceHost { get; set; } = 15;

    /// <summary>Messages one chunk copies at most.</summary>
    [Range(1, int.MaxValue)]
    public int ChunkMessages { get; set; } = 2_000;

    /// <summary>Megabytes one chunk copies at most.</summary>
    [Range(1, int.MaxValue)]
    public int ChunkMegabytes { get; set; } = 256;

    /// <summary>Seconds one chunk runs at most: well inside the Functions timeout (host.json functionTimeout).</summary>
    [Range(1, int.MaxValue)]
    public int ChunkSeconds { get; set; } = 180;

    /// <summary>Chunks a mailbox orchestration runs before it continues as new, so its history stays small.</summary>
    [Range(1, int.MaxValue)]
    public int ChunksPerGeneration { get; set; } = 10;

    /// <summary>Mailboxes one group orchestration of a run takes: a run's history grows with its groups, a group's with
    /// its mailboxes (each a few events), so neither grows with the file.</summary>
    [Range(1, 5000)]
    public int MailboxesPerGroup { get; set; } = 250;

    /// <summary>The schedule of a batch that asks for scheduled re-runs without giving one: daily at 03:00 UTC.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DefaultSchedule { get; set; } = "0 3 * * *";

    /// <summary>How long a batch stays open after its last run started (a scheduled batch: after its schedule's next
    /// occurrence) before the timer closes it and deletes its secrets: at least a day, so an admin has time to read a
    /// report and re-run what failed; at most a year, so no batch keeps its passwords forever. The data key of its
    /// passwords expires then too (with a margin, <see cref="Secrets.BatchSecrets"/>), and every run started moves
    /// that expiry on.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00", ErrorMessage = "Give a time between 1.00:00:00 (a day) and 365.00:00:00 (a year), such as 30.00:00:00.")]
    public TimeSpan BatchIdleClose { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The rolling window a source account's download budget counts over (ImportOptions.DownloadBudgetMegabytes):
    /// a day, as Gmail's bandwidth limits are daily (https://support.google.com/a/answer/1071518); tests give seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "31.00:00:00")]
    public TimeSpan DownloadBudgetWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a mailbox pauses when its source said a bandwidth or command limit is exceeded without saying
    /// for how long: an hour, then it tries once more (Gmail lifts its limits within a day, without saying when).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LimitPause { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The chunk budget these settings give.</summary>
    public ChunkBudget Budget => new(ChunkMessages, ChunkMegabytes * 1024L * 1024, TimeSpan.FromSeconds(ChunkSeconds));

    /// <summary>Mailboxes in flight for one batch: the smaller of the two limits.</summary>
    public int Concurrency => Math.Max(1, Math.Min(MaxMailboxesInFlight, ConnectionsPerSourceHost));

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The same reading scheduled re-runs give a batch's schedule: five-field standard CRON.
        if (!string.IsNullOrEmpty(DefaultSchedule) && !CronExpression.TryParse(DefaultSchedule, CronFormat.Standard, out _))
        {
            yield return new ValidationResult("Give a five-field CRON schedule, such as \"0 3 * * *\".", [nameof(DefaultSchedule)]);
        }
    }
}
