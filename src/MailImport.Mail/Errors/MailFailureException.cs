using MailImport.Core.Errors;

namespace MailImport.Mail.Errors;

/// <summary>Carries a classified <see cref="MailFailure"/> out of the engine (and, for a transient one, out of an
/// activity to the orchestration's retry loop); the workflow turns it into a report line or a retry.</summary>
public sealed class MailFailureException : Exception
{
    /// <summary>Wraps a classified failure.</summary>
    public MailFailureException(MailFailure failure, Exception? innerException = null)
        : base(failure?.Message, innerException) =>
        Failure = failure ?? throw new ArgumentNullException(nameof(failure));

    /// <summary>The classified failure.</summary>
    public MailFailure Failure { get; }
}
