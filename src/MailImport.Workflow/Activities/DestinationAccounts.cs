using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Rules;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Activities;

/// <summary>How the copy logs in at the destination: with the mailbox's password, or, when Yandex 360 has a service
/// application configured, with the token Yandex ID issues it for the employee (XOAUTH2).</summary>
public sealed class DestinationAccounts(BatchSecrets secrets, Yandex360MailTokens tokens, IOptions<PlatformOptions> platform)
{
    /// <summary>True when mail is written with the service application's tokens, so no destination password is
    /// needed once the mailbox exists.</summary>
    public bool UsesTokens => platform.Value.Directory == DirectoryKind.Yandex360 && tokens.Configured;

    /// <summary>The destination account of one mailbox of a batch; a token batch's line that gave no new password, at a
    /// destination written with passwords, throws <see cref="MailFailureException"/> with
    /// <see cref="ErrorCode.DestinationPasswordMissing"/>.</summary>
    public async Task<MailAccount> ForAsync(BatchDefinition batch, ManifestEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var login = LoginOf(entry, batch.Domain);
        if (UsesTokens)
        {
            return MailAccount.WithAccessToken(login, await tokens.GetAsync(login, cancellationToken));
        }

        try
        {
            return new MailAccount(login, await secrets.GetAsync(batch.BatchId, entry.Line, LinePassword.Destination, cancellationToken));
        }
        catch (KeyNotFoundException) when (batch.Authentication.Type.UsesTokens())
        {
            throw new MailFailureException(PasswordMissing(login));
        }
    }

    /// <summary>For a dry run: the failure a real run meets for want of a destination password, or null. A password
    /// batch's line always has one (the new password, else the source's); a token batch's line has one only when it gave
    /// a new password. A mailbox to be created gets a generated one when the line gave none
    /// (<see cref="PasswordToCreateAsync"/>); a mailbox that exists needs the line's to be written to, unless the service
    /// application's token does.</summary>
    public async Task<MailFailure?> CheckPasswordAsync(BatchDefinition batch, ManifestEntry entry, bool mailboxExists, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.Authentication.Type.UsesTokens() || !mailboxExists || UsesTokens)
        {
            return null;
        }

        try
        {
            await secrets.GetAsync(batch.BatchId, entry.Line, LinePassword.Destination, cancellationToken);
            return null;
        }
        catch (KeyNotFoundException)
        {
            return PasswordMissing(LoginOf(entry, batch.Domain));
        }
    }

    /// <summary>The password to create the line's mailbox with: the line's destination password; for a token line that
    /// gave none, a generated one (<see cref="GeneratedPasswords"/>), drawn once for the line and kept as the line's
    /// destination password too, so the copy logs in with it. Null when a password line's destination password is no
    /// longer kept.</summary>
    /// <remarks>Every destination MailImport creates mailboxes in needs a password for it: the Dovecot directory's
    /// passwd-file, and Yandex 360's UserService_Create, whose <c>password</c> is required
    /// (https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_Create), with or without a service application.
    /// A mailbox that exists already never gets one: the run does not create it.</remarks>
    public async Task<Core.Secret?> PasswordToCreateAsync(BatchDefinition batch, ManifestEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            return await secrets.GetAsync(batch.BatchId, entry.Line, LinePassword.Destination, cancellationToken);
        }
        catch (KeyNotFoundException) when (batch.Authentication.Type.UsesTokens())
        {
            var password = await secrets.GeneratedPasswordAsync(batch.BatchId, entry.Line, LoginOf(entry, batch.Domain),
                () => GeneratedPasswords.For(entry.DestinationUsername), cancellationToken);
            await secrets.SetDestinationPasswordAsync(batch.BatchId, entry.Line, password, cancellationToken);
            return password;
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Once the line's mailbox exists: its pending generated password, if it is the line's destination password
    /// (the one the mailbox was created with), becomes the admin's to download.</summary>
    public async Task HandOutGeneratedAsync(BatchDefinition batch, ManifestEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(entry);
        if (!batch.Authentication.Type.UsesTokens())
        {
            return;
        }

        Core.Secret? password;
        try
        {
            password = await secrets.GetAsync(batch.BatchId, entry.Line, LinePassword.Destination, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            password = null;
        }

        await secrets.HandOutGeneratedAsync(batch.BatchId, entry.Line, password, cancellationToken);
    }

    /// <summary>Why a token batch's line cannot be written without a new password.</summary>
    public static MailFailure PasswordMissing(string login) => MailFailure.Permanent(ErrorCode.DestinationPasswordMissing,
        $"The line gives no password for the mailbox {login}, and the source is logged in to with tokens, so there is no source password to use for it; give one in a corrected file (login newlogin newpassword).");

    /// <summary>The destination mailbox's login: the line's destination username at the batch's domain.</summary>
    public static string LoginOf(ManifestEntry entry, string domain)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return $"{entry.DestinationUsername}@{domain}";
    }

    /// <summary>For a dry run: whether Yandex ID gives the service application a token for an existing mailbox, as the
    /// copy will ask it to. Null when it does; the refusal otherwise (a transient fault throws for a retry).</summary>
    public async Task<MailFailure?> CheckTokenAsync(string login, CancellationToken cancellationToken)
    {
        try
        {
            await tokens.GetAsync(login, cancellationToken);
            return null;
        }
        catch (MailFailureException e) when (!e.Failure.IsTransient)
        {
            return e.Failure;
        }
    }

    /// <summary>A login failure in the words of the credential that failed: with tokens, the destination refused the
    /// service application's token, not a password the admin could correct in the file.</summary>
    public MailFailure Explain(MailFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return UsesTokens && failure.Code == ErrorCode.DestinationAuthFailed
            ? MailFailure.Permanent(ErrorCode.DestinationServiceApplicationRefused,
                $"The destination's IMAP refused the service application's token: {failure.Message}")
            : failure;
    }
}
