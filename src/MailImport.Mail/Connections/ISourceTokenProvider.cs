using MailImport.Core;

namespace MailImport.Mail.Connections;

/// <summary>Gives the OAuth 2.0 access token that logs in to one source mailbox with SASL XOAUTH2.</summary>
/// <remarks>Tokens are kept in memory only, for their lifetime, and a new one is fetched before the old one expires;
/// a provider refuses with a <see cref="Errors.MailFailureException"/> carrying a catalogue code.</remarks>
public interface ISourceTokenProvider
{
    /// <summary>A token for the mailbox <paramref name="login"/>, usable for at least a few minutes.</summary>
    Task<Secret> GetTokenAsync(string login, CancellationToken cancellationToken);
}
