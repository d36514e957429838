using MailImport.Core;
using MailImport.Core.Errors;

namespace MailImport.Mail.Connections;

/// <summary>Gives the OAuth 2.0 access token that logs in to one source mailbox with SASL XOAUTH2.</summary>
/// <remarks>Tokens are kept in memory only, for their lifetime, and a new one is fetched before the old one expires;
/// a provider refuses with a <see cref="Errors.MailFailureException"/> carrying a catalogue code.</remarks>
public interface ISourceTokenProvider
{
    /// <summary>A token for the mailbox <paramref name="login"/>, usable for at least a few minutes.</summary>
    Task<Secret> GetTokenAsync(string login, CancellationToken cancellationToken);

    /// <summary>What a source's refusal of a login with a token this provider issued means, for the admin: the token
    /// was good, so a plain <see cref="ErrorCode.SourceAuthFailed"/> ("check the password") would send them the wrong
    /// way. The default keeps the failure as it is.</summary>
    MailFailure ExplainRefusedLogin(MailFailure failure) => failure;
}

/// <summary>The source account of a mailbox reached with tokens.</summary>
public static class TokenSourceAccounts
{
    /// <summary>An account that logs in to <paramref name="login"/> with SASL XOAUTH2 and the provider's token.</summary>
    public static async Task<MailAccount> ForAsync(this ISourceTokenProvider provider, string login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return MailAccount.WithAccessToken(login, await provider.GetTokenAsync(login, cancellationToken));
    }
}
