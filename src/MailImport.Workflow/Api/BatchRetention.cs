using MailImport.Core.Batches;

namespace MailImport.Workflow.Api;

/// <summary>When an open batch is closed for idleness: the one place that says it, for the timer that closes it, the
/// status it is shown in, and whatever else must end with the batch (a secret's expiry).</summary>
/// <remarks>
/// <para>Idle means no run that counts has started for MailImport:Workflow:BatchIdleClose. Every run the admin asked
/// for counts. A scheduled run counts unless it ended with no mailbox done, partial or ready: a schedule whose every run
/// fails (the passwords were changed at the source, the domain was removed) keeps retrying, but it does not keep the
/// passwords alive; one mailbox that still syncs keeps the whole batch.</para>
/// <para>A batch with a schedule counts the schedule's next occurrence after that run as a run: it stays open while its
/// schedule keeps running it, however rare the schedule (a monthly one outlives a 30-day limit), and is closed one limit
/// after the first occurrence that went by without a run that counts.</para>
/// </remarks>
public static class BatchRetention
{
    /// <summary>How long a close that was marked but has not recorded its deletion is left to the caller that marked it
    /// before the timer finishes it: a close under way deletes in the meantime, and two deleting at once only repeat
    /// each other's work.</summary>
    public static readonly TimeSpan InterruptedCloseAfter = TimeSpan.FromMinutes(10);

    /// <summary>When the timer closes <paramref name="batch"/> unless a run that counts starts before; null once it is
    /// closed.</summary>
    public static DateTimeOffset? ClosesAt(BatchDefinition batch, TimeSpan idleClose)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Closed)
        {
            return null;
        }

        var lastActive = batch.Runs.LastOrDefault(Counts)?.StartedAt ?? batch.CreatedAt;
        var next = batch.Options.Schedule is { } schedule ? ScheduledReruns.NextOccurrence(schedule, lastActive) : null;
        return (next ?? lastActive) + idleClose;
    }

    /// <summary>Whether <paramref name="batch"/> was marked closed but its upload and secrets are not known to be deleted
    /// (the process that closed it died before it finished), long enough ago that nobody is deleting them now.</summary>
    public static bool HasInterruptedClose(BatchDefinition batch, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // A record closed before ClosedAt was kept has no mark time: its close is finished once, to be sure.
        return batch is { Closed: true, SecretsDeletedAt: null } && (batch.ClosedAt is not { } closedAt || now - closedAt >= InterruptedCloseAfter);
    }

    private static bool Counts(BatchRunRecord run) => !run.Scheduled || run.MailboxesSucceeded is not 0;
}
