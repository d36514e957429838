using MailImport.Core;
using MailImport.Core.Errors;

namespace MailImport.Infrastructure.Provisioning;

/// <summary>What asking the destination for a mailbox came to.</summary>
public enum ProvisioningOutcome
{
    /// <summary>The mailbox was created now.</summary>
    Created,
    /// <summary>The mailbox was already there (an earlier run, or the admin made it); its password is left alone.</summary>
    AlreadyExists,
    /// <summary>The destination refused; <see cref="ProvisioningResult.Failure"/> says why.</summary>
    Refused,
}

/// <summary>The answer to "ensure this mailbox exists".</summary>
/// <param name="Outcome">Created, already there, or refused.</param>
/// <param name="Failure">For a refusal, its catalogue code and the destination's reason in words.</param>
public sealed record ProvisioningResult(ProvisioningOutcome Outcome, MailFailure? Failure = null)
{
    /// <summary>The destination refused the mailbox, for a reason no retry changes.</summary>
    public static ProvisioningResult Refused(ErrorCode code, string reason) => new(ProvisioningOutcome.Refused, MailFailure.Permanent(code, reason));
}

/// <summary>The destination's directory: is the domain confirmed, and make sure a mailbox exists.</summary>
/// <remarks>
/// Expected refusals come back as data (<see cref="ProvisioningOutcome.Refused"/>). Faults a retry may cure
/// (throttling, the service unreachable) throw <see cref="DirectoryUnavailableException"/>; a token the service
/// rejects throws <see cref="DirectoryUnauthorizedException"/>. Both are a <see cref="DirectoryException"/> whose
/// <see cref="DirectoryException.Failure"/> is the fault classified.
/// </remarks>
public interface IDestinationDirectory
{
    /// <summary>True when the domain is confirmed, so mailboxes may be created in it.</summary>
    Task<bool> IsDomainConfirmedAsync(string domain, CancellationToken cancellationToken);

    /// <summary>True when no mailbox has this username yet (a dry run's check).</summary>
    Task<bool> IsUsernameFreeAsync(string domain, string username, CancellationToken cancellationToken);

    /// <summary>Creates the mailbox unless it exists.</summary>
    Task<ProvisioningResult> EnsureMailboxAsync(string domain, string username, Secret password, CancellationToken cancellationToken);
}

/// <summary>A fault of the directory service itself (not a refusal of one mailbox), classified into the catalogue.</summary>
public abstract class DirectoryException(string message, Exception? innerException) : Exception(message, innerException)
{
    /// <summary>The fault as the catalogue names it.</summary>
    public abstract MailFailure Failure { get; }
}

/// <summary>The directory service could not be reached or asked us to slow down; a retry may succeed.</summary>
public sealed class DirectoryUnavailableException(string message, TimeSpan? retryAfter = null, Exception? innerException = null)
    : DirectoryException(message, innerException)
{
    /// <summary>The delay the service asked for, if any.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <inheritdoc/>
    public override MailFailure Failure => MailFailure.Transient(ErrorCode.DestinationUnavailable, Message, RetryAfter);
}

/// <summary>The directory service refused our credentials (an expired or under-privileged OAuth token).</summary>
public sealed class DirectoryUnauthorizedException(string message, Exception? innerException = null) : DirectoryException(message, innerException)
{
    /// <inheritdoc/>
    public override MailFailure Failure => MailFailure.Permanent(ErrorCode.DestinationApiUnauthorized, Message);
}

/// <summary>The directory service does not know the organisation MailImport is set up for (a wrong organisation id):
/// no mailbox can be checked or created until the setting is fixed.</summary>
public sealed class DirectoryOrganizationNotFoundException(string message, Exception? innerException = null) : DirectoryException(message, innerException)
{
    /// <inheritdoc/>
    public override MailFailure Failure => MailFailure.Permanent(ErrorCode.DestinationOrganizationNotFound, Message);
}
