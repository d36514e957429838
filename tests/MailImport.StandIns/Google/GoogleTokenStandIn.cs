using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.StandIns.Google;

/// <summary>A service account of the stand-in's project: its identity, its key, and the scopes the Workspace admin
/// delegated to its client id.</summary>
/// <param name="ClientEmail">The account's address, <c>iss</c> of its assertions.</param>
/// <param name="ClientId">Its numeric client id, the one domain-wide delegation lists.</param>
/// <param name="KeyId">The id of its key.</param>
/// <param name="KeyJson">The JSON key file as Google's console downloads it.</param>
public sealed record GoogleServiceAccount(string ClientEmail, string ClientId, string KeyId, string KeyJson);

/// <summary>Google's OAuth 2.0 token endpoint for server-to-server applications, on Kestrel at 127.0.0.1: the JWT-bearer
/// grant (RFC 7523) of a service account with domain-wide delegation, and an introspection answer for the tokens it
/// issued, for a Dovecot's oauth2 passdb.</summary>
/// <remarks>
/// <para><c>POST /token</c> takes <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=JWT</c> and checks
/// what "Using OAuth 2.0 for Server to Server Applications" says Google checks
/// (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests): the header
/// <c>{"alg":"RS256","typ":"JWT"}</c>, the RS256 signature with the service account's key, <c>iss</c> the account's
/// e-mail, <c>aud</c> always Google's token URL (<see cref="Audience"/>, which Google.Apis.Auth sends whatever token URL it
/// posts to), <c>scope</c> space-separated, <c>iat</c> and <c>exp</c> at most an hour apart and
/// around now, and <c>sub</c> the impersonated user. It answers <c>{access_token, expires_in: 3599, token_type: "Bearer"}</c>.</para>
/// <para>Refusals are 400 (401 for an unknown client) with <c>{error, error_description}</c>, the pairs of the page's
/// error table (https://developers.google.com/identity/protocols/oauth2/service-account#error-codes):
/// <c>unauthorized_client</c> "Client is unauthorized to retrieve access tokens using this method, or client not
/// authorized for any of the scopes requested." when the account's client id is not delegated every scope asked for;
/// <c>access_denied</c> when the admin's app-access control blocks the account for the mailbox (the page: "one or more
/// requested scopes aren't authorized", or an admin policy); <c>invalid_grant</c> "Invalid JWT Signature." for a key
/// that is not the account's (deleted, disabled, or another's); <c>invalid_grant</c> "Invalid JWT: Token must be a
/// short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
/// <c>invalid_grant</c> "Invalid email or User ID" for a <c>sub</c> the domain does not have. Where the page is
/// silent (an assertion that does not parse, a wrong audience) the stand-in answers <c>invalid_grant</c> with its own
/// words.</para>
/// <para><c>POST /introspect</c> (form <c>token=...</c>) answers RFC 7662's <c>{"active":true,"email":SUB,"scope":...}</c>
/// for a token it issued that has not expired, else <c>{"active":false}</c>: Google's own check of an access token is
/// its tokeninfo endpoint; this is the form Dovecot's oauth2 passdb reads
/// (https://doc.dovecot.org/2.3/configuration_manual/authentication/oauth2/).</para>
/// </remarks>
public sealed class GoogleTokenStandIn : IAsyncDisposable
{
    /// <summary>The grant type of an RFC 7523 assertion.</summary>
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>How long an issued token lives.</summary>
    public const int TokenLifetimeSeconds = 3599;

    /// <summary>The <c>aud</c> of every assertion, wherever it is posted: "When making an access token request this value
    /// is always https://oauth2.googleapis.com/token" (the page's JWT claim set).</summary>
    public const string Audience = "https://oauth2.googleapis.com/token";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly int port;
    private readonly ConcurrentDictionary<string, Account> accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> users = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> blocked = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string Email, string Scope, DateTimeOffset Expires)> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, JsonElement>> assertions = new();
    private WebApplication? app;

    /// <summary>The stand-in on <paramref name="port"/> of 127.0.0.1 (0: any free port).</summary>
    public GoogleTokenStandIn(int port = 0) => this.port = port;

    /// <summary>The http address, once started.</summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1:1");

    /// <summary>The token URL, the product's token URL setting.</summary>
    public Uri TokenUrl => new(BaseUrl, "token");

    /// <summary>The introspection URL for a Dovecot's oauth2 passdb.</summary>
    public Uri IntrospectionUrl => new(BaseUrl, "introspect");

    /// <summary>Every access token issued.</summary>
    public IReadOnlyList<string> IssuedTokens => [.. tokens.Keys];

    /// <summary>The claims of every assertion that passed the signature check, oldest first.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Assertions => [.. assertions];

    /// <summary>A service account with a new 2048-bit key, its client id delegated <paramref name="delegatedScopes"/>.</summary>
    public GoogleServiceAccount AddServiceAccount(params string[] delegatedScopes)
    {
        var name = "mailimport-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        var email = $"{name}@standin-project.iam.gserviceaccount.com";
        var clientId = string.Concat(Enumerable.Range(0, 21).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));
        var keyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        var key = RSA.Create(2048);
        var account = new Account(email, clientId, key, [.. delegatedScopes]);
        accounts[email] = account;
        // The fields of a downloaded key file (https://cloud.google.com/iam/docs/keys-create-delete#creating).
        var keyJson = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "standin-project",
            ["private_key_id"] = keyId,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = clientId,
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = TokenUrl.AbsoluteUri,
            ["universe_domain"] = "googleapis.com",
        });
        return new GoogleServiceAccount(email, clientId, keyId, keyJson);
    }

    /// <summary>Deletes the account's key, as the console's Keys tab does: assertions signed with it fail.</summary>
    public void DeleteKey(GoogleServiceAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        accounts[account.ClientEmail] = accounts[account.ClientEmail] with { Key = RSA.Create(2048) };
    }

    /// <summary>A user of the Workspace domain, whom a delegated account may impersonate.</summary>
    public void AddUser(string email) => users[email] = true;

    /// <summary>Blocks the service accounts' access to <paramref name="email"/> (an admin's app-access control).</summary>
    public void BlockUser(string email) => blocked[email] = true;

    /// <summary>Lets a token lapse now, so the next introspection calls it inactive.</summary>
    public void Expire(string token)
    {
        if (tokens.TryGetValue(token, out var issued))
        {
            tokens[token] = issued with { Expires = DateTimeOffset.MinValue };
        }
    }

    /// <summary>RFC 7662's answer for <paramref name="token"/>: active with its user while it lives, else null.</summary>
    public IReadOnlyDictionary<string, object>? Introspect(string token) =>
        tokens.TryGetValue(token, out var issued) && issued.Expires > DateTimeOffset.UtcNow
            ? new Dictionary<string, object> { ["active"] = true, ["email"] = issued.Email, ["scope"] = issued.Scope, ["exp"] = issued.Expires.ToUnixTimeSeconds() }
            : null;

    /// <summary>Starts listening.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        app = builder.Build();
        app.MapPost("/token", TokenAsync);
        app.MapPost("/introspect", IntrospectAsync);
        await app.StartAsync();
        BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }

        foreach (var account in accounts.Values)
        {
            account.Key.Dispose();
        }
    }

    private async Task<IResult> IntrospectAsync(HttpRequest request)
    {
        var token = request.HasFormContentType ? (await request.ReadFormAsync(request.HttpContext.RequestAborted))["token"].ToString() : "";
        return Results.Json(Introspect(token) ?? new Dictionary<string, object> { ["active"] = false }, Json);
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return Error("invalid_request", "Required parameter is missing: grant_type");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form["grant_type"] != JwtBearerGrant)
        {
            return Error("unsupported_grant_type", "Invalid grant_type: " + form["grant_type"]);
        }

        var parts = form["assertion"].ToString().Split('.');
        Dictionary<string, JsonElement>? header, claims;
        try
        {
            header = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(FromBase64Url(parts[0]));
            claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(FromBase64Url(parts[1]));
        }
        catch (Exception e) when (e is FormatException or JsonException or IndexOutOfRangeException)
        {
            return Error("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.");
        }

        if (parts.Length != 3 || header is null || claims is null || Text(header, "alg") != "RS256")
        {
            return Error("invalid_grant", "Invalid JWT: the assertion is not a JWT signed RS256.");
        }

        if (Text(claims, "iss") is not { } iss || !accounts.TryGetValue(iss, out var account))
        {
            return Error("invalid_client", "The OAuth client was not found.", HttpStatusCode.Unauthorized);
        }

        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        byte[] signature;
        try
        {
            signature = FromBase64Url(parts[2]);
        }
        catch (FormatException)
        {
            return Error("invalid_grant", "Invalid JWT Signature.");
        }

        if (!account.Key.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return Error("invalid_grant", "Invalid JWT Signature.");
        }

        assertions.Enqueue(claims);
        if (Text(claims, "aud") != Audience)
        {
            return Error("invalid_grant", $"Invalid JWT: the audience {Text(claims, "aud")} is not {Audience}.");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (Number(claims, "iat") is not { } iat || Number(claims, "exp") is not { } exp || exp - iat > 3600 || exp <= iat
            || iat > now + 300 || exp < now)
        {
            return Error("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
        }

        var scopes = (Text(claims, "scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Length == 0)
        {
            return Error("invalid_scope", "Empty or missing scope not allowed.");
        }

        // Without sub the account acts as itself, which no Gmail mailbox is.
        if (Text(claims, "sub") is not { Length: > 0 } sub)
        {
            return Error("invalid_grant", "Invalid email or User ID");
        }

        if (!scopes.All(account.DelegatedScopes.Contains))
        {
            return Error("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.");
        }

        if (!users.ContainsKey(sub))
        {
            return Error("invalid_grant", "Invalid email or User ID");
        }

        if (blocked.ContainsKey(sub))
        {
            return Error("access_denied", "Requested client not authorized.");
        }

        var token = "ya29.standin-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(33)).Replace('+', '-').Replace('/', '_');
        tokens[token] = (sub, string.Join(' ', scopes), DateTimeOffset.UtcNow.AddSeconds(TokenLifetimeSeconds));
        return Results.Json(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["expires_in"] = TokenLifetimeSeconds,
            ["token_type"] = "Bearer",
        }, Json);
    }

    private static string? Text(Dictionary<string, JsonElement> claims, string name) =>
        claims.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(Dictionary<string, JsonElement> claims, string name) =>
        claims.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static IResult Error(string error, string description, HttpStatusCode status = HttpStatusCode.BadRequest) =>
        Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, Json, statusCode: (int)status);

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    private sealed record Account(string Email, string ClientId, RSA Key, HashSet<string> DelegatedScopes);
}
