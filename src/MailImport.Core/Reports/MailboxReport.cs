using MailImport.Core.Credentials;
using MailImport.Core.Errors;

namespace MailImport.Core.Reports;

/// <summary>Where one mailbox stands.</summary>
public enum MailboxStatus
{
    /// <summary>Waiting for its turn.</summary>
    Pending,
    /// <summary>Being imported now.</summary>
    Running,
    /// <summary>Every message was copied.</summary>
    Done,
    /// <summary>The mailbox was imported but some messages could not be copied.</summary>
    Partial,
    /// <summary>The mailbox could not be imported (login refused, destination refused, ...).</summary>
    Failed,
    /// <summary>The line broke the file grammar or the destination rules; nothing was tried.</summary>
    Invalid,
    /// <summary>A dry run found nothing in the way: a real run would import this mailbox.</summary>
    Ready,
    /// <summary>Waiting until <see cref="MailboxReport.PausedUntil"/> because the source account reached its download
    /// budget or its provider's limit; it goes on by itself then. Never an end state.</summary>
    Paused,
}

/// <summary>How much of a mailbox there is and how much has moved.</summary>
/// <param name="MessagesTotal">Messages found at the source.</param>
/// <param name="MessagesCopied">Messages now at the destination, including those already there from an earlier run.</param>
/// <param name="MessagesFailed">Messages that could not be copied.</param>
/// <param name="BytesTotal">Bytes found at the source.</param>
/// <param name="BytesCopied">Bytes now at the destination.</param>
/// <param name="Folders">Folders found at the source.</param>
/// <param name="AlreadyAtDestination">Messages not copied because the destination already held them, put there by
/// someone other than this batch (an earlier batch, the user); counted in <paramref name="MessagesCopied"/> too.</param>
/// <param name="NotExact">Messages copied though not byte for byte as the source had them; counted in
/// <paramref name="MessagesCopied"/> too, and the first <see cref="MailboxReport.MaxNotExactListed"/> of them listed
/// in <see cref="MailboxReport.NotExactMessages"/>.</param>
/// <param name="ArrivalDates">For a POP3 source, which has no INTERNALDATE: where each copied message's arrival date
/// came from; null for IMAP, whose INTERNALDATE is kept as it is.</param>
/// <param name="GmailLabels">For a Gmail source copied by message or per label, what became of its labels; null otherwise.</param>
public sealed record MailboxCounters(
    long MessagesTotal = 0,
    long MessagesCopied = 0,
    long MessagesFailed = 0,
    long BytesTotal = 0,
    long BytesCopied = 0,
    int Folders = 0,
    long AlreadyAtDestination = 0,
    long NotExact = 0,
    ArrivalDateCounts? ArrivalDates = null,
    GmailLabelCounts? GmailLabels = null)
{
    /// <summary>Nothing counted yet.</summary>
    public static MailboxCounters Zero { get; } = new();
}

/// <summary>How many copied messages took their arrival date (INTERNALDATE) from where.</summary>
/// <param name="DateHeader">From the Date header (RFC 5322 section 3.3, obsolete zones of section 4.3 included).</param>
/// <param name="Received">From the topmost Received header (RFC 5321 section 4.4): no readable Date header.</param>
/// <param name="ImportTime">Neither was readable: the destination dated the message at the import.</param>
public sealed record ArrivalDateCounts(long DateHeader = 0, long Received = 0, long ImportTime = 0)
{
    /// <summary>Both counts added up; null and null give null.</summary>
    public static ArrivalDateCounts? Add(ArrivalDateCounts? a, ArrivalDateCounts? b) =>
        a is null ? b : b is null ? a : new(a.DateHeader + b.DateHeader, a.Received + b.Received, a.ImportTime + b.ImportTime);
}

/// <summary>What a Gmail copy did with labels (https://developers.google.com/gmail/imap/imap-extensions, X-GM-LABELS):
/// nothing of All Mail, Spam or Trash is left out without a count here.</summary>
/// <param name="Labelled">Copied messages that had a label that is a folder (Inbox, Sent, Drafts or a user label).</param>
/// <param name="Labelless">Copied messages with no such label, archived mail seen only in All Mail: copied into Archive.</param>
/// <param name="LabelsAsKeywords">Further labels kept as IMAP keywords on the copies.</param>
/// <param name="LabelsNotKept">Further labels not kept: the destination folder takes no new keywords (no \* in its
/// PERMANENTFLAGS), or the label has no keyword form, or it names a second system folder (Inbox on a sent message).</param>
/// <param name="SpamNotCopied">Messages in Gmail's Spam, not copied (Spam was not asked for).</param>
/// <param name="TrashNotCopied">Messages in Gmail's Trash, not copied (Trash was not asked for).</param>
/// <param name="Folders">A dry run's plan: how many messages each destination folder would take (by the label's name, or
/// INBOX, Sent, Drafts, Archive); null after a copy.</param>
public sealed record GmailLabelCounts(long Labelled = 0, long Labelless = 0, long LabelsAsKeywords = 0, long LabelsNotKept = 0, long SpamNotCopied = 0, long TrashNotCopied = 0,
    IReadOnlyList<GmailFolderCount>? Folders = null)
{
    /// <summary>Both counts added up, without the dry run's folders; null and null give null.</summary>
    public static GmailLabelCounts? Add(GmailLabelCounts? a, GmailLabelCounts? b) =>
        a is null ? b is null ? null : b with { Folders = null } : b is null ? a with { Folders = null }
        : new(a.Labelled + b.Labelled, a.Labelless + b.Labelless, a.LabelsAsKeywords + b.LabelsAsKeywords, a.LabelsNotKept + b.LabelsNotKept,
            a.SpamNotCopied + b.SpamNotCopied, a.TrashNotCopied + b.TrashNotCopied);
}

/// <summary>One destination folder of a Gmail dry run's plan.</summary>
/// <param name="Folder">The folder: INBOX, Sent, Drafts, Archive (the destination's folders of those uses), or a label's name ("Projects/Alpha").</param>
/// <param name="Messages">Messages it would take.</param>
public sealed record GmailFolderCount(string Folder, long Messages);

/// <summary>One message copied, but not byte for byte as the source had it, and why.</summary>
/// <param name="Folder">The source folder (INBOX for POP3).</param>
/// <param name="Uid">The IMAP UID at the source, when the source is IMAP.</param>
/// <param name="Uidl">The POP3 UIDL, when the source is POP3.</param>
/// <param name="Size">The message's size in bytes at the source.</param>
/// <param name="Reason">What differs.</param>
public sealed record NotExactMessage(string Folder, uint? Uid, string? Uidl, long Size, string Reason);

/// <summary>One message that could not be copied, and why.</summary>
/// <param name="Folder">The source folder (INBOX for POP3).</param>
/// <param name="Uid">The IMAP UID at the source, when the source is IMAP.</param>
/// <param name="Uidl">The POP3 UIDL, when the source is POP3.</param>
/// <param name="Size">The message's size in bytes, when known.</param>
/// <param name="Code">Why it failed.</param>
/// <param name="Reason">The server's words or our explanation.</param>
public sealed record MessageFailure(string Folder, uint? Uid, string? Uidl, long? Size, ErrorCode Code, string Reason);

/// <summary>What became of a source folder that is worth its own line.</summary>
public enum FolderOutcome
{
    /// <summary>Copied, under another name than the source's (the reason says why).</summary>
    Renamed,
    /// <summary>Not copied in this run: the source refused to open it or to say what it holds; the next run tries it again.</summary>
    NotCopied,
}

/// <summary>One source folder the report names: renamed on the way, or not copied.</summary>
/// <param name="SourceFolder">The folder's name at the source.</param>
/// <param name="DestinationFolder">Its name at the destination; null when it was not copied.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Code">Why it was not copied, from the catalogue; null for a rename.</param>
/// <param name="Reason">What happened, in words: the rename rule that applied, or the server's answer.</param>
public sealed record FolderNote(string SourceFolder, string? DestinationFolder, FolderOutcome Outcome, ErrorCode? Code, string Reason);

/// <summary>The report line of one mailbox.</summary>
/// <param name="LineNumber">The credential file line (or JSON entry) it came from.</param>
/// <param name="SourceLogin">The login at the source; empty when the line had none.</param>
/// <param name="DestinationUsername">The destination username; empty when the line never got that far.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Code">The first error, when there is one.</param>
/// <param name="Message">What happened, in words about this mailbox.</param>
/// <param name="Fix">What the admin should do, from the catalogue.</param>
/// <param name="Counters">Messages and bytes.</param>
/// <param name="Duration">Time spent on the mailbox across runs.</param>
/// <param name="FailedMessages">Messages that could not be copied.</param>
/// <param name="Folders">Source folders renamed on the way or not copied; null when there are none.</param>
/// <param name="NotExactMessages">Messages copied but not byte for byte: the first <see cref="MaxNotExactListed"/>
/// (their count is <see cref="MailboxCounters.NotExact"/>); null when there are none.</param>
/// <param name="LastRun">What the last run that took this mailbox did, next to the cumulative counters; null for a
/// line no run has taken (an invalid line, a pending mailbox).</param>
public sealed record MailboxReport(
    int LineNumber,
    string SourceLogin,
    string DestinationUsername,
    MailboxStatus Status,
    ErrorCode? Code,
    string? Message,
    string? Fix,
    MailboxCounters Counters,
    TimeSpan Duration,
    IReadOnlyList<MessageFailure> FailedMessages,
    IReadOnlyList<FolderNote>? Folders = null,
    IReadOnlyList<NotExactMessage>? NotExactMessages = null,
    RunFigures? LastRun = null)
{
    /// <summary>How many not-exact messages a report line lists at most, so a report stays small whatever a mailbox
    /// holds; the count in <see cref="MailboxCounters.NotExact"/> is complete.</summary>
    public const int MaxNotExactListed = 100;

    /// <summary>While <see cref="Status"/> is <see cref="MailboxStatus.Paused"/>: when the mailbox goes on by itself.</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>The report line of a mailbox line that broke the grammar or the rules: one line, every problem in the message.</summary>
    public static MailboxReport ForInvalidLine(int lineNumber, IReadOnlyList<CredentialProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0 || problems.Any(p => p.LineNumber != lineNumber))
        {
            throw new ArgumentException("Give at least one problem, all of this line.", nameof(problems));
        }

        var first = problems[0];
        return new MailboxReport(
            lineNumber,
            problems.Select(p => p.SourceLogin).FirstOrDefault(l => l is not null) ?? "",
            problems.Select(p => p.DestinationUsername).FirstOrDefault(u => u is not null) ?? "",
            MailboxStatus.Invalid,
            first.Code,
            string.Join(" ", problems.Select(p => p.Message)),
            ErrorCatalog.Get(first.Code).Fix,
            MailboxCounters.Zero,
            TimeSpan.Zero,
            []);
    }

    /// <summary>The report lines of every invalid line of a parse result, in line order.</summary>
    public static IReadOnlyList<MailboxReport> ForInvalidLines(CredentialParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.Problems
            .Where(p => !p.IsFileLevel)
            .GroupBy(p => p.LineNumber)
            .OrderBy(g => g.Key)
            .Select(g => ForInvalidLine(g.Key, g.ToList()))
            .ToList();
    }
}

/// <summary>The whole report of one batch.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Domain">The destination domain.</param>
/// <param name="DryRun">True when nothing was created or copied.</param>
/// <param name="StartedAt">When the batch started.</param>
/// <param name="FinishedAt">When the last run ended; null while running.</param>
/// <param name="Mailboxes">One line per mailbox, in credential file order.</param>
/// <param name="Runs">What each run did, oldest first (reports written before runs were summed have none).</param>
public sealed record BatchReport(
    string BatchId,
    string Domain,
    bool DryRun,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<MailboxReport> Mailboxes,
    IReadOnlyList<RunSummary>? Runs = null)
{
    /// <summary>How many mailboxes are in each status.</summary>
    public IReadOnlyDictionary<MailboxStatus, int> CountByStatus =>
        Mailboxes.GroupBy(m => m.Status).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>The counters of all mailboxes added up.</summary>
    public MailboxCounters Totals => Mailboxes.Aggregate(MailboxCounters.Zero, (sum, m) => new MailboxCounters(
        sum.MessagesTotal + m.Counters.MessagesTotal,
        sum.MessagesCopied + m.Counters.MessagesCopied,
        sum.MessagesFailed + m.Counters.MessagesFailed,
        sum.BytesTotal + m.Counters.BytesTotal,
        sum.BytesCopied + m.Counters.BytesCopied,
        sum.Folders + m.Counters.Folders,
        sum.AlreadyAtDestination + m.Counters.AlreadyAtDestination,
        sum.NotExact + m.Counters.NotExact,
        ArrivalDateCounts.Add(sum.ArrivalDates, m.Counters.ArrivalDates),
        GmailLabelCounts.Add(sum.GmailLabels, m.Counters.GmailLabels)));
}

/// <summary>What one run did for one mailbox. The copied figures count, as the cumulative ones do, messages found
/// already at the destination; <see cref="AlreadyAtDestination"/> says how many of them were.</summary>
/// <param name="RunId">The run.</param>
/// <param name="StartedAt">When the run took the mailbox.</param>
/// <param name="FinishedAt">When it was done with it; while it runs, the time of this figure.</param>
/// <param name="MessagesCopied">Messages that reached the destination in this run.</param>
/// <param name="BytesCopied">Their bytes.</param>
/// <param name="FlagsUpdated">Messages copied earlier whose flags this run brought up to date.</param>
/// <param name="AlreadyAtDestination">Messages not appended because the destination held them already.</param>
/// <param name="NotExact">Messages this run could not send byte for byte.</param>
/// <param name="MessagesFailed">Messages this run could not copy.</param>
/// <param name="FoldersCreated">Folders this run created at the destination.</param>
public sealed record RunFigures(
    string RunId,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    long MessagesCopied,
    long BytesCopied,
    long FlagsUpdated,
    long AlreadyAtDestination,
    long NotExact,
    long MessagesFailed,
    int FoldersCreated = 0)
{
    /// <summary>How long the run spent on the mailbox.</summary>
    public TimeSpan Duration => FinishedAt - StartedAt;
}

/// <summary>What one run did across the batch: its mailboxes' <see cref="RunFigures"/> added up.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Mode">Which mailboxes and how, as the run was asked.</param>
/// <param name="StartedAt">When the run started.</param>
/// <param name="FinishedAt">When it ended; while it runs, the time of this summary.</param>
/// <param name="Mailboxes">Mailboxes the run took.</param>
/// <param name="Succeeded">Of those, the ones done, partly done or ready.</param>
/// <param name="Failed">Of those, the ones that failed.</param>
/// <param name="MessagesCopied"><see cref="RunFigures.MessagesCopied"/> over the run's mailboxes.</param>
/// <param name="BytesCopied"><see cref="RunFigures.BytesCopied"/> over the run's mailboxes.</param>
/// <param name="FlagsUpdated"><see cref="RunFigures.FlagsUpdated"/> over the run's mailboxes.</param>
/// <param name="AlreadyAtDestination"><see cref="RunFigures.AlreadyAtDestination"/> over the run's mailboxes.</param>
/// <param name="NotExact"><see cref="RunFigures.NotExact"/> over the run's mailboxes.</param>
/// <param name="MessagesFailed"><see cref="RunFigures.MessagesFailed"/> over the run's mailboxes.</param>
/// <param name="FoldersCreated"><see cref="RunFigures.FoldersCreated"/> over the run's mailboxes.</param>
public sealed record RunSummary(
    string RunId,
    MailImport.Core.Batches.RunMode Mode,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    int Mailboxes,
    int Succeeded,
    int Failed,
    long MessagesCopied,
    long BytesCopied,
    long FlagsUpdated,
    long AlreadyAtDestination,
    long NotExact,
    long MessagesFailed,
    int FoldersCreated = 0)
{
    /// <summary>How long the run took.</summary>
    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>The run's summary from the report lines it took (those whose <see cref="MailboxReport.LastRun"/> is
    /// this run).</summary>
    public static RunSummary Of(string runId, MailImport.Core.Batches.RunMode mode, DateTimeOffset startedAt, DateTimeOffset finishedAt, IEnumerable<MailboxReport> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var taken = lines.Where(l => l.LastRun?.RunId == runId).ToList();
        var figures = taken.Select(l => l.LastRun!).ToList();
        return new RunSummary(runId, mode, startedAt, finishedAt, taken.Count,
            taken.Count(l => l.Status is MailboxStatus.Done or MailboxStatus.Partial or MailboxStatus.Ready),
            taken.Count(l => l.Status == MailboxStatus.Failed),
            figures.Sum(f => f.MessagesCopied), figures.Sum(f => f.BytesCopied), figures.Sum(f => f.FlagsUpdated),
            figures.Sum(f => f.AlreadyAtDestination), figures.Sum(f => f.NotExact), figures.Sum(f => f.MessagesFailed), figures.Sum(f => f.FoldersCreated));
    }
}
