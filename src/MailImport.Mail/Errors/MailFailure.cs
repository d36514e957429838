using MailImport.Core.Errors;

namespace MailImport.Mail.Errors;

/// <summary>Which server a failure came from.</summary>
public enum MailSide
{
    /// <summary>The old provider's server we read from.</summary>
    Source,
    /// <summary>The destination IMAP server we append to.</summary>
    Destination,
}

/// <summary>A failure classified once into the catalogue: what happened, whether a retry can cure it, and
/// how long the server asked us to wait.</summary>
/// <param name="Code">The catalogue code.</param>
/// <param name="Message">What happened, for the admin; the server's own words where they help. Never a password.</param>
/// <param name="IsTransient">True when the same step may succeed later (throttling, timeouts, dropped connections).</param>
/// <param name="RetryAfter">The delay the server hinted at (Gmail's "Suggested Backoff Time"), if any.</param>
public sealed record MailFailure(ErrorCode Code, string Message, bool IsTransient, TimeSpan? RetryAfter = null);

/// <summary>Carries a classified failure out of the engine; the workflow turns it into a report line or a retry.</summary>
public sealed class MailFailureException : Exception
{
    /// <summary>Wraps a classified failure.</summary>
    public MailFailureException(MailFailure failure, Exception? innerException = null)
        : base(failure?.Message, innerException) =>
        Failure = failure ?? throw new ArgumentNullException(nameof(failure));

    /// <summary>The classified failure.</summary>
    public MailFailure Failure { get; }
}
