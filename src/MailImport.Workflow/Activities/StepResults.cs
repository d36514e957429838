using System.Globalization;
using MailImport.Core.Errors;
using MailImport.Core.Reports;

namespace MailImport.Workflow.Activities;

/// <summary>An expected outcome of a step, as data: either fine, or a catalogue code with a message.</summary>
/// <param name="Ok">True when the step succeeded.</param>
/// <param name="Code">The error when it did not.</param>
/// <param name="Message">What happened.</param>
public sealed record StepResult(bool Ok, ErrorCode? Code = null, string? Message = null)
{
    /// <summary>Success.</summary>
    public static StepResult Success { get; } = new(true);

    /// <summary>A failure with its code and message.</summary>
    public static StepResult Failed(ErrorCode code, string message) => new(false, code, message);
}

/// <summary>What ingestion did.</summary>
/// <param name="Entries">Mailboxes to import.</param>
/// <param name="Invalid">Lines that cannot be imported.</param>
/// <param name="FileProblem">The file-level failure, when the file could not be read at all.</param>
public sealed record IngestResult(int Entries, int Invalid, StepResult? FileProblem = null);

/// <summary>What logging in at the source found: the dry run's figures, or why it failed.</summary>
/// <param name="Result">Success, or the classified failure.</param>
/// <param name="Folders">Folders that would be copied.</param>
/// <param name="Messages">Messages at the source.</param>
/// <param name="Bytes">Bytes at the source, where it says.</param>
public sealed record SourceCheckResult(StepResult Result, IReadOnlyList<string> Folders, long Messages, long Bytes);

/// <summary>One chunk's result as the orchestration keeps it: counts, no message content.</summary>
/// <param name="Completed">True when the mailbox is fully copied for this run.</param>
/// <param name="Counters">The mailbox's counters after the chunk.</param>
/// <param name="FailedMessages">Messages that could not be copied.</param>
/// <param name="Failure">Set when the mailbox cannot go on (permanent failure).</param>
public sealed record ChunkSummary(bool Completed, MailboxCounters Counters, IReadOnlyList<MessageFailure> FailedMessages, StepResult? Failure = null);

/// <summary>Thrown by an activity for a failure a retry may cure; the orchestration retries it with backoff,
/// waiting at least as long as the server asked.</summary>
/// <remarks>
/// Failure details cross the orchestration boundary as a type name and a message only, so the code and the hinted
/// delay travel in the message: "[Code|seconds] text". <see cref="TryParse"/> reads them back.
/// </remarks>
public sealed class TransientStepException(ErrorCode code, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
    : Exception(Format(code, message, retryAfter), innerException)
{
    /// <summary>The catalogue code.</summary>
    public ErrorCode Code { get; } = code;

    /// <summary>The delay the server hinted at.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    private static string Format(ErrorCode code, string message, TimeSpan? retryAfter) =>
        $"[{code}|{(retryAfter is { } r ? ((long)r.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "")}] {message}";

    /// <summary>Reads the code, delay and text back out of a failure message.</summary>
    public static bool TryParse(string? failureMessage, out ErrorCode code, out TimeSpan? retryAfter, out string text)
    {
        code = default;
        retryAfter = null;
        text = failureMessage ?? "";
        if (failureMessage is null || !failureMessage.StartsWith('['))
        {
            return false;
        }

        var end = failureMessage.IndexOf("] ", StringComparison.Ordinal);
        var parts = end < 0 ? [] : failureMessage[1..end].Split('|');
        if (parts.Length != 2 || !Enum.TryParse(parts[0], out code))
        {
            return false;
        }

        if (long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }

        text = failureMessage[(end + 2)..];
        return true;
    }
}
