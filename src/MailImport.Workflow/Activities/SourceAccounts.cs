using MailImport.Core.Batches;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Mail.Connections;

namespace MailImport.Workflow.Activities;

/// <summary>A mailbox's source account, and who can explain the source's refusal of it.</summary>
/// <param name="Account">The login with the line's password, or with a token (SASL XOAUTH2).</param>
/// <param name="Tokens">The batch's token provider; null for a batch that logs in with passwords.</param>
public sealed record SourceLogin(MailAccount Account, ISourceTokenProvider? Tokens)
{
    /// <summary>A failure of the login with this account in the words of its credential: a valid token the source refused
    /// means something else than a wrong password (<see cref="ISourceTokenProvider.ExplainRefusedLogin"/>).</summary>
    public Core.Errors.MailFailure Explain(Core.Errors.MailFailure failure) => Tokens?.ExplainRefusedLogin(failure) ?? failure;
}

/// <summary>How the steps log in at the source: with each line's sealed password, or, for a batch that logs in with a
/// Google service account or a Microsoft app, with a token its provider gets for the mailbox.</summary>
/// <remarks>
/// <para>Google's service account asks a token for each mailbox, impersonating it (the JWT's <c>sub</c>), as "Using OAuth
/// 2.0 for Server to Server Applications" describes domain-wide delegation
/// (https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority); a Microsoft app asks
/// one token for itself and logs in to each mailbox with it, as "Authenticate an IMAP, POP or SMTP connection using
/// OAuth" describes the client credentials flow
/// (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#use-client-credentials-grant-flow-to-authenticate-smtp-imap-and-pop-connections).
/// Both send it with SASL XOAUTH2.</para>
/// <para>The key or client secret is unsealed from the batch's secrets only when the process has no provider of the
/// batch yet (<see cref="SourceTokenProviders"/> keeps one per batch); it reaches no input, output or log.</para>
/// </remarks>
public sealed class SourceAccounts(BatchSecrets secrets, SourceTokenProviders providers)
{
    /// <summary>The source account of <paramref name="entry"/>; a token refused by its token service throws
    /// <see cref="Mail.Errors.MailFailureException"/> with its catalogue code (the refusal is the token service's, so it
    /// is not explained as a refused login).</summary>
    public async Task<SourceLogin> ForAsync(BatchDefinition batch, ManifestEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(entry);
        if (!batch.Authentication.Type.UsesTokens())
        {
            return new SourceLogin(new MailAccount(entry.SourceLogin, await secrets.GetAsync(batch.BatchId, entry.Line, LinePassword.Source, cancellationToken)), null);
        }

        var tokens = await providers.ForAsync(batch.BatchId, batch.Authentication, () => secrets.GetSourceCredentialAsync(batch.BatchId, cancellationToken));
        return new SourceLogin(await tokens.ForAsync(entry.SourceLogin, cancellationToken), tokens);
    }
}
