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

/// <summary>A mailbox the destination's directory already holds.</summary>
/// <param name="Username">Its username (Yandex 360: the employee's nickname), lower-case.</param>
/// <param name="ExternalId">The id the creator attached to it, if any; MailImport writes <see cref="NewMailbox.ExternalIdOf"/>.</param>
public sealed record DirectoryMailbox(string Username, string? ExternalId = null);

/// <summary>A mailbox to create.</summary>
/// <param name="Domain">The destination domain.</param>
/// <param name="Username">The username (the local part of its address).</param>
/// <param name="Password">Its password.</param>
/// <param name="ExternalId">The batch and line that create it (<see cref="ExternalIdOf"/>), so a later run knows
/// the mailbox for its own.</param>
/// <param name="FirstName">The employee's first name, when the admin gave one.</param>
/// <param name="LastName">The employee's last name, when the admin gave one.</param>
public sealed record NewMailbox(string Domain, string Username, Secret Password, string ExternalId, string? FirstName = null, string? LastName = null)
{
    /// <summary>The external id of the mailbox a batch's line creates: "mailimport:{batchId}:{line}".</summary>
    public static string ExternalIdOf(string batchId, int line) => $"mailimport:{batchId}:{line.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>The destination's directory: is the domain confirmed, which mailboxes exist, create one.</summary>
/// <remarks>
/// <para>A run reads the mailboxes once (<see cref="ListMailboxesAsync"/>) and answers "does it exist" from that
/// list for every line, so a batch of thousands of lines costs a few list pages, not a lookup per line.</para>
/// <para>Expected refusals come back as data (<see cref="ProvisioningOutcome.Refused"/>). Faults a retry may cure
/// (throttling, the service unreachable) throw <see cref="DirectoryUnavailableException"/>; a token the service
/// rejects throws <see cref="DirectoryUnauthorizedException"/>. Both are a <see cref="DirectoryException"/> whose
/// <see cref="DirectoryException.Failure"/> is the fault classified.</para>
/// </remarks>
public interface IDestinationDirectory
{
    /// <summary>True when the domain is confirmed, so mailboxes may be created in it.</summary>
    Task<bool> IsDomainConfirmedAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Every mailbox a new one in <paramref name="domain"/> could collide with.</summary>
    Task<IReadOnlyList<DirectoryMailbox>> ListMailboxesAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Creates the mailbox; one that turns out to exist already (made meanwhile) is
    /// <see cref="ProvisioningOutcome.AlreadyExists"/> and keeps its password.</summary>
    Task<ProvisioningResult> CreateMailboxAsync(NewMailbox mailbox, CancellationToken cancellationToken);

    /// <summary>The organisation the mailboxes of <paramref name="domain"/> belong to, the one name every domain of it
    /// shares: what a limit of mailboxes per destination organisation counts by. Names no secret.</summary>
    string OrganisationOf(string domain);
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

/// <summary>The directory's mailboxes as one run read them, before it created any: every line of the run is checked
/// against it instead of asking the directory again.</summary>
/// <param name="RunId">The run that read it.</param>
/// <param name="Mailboxes">The mailboxes, usernames lower-case.</param>
public sealed record DirectorySnapshot(string RunId, IReadOnlyList<DirectoryMailbox> Mailboxes);
