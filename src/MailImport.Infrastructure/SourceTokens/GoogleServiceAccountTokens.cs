using System.Collections.Concurrent;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure.SourceTokens;

/// <summary>Tokens for Google Workspace mailboxes from a service account with domain-wide delegation: one per mailbox,
/// the service account impersonating it.</summary>
/// <remarks>
/// <para>Google.Apis.Auth's <see cref="ServiceAccountCredential"/> posts the JWT-bearer grant (RFC 7523,
/// <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>) to the token URL: an assertion signed RS256 with the
/// key, <c>iss</c> the account's e-mail, <c>sub</c> the mailbox, <c>aud</c> Google's token URL (whichever URL it posts to) and <c>scope</c>
/// <see cref="MailScope"/> (https://developers.google.com/identity/protocols/oauth2/service-account#delegatingauthority,
/// #authorizingrequests). The mail scope is the one Gmail's IMAP takes for XOAUTH2
/// (https://developers.google.com/gmail/imap/xoauth2-protocol).</para>
/// <para>A token is kept in memory until <see cref="SourceTokenLifetimes.Margin"/> before it expires, so the chunks of a
/// mailbox share one and a chunk never starts on one about to lapse; it is never written anywhere.</para>
/// </remarks>
public sealed class GoogleServiceAccountTokens : ISourceTokenProvider
{
    /// <summary>The scope of full IMAP access to Gmail.</summary>
    public const string MailScope = "https://mail.google.com/";

    /// <summary>Google's token endpoint, the default of the token URL setting.</summary>
    public static readonly Uri GoogleTokenUrl = new("https://oauth2.googleapis.com/token");

    private readonly GoogleServiceAccountKey key;
    private readonly Uri tokenUrl;
    private readonly ILogger logger;
    private readonly TimeProvider clock;
    private readonly ConcurrentDictionary<string, (Secret Token, DateTimeOffset UsableUntil)> cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Tokens signed with <paramref name="key"/>, asked of <paramref name="tokenUrl"/>.</summary>
    public GoogleServiceAccountTokens(GoogleServiceAccountKey key, Uri tokenUrl, ILogger logger, TimeProvider? timeProvider = null)
    {
        this.key = key ?? throw new ArgumentNullException(nameof(key));
        this.tokenUrl = tokenUrl ?? throw new ArgumentNullException(nameof(tokenUrl));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        clock = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public async Task<Secret> GetTokenAsync(string login, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(login);
        var now = clock.GetUtcNow();
        if (cache.TryGetValue(login, out var cached) && cached.UsableUntil > now)
        {
            return cached.Token;
        }

        ServiceAccountCredential credential;
        try
        {
            credential = new ServiceAccountCredential(new ServiceAccountCredential.Initializer(key.ClientEmail, tokenUrl.AbsoluteUri)
            {
                User = login,
                Scopes = [MailScope],
                KeyId = key.PrivateKeyId,
            }.FromPrivateKey(key.PrivateKeyPem.Reveal()));
        }
        catch (ArgumentException e)
        {
            throw Refused(login, ErrorCode.SourceServiceAccountKeyInvalid, "its private key cannot be read", e);
        }

        try
        {
            await credential.RequestAccessTokenAsync(cancellationToken);
        }
        catch (TokenResponseException e)
        {
            throw Classify(login, e);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(login, $"Google's token service at {tokenUrl} could not be reached: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(login, $"Google's token service at {tokenUrl} did not answer in time.", e);
        }

        var answer = credential.Token;
        if (string.IsNullOrEmpty(answer?.AccessToken))
        {
            throw Unavailable(login, $"Google's token service at {tokenUrl} answered without an access_token.", null);
        }

        var token = new Secret(answer.AccessToken);
        var lifetime = TimeSpan.FromSeconds(Math.Max(0, answer.ExpiresInSeconds ?? 0));
        if (lifetime > SourceTokenLifetimes.Margin)
        {
            cache[login] = (token, now + lifetime - SourceTokenLifetimes.Margin);
        }

        Log.SourceTokenIssued(logger, "Google", login, lifetime);
        return token;
    }

    /// <summary>Google's refusals as the service-account page lists them
    /// (https://developers.google.com/identity/protocols/oauth2/service-account#error-codes).</summary>
    private MailFailureException Classify(string login, TokenResponseException e)
    {
        var error = e.Error?.Error ?? "";
        var description = e.Error?.ErrorDescription ?? "";
        var said = SourceTokenLifetimes.Shorten(string.IsNullOrEmpty(description) ? error : $"{error}: {description}");
        if ((int?)e.StatusCode >= 500 || (int?)e.StatusCode == 429)
        {
            return Unavailable(login, $"Google's token service answered HTTP {(int?)e.StatusCode} ({said}).", e);
        }

        var code = error switch
        {
            // "Unauthorized client or scope in request": the client id is not listed for delegation, or not with this scope.
            "unauthorized_client" => ErrorCode.SourceDelegationMissing,
            // "one or more requested scopes aren't authorized in the Admin console", or the admin's policy.
            "access_denied" or "admin_policy_enforced" => ErrorCode.SourceDelegationMissing,
            // "Invalid JWT Signature": the key was deleted, disabled or has expired.
            "invalid_grant" when description.Contains("signature", StringComparison.OrdinalIgnoreCase) => ErrorCode.SourceServiceAccountKeyInvalid,
            "invalid_client" => ErrorCode.SourceServiceAccountKeyInvalid,
            // "Invalid email or User ID", "Not a valid email": no such mailbox in the domain.
            _ => ErrorCode.SourceAuthFailed,
        };
        Log.SourceTokenRefused(logger, "Google", login, said);
        return new MailFailureException(MailFailure.Permanent(code,
            $"Google refused the service account {key.ClientEmail} a token for {login} ({said})."), e);
    }

    private MailFailureException Refused(string login, ErrorCode code, string why, Exception cause)
    {
        Log.SourceTokenRefused(logger, "Google", login, why);
        return new MailFailureException(MailFailure.Permanent(code, $"The service account {key.ClientEmail} cannot sign a token for {login}: {why}."), cause);
    }

    private MailFailureException Unavailable(string login, string message, Exception? cause)
    {
        Log.SourceTokenUnavailable(logger, "Google", login, message);
        return new MailFailureException(MailFailure.Transient(ErrorCode.SourceTokenServiceUnavailable, message), cause);
    }
}
