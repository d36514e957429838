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

    /// <summary>Connections open at once to one source host, whichever accounts they log in to, counted across every
    /// batch and host sharing the storage account (Limits.IConcurrencySlots); 0 for no limit. Each source check and each
    /// chunk holds one while it runs. 15 spares a self-hosted server (Exchange's per-user default alone is 16,
    /// https://learn.microsoft.com/exchange/clients/pop3-and-imap4/configure-imap4); a large provider's limits are per
    /// account, so a big migration from one may raise it.</summary>
    [Range(0, int.MaxValue)]
    public int ConnectionsPerSourceHost { get; set; } = 15;

    /// <summary>Mailboxes being copied at once into one destination organisation (a Yandex 360 organisation; a Dovecot
    /// destination's domain), counted across every batch and host sharing the storage account; 0 (the default) for no
    /// limit beyond each batch's own: Yandex 360 publishes no figure for it (https://yandex.ru/dev/api360/doc/ru/limits
    /// names only the administrator's role and 500 organisations per user). Each chunk holds one while it runs.</summary>
    [Range(0, int.MaxValue)]
    public int MailboxesPerDestinationOrganisation { get; set; }

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

    /// <summary>Keep the task hub's history of each mailbox's orchestration once its group has ended, and of each group's
    /// count and copy once the run has their results, instead of purging them (<see cref="WorkflowOptions.MailboxesPerGroup"/>):
    /// for looking into the engine's record of a run; the outcomes, the report and the cursors are the batch's blobs either way.</summary>
    public bool KeepMailboxHistory { get; set; }

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

    /// <summary>Mailboxes in flight for one batch: the smaller of the two limits (a batch reads one source host, so
    /// more mailboxes than its connections would only wait for them).</summary>
    public int Concurrency => Math.Max(1, ConnectionsPerSourceHost > 0 ? Math.Min(MaxMailboxesInFlight, ConnectionsPerSourceHost) : MaxMailboxesInFlight);

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
