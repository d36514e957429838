namespace MailImport.Core.Errors;

/// <summary>A failure classified once into the catalogue: what happened, whether a retry can cure it, and how long
/// the server asked us to wait. The one shape a failure has from the engine to the report.</summary>
/// <param name="Code">The catalogue code.</param>
/// <param name="Message">What happened, for the admin; the server's own words where they help. Never a password.</param>
/// <param name="IsTransient">True when the same step may succeed later (throttling, timeouts, dropped connections).</param>
/// <param name="RetryAfter">The delay the server hinted at (Gmail's "Suggested Backoff Time"), if any.</param>
public sealed record MailFailure(ErrorCode Code, string Message, bool IsTransient, TimeSpan? RetryAfter = null)
{
    /// <summary>A failure no retry cures: it is reported and its mailbox (or run) ends.</summary>
    public static MailFailure Permanent(ErrorCode code, string message) => new(code, message, false);

    /// <summary>A failure a later attempt may get past; the retry waits at least <paramref name="retryAfter"/> when given.</summary>
    public static MailFailure Transient(ErrorCode code, string message, TimeSpan? retryAfter = null) => new(code, message, true, retryAfter);
}
