using MailImport.Core.Batches;

namespace MailImport.Core.Reports;

/// <summary>What a run has to copy, counted at the source (LIST and STATUS) before its first chunk, so that its
/// progress is a share of a whole known in advance.</summary>
/// <param name="Mailboxes">Mailboxes the run takes.</param>
/// <param name="Counted">Of those, the ones counted so far (a mailbox whose source could not be counted counts as
/// counted, with nothing in it).</param>
/// <param name="Folders">Folders in the counted mailboxes.</param>
/// <param name="Messages">Messages in them.</param>
/// <param name="Bytes">Their bytes; null once a counted mailbox's source does not say (no STATUS=SIZE).</param>
/// <param name="MessagesToCopy">Messages not yet at the destination before the run: per mailbox, what the source
/// holds less what earlier runs copied.</param>
/// <param name="BytesToCopy">Their bytes, the same way; null when <paramref name="Bytes"/> is.</param>
public sealed record PlanTotals(int Mailboxes, int Counted, int Folders, long Messages, long? Bytes, long MessagesToCopy, long? BytesToCopy)
{
    /// <summary>Nothing counted yet of <paramref name="mailboxes"/> mailboxes.</summary>
    public static PlanTotals Of(int mailboxes) => new(mailboxes, 0, 0, 0, 0, 0, 0);

    /// <summary>True until every mailbox is counted.</summary>
    public bool Counting => Counted < Mailboxes;

    /// <summary>These totals with another part of the same run's, counted apart, added (its Mailboxes is that part's).</summary>
    public PlanTotals Plus(PlanTotals part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return new PlanTotals(Mailboxes, Counted + part.Counted, Folders + part.Folders, Messages + part.Messages,
            Bytes is { } bytes && part.Bytes is { } more ? bytes + more : null, MessagesToCopy + part.MessagesToCopy,
            BytesToCopy is { } toCopy && part.BytesToCopy is { } moreToCopy ? toCopy + moreToCopy : null);
    }

    /// <summary>These totals with one more mailbox counted.</summary>
    public PlanTotals Add(SourceCount count)
    {
        ArgumentNullException.ThrowIfNull(count);
        if (count.Failure is not null)
        {
            return this with { Counted = Counted + 1 };
        }

        var bytes = Bytes is { } sum && count.Bytes is { } more ? sum + more : (long?)null;
        var bytesToCopy = BytesToCopy is { } toCopy && count.Bytes is { } mailboxBytes ? toCopy + Math.Max(0, mailboxBytes - (count.Tally?.BytesBefore ?? 0)) : (long?)null;
        return new PlanTotals(Mailboxes, Counted + 1, Folders + count.Folders, Messages + count.Messages, bytes,
            MessagesToCopy + Math.Max(0, count.Messages - (count.Tally?.CopiedBefore ?? 0)), bytesToCopy);
    }
}

/// <summary>Where a run is in its work.</summary>
public enum RunPhase
{
    /// <summary>Counting the mailboxes at the source; no total is known yet.</summary>
    Counting,
    /// <summary>Copying: every mailbox is counted.</summary>
    Copying,
    /// <summary>The run has ended.</summary>
    Ended,
}

/// <summary>How far a run is, as a share of what its count found.</summary>
/// <param name="Phase">Counting, copying, or ended.</param>
/// <param name="Plan">The counted totals.</param>
/// <param name="MessagesDone">Messages the run has dealt with: copied (or found already there) or failed.</param>
/// <param name="BytesDone">Bytes the run has copied.</param>
/// <param name="Percent">The share done, 0 to 100; null while counting. Below 100 until the run ends.</param>
/// <param name="PercentOf">What the share is of: "bytes" when every source said its size, else "messages", or
/// "mailboxes" when there was nothing to copy.</param>
public sealed record RunProgress(RunPhase Phase, PlanTotals Plan, long MessagesDone, long BytesDone, int? Percent, string? PercentOf)
{
    /// <summary>The progress of a run with these totals and figures so far.</summary>
    /// <param name="plan">The counted totals.</param>
    /// <param name="run">What the run has done so far (its mailboxes' figures summed); null before any.</param>
    /// <param name="finishedMailboxes">Mailboxes the run is done with.</param>
    /// <param name="ended">True once the run has ended.</param>
    public static RunProgress Of(PlanTotals plan, RunSummary? run, int finishedMailboxes, bool ended)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var messages = (run?.MessagesCopied ?? 0) + (run?.MessagesFailed ?? 0);
        var bytes = run?.BytesCopied ?? 0;
        var phase = ended ? RunPhase.Ended : plan.Counting ? RunPhase.Counting : RunPhase.Copying;
        if (plan.Counting && !ended)
        {
            return new RunProgress(phase, plan, messages, bytes, null, null);
        }

        var (done, whole, of) = plan.BytesToCopy is > 0 and { } toCopy ? (bytes, toCopy, "bytes")
            : plan.MessagesToCopy > 0 ? (messages, plan.MessagesToCopy, "messages")
            : (finishedMailboxes, (long)Math.Max(1, plan.Mailboxes), "mailboxes");
        // A whole run is 100 only once it has ended: the last message's append is not the last step of a mailbox.
        var percent = ended && finishedMailboxes >= plan.Mailboxes ? 100 : (int)Math.Clamp(100 * done / whole, 0, 99);
        return new RunProgress(phase, plan, messages, bytes, percent, of);
    }
}
