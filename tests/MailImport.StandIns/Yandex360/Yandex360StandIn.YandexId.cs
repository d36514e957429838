using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using MailImport.Core;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace MailImport.StandIns.Yandex360;

/// <summary>The organisation's mail side: Yandex ID's token exchange for service applications, and a Dovecot that plays
/// Yandex Mail's IMAP, with the employees the directory creates and the tokens Yandex ID issues.</summary>
/// <remarks>
/// <para><c>POST /token</c> is Yandex ID's token endpoint (https://yandex.ru/dev/id/doc/ru/tokens/refresh-client: a form
/// post with <c>client_id</c> and <c>client_secret</c>; refusals are RFC 6749 §5.2 <c>{error, error_description}</c>
/// with 400). A service application of the organisation exchanges an employee's e-mail or uid for a token
/// (grant <c>urn:ietf:params:oauth:grant-type:token-exchange</c>, RFC 8693; subject types
/// <c>urn:yandex:params:oauth:token-type:email</c> / <c>...:uid</c>;
/// https://yandex.ru/support/yandex-360/business/admin/ru/security-service-applications). The answer's fields
/// (<c>access_token, expires_in = 3600, issued_token_type, token_type = bearer</c>) are those public clients of the
/// exchange read; the help page's excerpt that describes them is not in our stored copy, so they are an assumption.</para>
/// <para><c>POST /introspect</c> is not Yandex's: it is how Dovecot's oauth2 passdb asks whether a token is good
/// (introspection_mode = post, RFC 7662; https://doc.dovecot.org/2.3/configuration_manual/authentication/oauth2/).
/// A token is active for IMAP when its application was granted <c>mail:imap_full</c>
/// (https://yandex.ru/support/mail-business/web/security/oauth.html: "Чтение и удаление писем").</para>
/// </remarks>
public sealed partial class Yandex360StandIn
{
    /// <summary>The grant of an RFC 8693 token exchange.</summary>
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>The IMAP scope that lets a token write mail.</summary>
    public const string ImapFullScope = "mail:imap_full";

    /// <summary>How long an exchanged token lives, in seconds.</summary>
    public const int TokenLifetimeSeconds = 3600;

    private readonly ConcurrentDictionary<string, ServiceApplication> serviceApplications = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> issuedTokens = new(StringComparer.Ordinal);
    private DovecotDirectory? mailStore;

    /// <summary>Whether the organisation has turned service applications on (its owner activates the feature).</summary>
    public bool ServiceApplicationsActive { get; set; } = true;

    /// <summary>How many token checks (IMAP logins) pass before every issued token is refused, as when the owner takes
    /// the application's access away while an import runs; null for never.</summary>
    public int? TokensRefusedAfterLogins { get; set; }

    private int introspections;

    /// <summary>Registers a service application of the organisation with the permissions it was granted.</summary>
    public Yandex360StandIn WithServiceApplication(string clientId, Secret clientSecret, params string[] scopes)
    {
        serviceApplications[clientId] = new ServiceApplication(clientSecret, scopes);
        return this;
    }

    /// <summary>Makes the Dovecot behind <paramref name="passwdFile"/> the organisation's mail store: each employee the
    /// directory creates gets a mailbox there, at every domain of the organisation, with the same password.</summary>
    public Yandex360StandIn WithMailStore(string passwdFile, string dovecotConfig)
    {
        mailStore = new DovecotDirectory(new DovecotDirectoryOptions { PasswdFile = passwdFile, ConfigFile = dovecotConfig });
        return this;
    }

    /// <summary>The URL Dovecot's oauth2 passdb posts tokens to, for a stand-in listening on <paramref name="port"/>.</summary>
    public static string IntrospectionUrl(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/introspect";

    /// <summary>How many tokens Yandex ID has issued.</summary>
    public int TokensIssued => issuedTokens.Count;

    /// <summary>The tokens Yandex ID has issued, for tests that look for them where they must not be.</summary>
    public IReadOnlyList<string> IssuedTokens => [.. issuedTokens.Keys];

    private static bool IsYandexIdRoute(PathString path) => path == "/token" || path == "/introspect";

    private void MapYandexId(WebApplication web)
    {
        web.MapPost("/token", ExchangeAsync);
        web.MapPost("/introspect", IntrospectAsync);
    }

    private async Task<IResult> ExchangeAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form["grant_type"] != TokenExchangeGrant)
        {
            return OAuthError("unsupported_grant_type", $"grant_type {form["grant_type"]} is not supported here");
        }

        if (!serviceApplications.TryGetValue(form["client_id"].ToString(), out var application)
            || !application.Secret.Equals(new Secret(form["client_secret"].ToString())))
        {
            return OAuthError("invalid_client", "Client not found or the secret does not match");
        }

        if (!ServiceApplicationsActive)
        {
            return OAuthError("unauthorized_client", "service applications are not enabled for the organization");
        }

        var subject = form["subject_token"].ToString();
        var email = form["subject_token_type"].ToString() switch
        {
            "urn:yandex:params:oauth:token-type:email" => EmployeeEmail(u => domains.Keys.Any(d => string.Equals($"{u.Nickname}@{d}", subject, StringComparison.OrdinalIgnoreCase)) ? subject : null),
            "urn:yandex:params:oauth:token-type:uid" => EmployeeEmail(u => u.Id == subject ? $"{u.Nickname}@{MasterDomain()}" : null),
            _ => null,
        };
        if (email is null)
        {
            return OAuthError("invalid_grant", "user not found in the organization");
        }

        var token = $"2.{Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant()}";
        issuedTokens[token] = new IssuedToken(email.ToLowerInvariant(), application.Scopes, DateTimeOffset.UtcNow.AddSeconds(TokenLifetimeSeconds));
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["expires_in"] = TokenLifetimeSeconds,
            ["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
            ["token_type"] = "bearer",
        });
    }

    private async Task<IResult> IntrospectAsync(HttpRequest request)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync(request.HttpContext.RequestAborted) : null;
        var token = form?["token"].ToString() ?? "";
        var revoked = TokensRefusedAfterLogins is { } logins && Interlocked.Increment(ref introspections) > logins;
        if (revoked || !issuedTokens.TryGetValue(token, out var issued) || issued.Expires <= DateTimeOffset.UtcNow || !issued.Scopes.Contains(ImapFullScope))
        {
            return Results.Json(new Dictionary<string, object> { ["active"] = false });
        }

        return Results.Json(new Dictionary<string, object>
        {
            ["active"] = true,
            ["email"] = issued.Email,
            ["scope"] = string.Join(' ', issued.Scopes),
            ["exp"] = issued.Expires.ToUnixTimeSeconds(),
        });
    }

    /// <summary>The address of the first employee <paramref name="match"/> gives one for.</summary>
    private string? EmployeeEmail(Func<StandInUser, string?> match)
    {
        lock (gate)
        {
            return users.Select(u => match(u.User)).FirstOrDefault(e => e is not null);
        }
    }

    /// <summary>Gives a new employee a mailbox in the mail store, at every domain of the organisation.</summary>
    private async Task ProvisionMailboxAsync(string nickname, Secret password, CancellationToken cancellationToken)
    {
        if (mailStore is null)
        {
            return;
        }

        List<string> names;
        lock (gate)
        {
            names = [.. domains.Keys];
        }

        foreach (var domain in names)
        {
            await mailStore.CreateMailboxAsync(new NewMailbox(domain, nickname, password, ""), cancellationToken);
        }
    }

    private static IResult OAuthError(string error, string description) =>
        Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: (int)HttpStatusCode.BadRequest);

    private sealed record ServiceApplication(Secret Secret, IReadOnlyList<string> Scopes);

    private sealed record IssuedToken(string Email, IReadOnlyList<string> Scopes, DateTimeOffset Expires);
}
