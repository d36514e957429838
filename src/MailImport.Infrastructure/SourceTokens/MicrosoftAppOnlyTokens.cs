using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;

namespace MailImport.Infrastructure.SourceTokens;

/// <summary>An Entra app registration that reads the tenant's mailboxes over IMAP or POP3 as itself (app-only).</summary>
/// <param name="TenantId">The directory (tenant) id, or its verified domain.</param>
/// <param name="ClientId">The application (client) id.</param>
/// <param name="ClientSecret">A client secret's value; prints as ***. Null when the app signs in with
/// <paramref name="Certificate"/>.</param>
/// <param name="Certificate">Instead of the secret: the app's certificate with its private key, which signs the client
/// assertion (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials).</param>
public sealed record MicrosoftApp(string TenantId, string ClientId, Secret? ClientSecret, X509Certificate2? Certificate = null)
{
    /// <summary>What the app signs in with, for messages: "client secret" or "certificate" and its thumbprint.</summary>
    public string CredentialName => Certificate is null ? "client secret" : $"certificate {Certificate.Thumbprint}";
}

/// <summary>Tokens for Exchange Online mailboxes from an Entra app with IMAP.AccessAsApp / POP.AccessAsApp: one token
/// for the app, used with each mailbox as the XOAUTH2 user.</summary>
/// <remarks>
/// <para>The client credentials grant with the scope <see cref="ExchangeScope"/>, through MSAL's confidential client
/// (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#use-client-credentials-grant-flow-to-authenticate-smtp-imap-and-pop-connections).
/// The token names the app, not a mailbox: Exchange lets it into the mailboxes its service principal was given
/// (New-ServicePrincipal, Add-MailboxPermission), so one token serves every mailbox of the tenant.</para>
/// <para>MSAL keeps the app's token in its in-memory cache and fetches a new one before it expires; nothing is
/// written anywhere. Refusals carry an AADSTS code in their description
/// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).</para>
/// </remarks>
public sealed partial class MicrosoftAppOnlyTokens : ISourceTokenProvider
{
    /// <summary>The scope of an app-only token for Exchange Online's IMAP and POP.</summary>
    public const string ExchangeScope = "https://outlook.office365.com/.default";

    /// <summary>The Microsoft Entra ID authority host of the public cloud, the default of the authority setting.</summary>
    public static readonly Uri MicrosoftAuthorityHost = new("https://login.microsoftonline.com/");

    private readonly MicrosoftApp app;
    private readonly Uri authority;
    private readonly IConfidentialClientApplication client;
    private readonly ILogger logger;

    /// <summary>Tokens for <paramref name="app"/> from the tenant's authority under <paramref name="authorityHost"/>;
    /// <paramref name="http"/>, when given, is the client MSAL sends its requests with.</summary>
    public MicrosoftAppOnlyTokens(MicrosoftApp app, Uri authorityHost, ILogger logger, HttpClient? http = null)
    {
        this.app = app ?? throw new ArgumentNullException(nameof(app));
        ArgumentNullException.ThrowIfNull(authorityHost);
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        authority = new Uri(authorityHost, Uri.EscapeDataString(app.TenantId) + "/");
        // MSAL validates an authority by asking the public cloud's instance discovery about it: only for Microsoft's own host.
        var known = authorityHost.Host.Equals(MicrosoftAuthorityHost.Host, StringComparison.OrdinalIgnoreCase);
        var builder = ConfidentialClientApplicationBuilder.Create(app.ClientId);
        // A certificate makes MSAL sign a client assertion (private_key_jwt) instead of sending a secret; without
        // x5c in its header, as the app registration holds the certificate itself.
        builder = app.Certificate is { } certificate
            ? builder.WithCertificate(certificate, sendX5C: false)
            : builder.WithClientSecret((app.ClientSecret ?? throw new ArgumentException("An app needs a client secret or a certificate.", nameof(app))).Reveal());
        builder = builder
            .WithAuthority(authority.AbsoluteUri, validateAuthority: known)
            .WithInstanceDiscovery(known);
        if (http is not null)
        {
            builder = builder.WithHttpClientFactory(new OneHttpClient(http));
        }

        client = builder.Build();
    }

    /// <inheritdoc/>
    public async Task<Secret> GetTokenAsync(string login, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        AuthenticationResult result;
        try
        {
            result = await client.AcquireTokenForClient([ExchangeScope]).ExecuteAsync(cancellationToken);
        }
        catch (MsalServiceException e)
        {
            throw Classify(login, e);
        }
        catch (Exception e) when (e is MsalClientException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var message = $"Microsoft Entra ID at {authority} could not be reached: {SourceTokenLifetimes.Shorten(e.Message)}";
            Log.SourceTokenUnavailable(logger, "Microsoft", login, message);
            throw new MailFailureException(MailFailure.Transient(ErrorCode.SourceTokenServiceUnavailable, message), e);
        }

        if (result.AuthenticationResultMetadata.TokenSource != TokenSource.Cache)
        {
            Log.SourceTokenIssued(logger, "Microsoft", login, result.ExpiresOn - DateTimeOffset.UtcNow);
        }

        return new Secret(result.AccessToken);
    }

    /// <summary>Exchange Online refuses a valid app token with "AUTHENTICATE failed" when the app's service principal
    /// is not registered in Exchange or has no permission on the mailbox (the page's "Register service principals in
    /// Exchange" step: New-ServicePrincipal, Add-MailboxPermission).</summary>
    public MailFailure ExplainRefusedLogin(MailFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Code == ErrorCode.SourceAuthFailed
            ? MailFailure.Permanent(ErrorCode.SourceAppNotInExchange,
                $"The mail server refused the app {app.ClientId}'s valid token ({failure.Message}); its service principal is not registered in Exchange Online or has no FullAccess to the mailbox.")
            : failure;
    }

    private MailFailureException Classify(string login, MsalServiceException e)
    {
        var said = SourceTokenLifetimes.Shorten(FirstLine(e.Message));
        if (e.StatusCode is 429 or >= 500)
        {
            var message = $"Microsoft Entra ID answered HTTP {e.StatusCode} ({said}).";
            Log.SourceTokenUnavailable(logger, "Microsoft", login, message);
            return new MailFailureException(MailFailure.Transient(ErrorCode.SourceTokenServiceUnavailable, message), e);
        }

        var aadsts = AadstsCode().Match(e.Message) is { Success: true } m ? int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;
        var code = aadsts switch
        {
            // AADSTS65001: "The user or administrator has not consented to use the application".
            65001 => ErrorCode.SourceAppConsentMissing,
            // AADSTS700016: application not found in the directory; AADSTS90002: tenant not found.
            700016 or 90002 => ErrorCode.SourceAppNotFound,
            // AADSTS7000215: invalid client secret; AADSTS7000222: the secret has expired; AADSTS700027: the client
            // assertion's signature does not verify with a certificate registered on the app
            // (https://learn.microsoft.com/en-us/azure/developer/java/sdk/troubleshooting-authentication-service-principal).
            7000215 or 7000222 or 700027 => ErrorCode.SourceAppSecretInvalid,
            _ => ErrorCode.SourceAuthFailed,
        };
        Log.SourceTokenRefused(logger, "Microsoft", login, said);
        return new MailFailureException(MailFailure.Permanent(code,
            $"Microsoft Entra ID refused the app {app.ClientId} of tenant {app.TenantId} a token for its {app.CredentialName} ({said})."), e);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    [GeneratedRegex(@"AADSTS(\d{4,8})")]
    private static partial Regex AadstsCode();

    private sealed class OneHttpClient(HttpClient http) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => http;
    }
}
