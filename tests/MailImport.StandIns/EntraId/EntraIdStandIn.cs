using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using MailImport.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.StandIns.EntraId;

/// <summary>A client application registered in the stand-in's tenant, with the app roles of the API it was granted.</summary>
/// <param name="ClientId">Its application (client) id.</param>
/// <param name="ObjectId">Its service principal's object id: the <c>oid</c> (and <c>sub</c>) of its app-only tokens.</param>
/// <param name="Secret">Its client secret.</param>
/// <param name="Roles">The API's app roles assigned to it.</param>
public sealed record EntraClient(string ClientId, string ObjectId, Secret Secret, IReadOnlyList<string> Roles)
{
    /// <summary>The application permissions of Office 365 Exchange Online granted to it (IMAP.AccessAsApp, POP.AccessAsApp).</summary>
    public IReadOnlyList<string> ExchangeRoles { get; init; } = [];

    /// <summary>False until an administrator consented to its permissions: until then Exchange Online's tokens are refused.</summary>
    public bool AdminConsented { get; init; } = true;

    /// <summary>The certificate uploaded under its Certificates &amp; secrets (public key only), or none.</summary>
    public X509Certificate2? Certificate { get; init; }
}

/// <summary>A local Microsoft Entra ID token service for one tenant and one API, on Kestrel at 127.0.0.1: the OpenID
/// Connect discovery document, its JWKS with a generated RSA key, and the token endpoint's client credentials grant.</summary>
/// <remarks>
/// <para>Paths and answers as the identity platform documents them, {tenant} being the stand-in's tenant id:</para>
/// <list type="bullet">
/// <item><c>GET /{tenant}/v2.0/.well-known/openid-configuration</c>: <c>issuer</c> https://{host}/{tenant}/v2.0,
/// <c>token_endpoint</c> .../{tenant}/oauth2/v2.0/token, <c>jwks_uri</c> .../{tenant}/discovery/v2.0/keys and the
/// supported values (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#sample-response).</item>
/// <item><c>GET /{tenant}/discovery/v2.0/keys</c>: <c>{"keys": [{kty, use: "sig", kid, x5t, n, e}]}</c>, the key that
/// signs the tokens (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-signature).</item>
/// <item><c>POST /{tenant}/oauth2/v2.0/token</c>: a form with <c>client_id, client_secret, scope = {resource}/.default,
/// grant_type = client_credentials</c>, or instead of the secret a client assertion signed with a certificate registered
/// with <see cref="RegisterCertificate"/> (<see cref="CheckAssertion"/>); 200 <c>{token_type: "Bearer", expires_in, ext_expires_in, access_token}</c>;
/// refusals <c>{error, error_description, error_codes, timestamp, trace_id, correlation_id}</c> with AADSTS codes
/// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#get-a-token).</item>
/// </list>
/// <para>The access token is a v2.0 JWT signed RS256 with header <c>typ, alg, kid</c> and claims <c>aud</c> (the API's
/// client id, whichever of its identifiers the scope named), <c>iss, iat, nbf, exp, azp, azpacr, oid, sub, tid,
/// uti, ver = "2.0"</c>, and <c>roles</c> only when the client holds some: an app-only token carries the app roles
/// assigned to the client (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#payload-claims,
/// https://learn.microsoft.com/en-us/entra/identity-platform/howto-add-app-roles-in-apps#assign-app-roles-to-applications).</para>
/// <para>The client credentials grant also serves Office 365 Exchange Online (scope
/// <c>https://outlook.office365.com/.default</c>, <see cref="ExchangeOnline"/>) for clients added with
/// <see cref="AddMailClient"/>: the token's <c>aud</c> is https://outlook.office365.com and its <c>roles</c> the Exchange
/// permissions granted (https://learn.microsoft.com/en-us/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#use-client-credentials-grant-flow-to-authenticate-smtp-imap-and-pop-connections).
/// A client whose permissions lack admin consent is refused AADSTS65001 ("The user or administrator has not consented
/// to use the application"). <see cref="Introspect"/> plays Exchange's own check of such a token for a Dovecot's oauth2
/// passdb: active only for a client whose service principal was registered in Exchange for the mailboxes' domain
/// (<see cref="RegisterInExchange"/>, standing for New-ServicePrincipal and Add-MailboxPermission) and that holds
/// IMAP.AccessAsApp or POP.AccessAsApp; its <c>email</c> is in that domain, so the Dovecot compares domains
/// (<c>username_format = %Ld</c>): one app token opens every mailbox of the domain, as in Exchange, where the permission
/// is per mailbox and not modelled here.</para>
/// <para>It listens twice: https with a self-signed certificate (<see cref="CertificateSha256"/>), since MSAL takes only
/// an https authority ("'authority' should use the 'https' scheme"), and plain http for the product, which reads
/// metadata over http from a loopback authority only. The issuer is the https one on both, as Entra's is one fixed
/// address whichever way the document was fetched. Assumptions where the pages are silent: a token lives 3599 s;
/// the error texts are shortened forms of the AADSTS messages.</para>
/// </remarks>
public sealed class EntraIdStandIn : IAsyncDisposable
{
    /// <summary>How long an issued token lives.</summary>
    public const int TokenLifetimeSeconds = 3599;

    /// <summary>Office 365 Exchange Online's resource, the audience of its app-only tokens.</summary>
    public const string ExchangeOnline = "https://outlook.office365.com";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // The supported values of the discovery document's sample response.
    private static readonly string[] TokenEndpointAuthMethods = ["client_secret_post", "private_key_jwt", "client_secret_basic"];
    private static readonly string[] ResponseTypes = ["code", "id_token", "code id_token", "id_token token"];
    private static readonly string[] SubjectTypes = ["pairwise"];
    private static readonly string[] SigningAlgorithms = ["RS256"];
    private static readonly string[] Scopes = ["openid", "profile", "email", "offline_access"];

    private readonly ConcurrentDictionary<string, EntraClient> clients = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> issued = new();
    private readonly ConcurrentQueue<(JsonElement Header, JsonElement Payload)> assertions = new();
    private readonly ConcurrentDictionary<string, (EntraClient Client, DateTimeOffset Expires)> exchangeTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> exchangeDomains = new(StringComparer.Ordinal);
    private readonly RSA signingKey = RSA.Create(2048);
    private readonly X509Certificate2 certificate;
    private WebApplication? app;

    /// <summary>A tenant with one API, known by its client id and its application id URI.</summary>
    public EntraIdStandIn(string? tenantId = null, string? apiClientId = null)
    {
        TenantId = tenantId ?? Guid.NewGuid().ToString();
        ApiClientId = apiClientId ?? Guid.NewGuid().ToString();
        KeyId = Base64Url(SHA256.HashData(signingKey.ExportSubjectPublicKeyInfo()))[..27];
        certificate = LoopbackCertificate.Create();
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>The tenant (directory) id.</summary>
    public string TenantId { get; }

    /// <summary>The API's application (client) id: the <c>aud</c> of its v2.0 tokens.</summary>
    public string ApiClientId { get; }

    /// <summary>The API's application id URI (api://{client id}), the usual resource of a .default scope.</summary>
    public string ApiAppIdUri => $"api://{ApiClientId}";

    /// <summary>The <c>kid</c> of the signing key.</summary>
    public string KeyId { get; }

    /// <summary>The SHA-256 of the https listener's certificate, hex, for a client that pins it.</summary>
    public string CertificateSha256 { get; }

    /// <summary>The https address, once started.</summary>
    public Uri HttpsBase { get; private set; } = new("https://127.0.0.1:1");

    /// <summary>The plain http address, once started.</summary>
    public Uri HttpBase { get; private set; } = new("http://127.0.0.1:1");

    /// <summary>The tenant's authority for MSAL (https://{host}/{tenant}/).</summary>
    public Uri MsalAuthority => new(HttpsBase, $"{TenantId}/");

    /// <summary>The product's setting MailImport:Api:Entra:Authority: the v2.0 authority on the http listener.</summary>
    public Uri ProductAuthority => new(HttpBase, $"{TenantId}/v2.0");

    /// <summary>The issuer of every token.</summary>
    public string Issuer => new Uri(HttpsBase, $"{TenantId}/v2.0").AbsoluteUri;

    /// <summary>Every access token issued by the token endpoint, for tests that look for them where they must not be.</summary>
    public IReadOnlyList<string> IssuedTokens => [.. issued];

    /// <summary>Registers a client application with a secret and the API's app roles assigned to it.</summary>
    public EntraClient AddClient(params string[] roles)
    {
        var client = new EntraClient(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), new Secret(Base64Url(RandomNumberGenerator.GetBytes(30))), roles);
        clients[client.ClientId] = client;
        return client;
    }

    /// <summary>Registers a client application granted Exchange Online's <paramref name="exchangeRoles"/>, with or without
    /// an administrator's consent.</summary>
    public EntraClient AddMailClient(bool adminConsented, params string[] exchangeRoles)
    {
        var client = AddClient() with { ExchangeRoles = exchangeRoles, AdminConsented = adminConsented };
        clients[client.ClientId] = client;
        return client;
    }

    /// <summary>Uploads <paramref name="certificate"/>'s public part to the client's Certificates &amp; secrets: from then on
    /// a client assertion signed with its private key authenticates the client.</summary>
    public EntraClient RegisterCertificate(EntraClient client, X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(certificate);
        var registered = client with { Certificate = X509CertificateLoader.LoadCertificate(certificate.RawData) };
        clients[client.ClientId] = registered;
        return registered;
    }

    /// <summary>Every client assertion the token endpoint accepted, decoded (header, payload), for tests of what MSAL sent.</summary>
    public IReadOnlyList<(JsonElement Header, JsonElement Payload)> Assertions => [.. assertions];

    /// <summary>Registers the client's service principal in Exchange Online with access to the mailboxes of
    /// <paramref name="domain"/> (New-ServicePrincipal, then Add-MailboxPermission for each).</summary>
    public void RegisterInExchange(EntraClient client, string domain)
    {
        ArgumentNullException.ThrowIfNull(client);
        exchangeDomains[client.ClientId] = domain;
    }

    /// <summary>Exchange Online's view of <paramref name="token"/> as RFC 7662 puts it: active, with an address in the
    /// domain the app was given, for a live Exchange token of a registered client holding IMAP or POP access; else null.</summary>
    public IReadOnlyDictionary<string, object>? Introspect(string token) =>
        exchangeTokens.TryGetValue(token, out var issuedTo) && issuedTo.Expires > DateTimeOffset.UtcNow
            && exchangeDomains.TryGetValue(issuedTo.Client.ClientId, out var domain)
            && issuedTo.Client.ExchangeRoles.Any(r => r is "IMAP.AccessAsApp" or "POP.AccessAsApp")
            ? new Dictionary<string, object> { ["active"] = true, ["email"] = $"{issuedTo.Client.ObjectId}@{domain}", ["scope"] = string.Join(' ', issuedTo.Client.ExchangeRoles) }
            : null;

    /// <summary>Starts both listeners on free ports of 127.0.0.1.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        app = builder.Build();
        var tenant = app.MapGroup("/" + TenantId);
        tenant.MapGet("/v2.0/.well-known/openid-configuration", Discovery);
        tenant.MapGet("/discovery/v2.0/keys", Keys);
        tenant.MapPost("/oauth2/v2.0/token", TokenAsync);
        // An unknown tenant: AADSTS90002 "Tenant not found" (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).
        app.MapFallback(() => Error(HttpStatusCode.BadRequest, "invalid_tenant", 90002, "Tenant not found."));
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        HttpsBase = addresses.Single(a => a.Scheme == Uri.UriSchemeHttps);
        HttpBase = addresses.Single(a => a.Scheme == Uri.UriSchemeHttp);
    }

    /// <summary>Signs a token as the token endpoint would for <paramref name="client"/>, with any of its parts changed:
    /// for tests of what the API must refuse (another audience or issuer, an expired one, a foreign key).</summary>
    public string CreateAccessToken(EntraClient client, string? audience = null, string? issuer = null, DateTimeOffset? issuedAt = null,
        TimeSpan? lifetime = null, RSA? signWith = null, IReadOnlyList<string>? roles = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["aud"] = audience ?? ApiClientId,
            ["iss"] = issuer ?? Issuer,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + (lifetime ?? TimeSpan.FromSeconds(TokenLifetimeSeconds))).ToUnixTimeSeconds(),
            ["azp"] = client.ClientId,
            // 1: the client authenticated with a secret.
            ["azpacr"] = "1",
            ["oid"] = client.ObjectId,
            ["sub"] = client.ObjectId,
            ["tid"] = TenantId,
            ["uti"] = Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["ver"] = "2.0",
        };
        roles ??= client.Roles;
        if (roles.Count > 0)
        {
            claims["roles"] = roles;
        }

        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = KeyId }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = (signWith ?? signingKey).SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    /// <summary>Stops both listeners.</summary>
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }

        certificate.Dispose();
        signingKey.Dispose();
    }

    private IResult Discovery(HttpRequest request)
    {
        // Endpoints on the listener that was asked, so a reader over http is sent on over http; the issuer is fixed.
        var here = new Uri($"{request.Scheme}://{request.Host}/{TenantId}/");
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = new Uri(here, "oauth2/v2.0/authorize").AbsoluteUri,
            ["token_endpoint"] = new Uri(here, "oauth2/v2.0/token").AbsoluteUri,
            ["jwks_uri"] = new Uri(here, "discovery/v2.0/keys").AbsoluteUri,
            ["token_endpoint_auth_methods_supported"] = TokenEndpointAuthMethods,
            ["response_types_supported"] = ResponseTypes,
            ["subject_types_supported"] = SubjectTypes,
            ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
            ["scopes_supported"] = Scopes,
            ["tenant_region_scope"] = "EU",
        }, Json);
    }

    private IResult Keys()
    {
        var parameters = signingKey.ExportParameters(includePrivateParameters: false);
        return Results.Json(new
        {
            keys = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = KeyId,
                    ["x5t"] = KeyId,
                    ["n"] = Base64Url(parameters.Modulus!),
                    ["e"] = Base64Url(parameters.Exponent!),
                },
            },
        }, Json);
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (form["grant_type"] != "client_credentials")
        {
            return Error(HttpStatusCode.BadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        }

        if (!clients.TryGetValue(form["client_id"].ToString(), out var client))
        {
            return Error(HttpStatusCode.BadRequest, "unauthorized_client", 700016, $"Application with identifier '{form["client_id"]}' was not found in the directory '{TenantId}'.");
        }

        if (form.ContainsKey("client_assertion_type") || form.ContainsKey("client_assertion"))
        {
            if (CheckAssertion(client, form["client_assertion_type"].ToString(), form["client_assertion"].ToString(), new Uri(HttpsBase, $"{TenantId}/oauth2/v2.0/token")) is { } refused)
            {
                return refused;
            }
        }
        else if (!client.Secret.Equals(new Secret(form["client_secret"].ToString())))
        {
            return Error(HttpStatusCode.Unauthorized, "invalid_client", 7000215, "Invalid client secret provided.");
        }

        // The client credentials grant takes one scope, {resource}/.default, the resource by client id or app id URI.
        var scope = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scope is [$"{ExchangeOnline}/.default"])
        {
            return ExchangeToken(client);
        }

        if (scope is not [var only] || (only != $"{ApiAppIdUri}/.default" && only != $"{ApiClientId}/.default"))
        {
            return Error(HttpStatusCode.BadRequest, "invalid_scope", 1002012, $"The provided value for scope {form["scope"]} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
        }

        var token = CreateAccessToken(client);
        issued.Enqueue(token);
        return Results.Json(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = TokenLifetimeSeconds,
            ["ext_expires_in"] = TokenLifetimeSeconds,
            ["access_token"] = token,
        }, Json);
    }

    /// <summary>A certificate credential as "Microsoft identity platform application authentication certificate
    /// credentials" describes it (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials):
    /// <c>client_assertion_type</c> the fixed jwt-bearer value, <c>client_assertion</c> a JWT whose header has
    /// <c>alg</c> PS256 (RS256 in the page's earlier versions) and <c>x5t#S256</c> (<c>x5t</c>, SHA-1, earlier) the
    /// base64url thumbprint of the certificate's DER encoding; whose claims have <c>aud</c> the token endpoint,
    /// <c>iss</c> and <c>sub</c> the client id, <c>jti</c>, and <c>nbf</c> .. <c>exp</c> around now ("must not be accepted"
    /// outside it, RFC 7519 4.1.4, 4.1.5); signed with the certificate's key ("Use PSS padding"). The refusals carry
    /// the AADSTS codes of "Troubleshoot ... service principal authentication"
    /// (https://learn.microsoft.com/en-us/azure/developer/java/sdk/troubleshooting-authentication-service-principal):
    /// AADSTS700027 an invalid signature, AADSTS700021 an iss or sub that is not client_id, AADSTS700023 an audience
    /// that is not this token endpoint, AADSTS700024 outside its valid time range; a malformed JWT AADSTS50027
    /// (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes).</summary>
    private IResult? CheckAssertion(EntraClient client, string type, string assertion, Uri tokenEndpoint)
    {
        var parts = assertion.Split('.');
        JsonElement header, payload;
        byte[] signature;
        try
        {
            if (type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || parts.Length != 3)
            {
                throw new FormatException();
            }

            header = JsonSerializer.Deserialize<JsonElement>(FromBase64Url(parts[0]));
            payload = JsonSerializer.Deserialize<JsonElement>(FromBase64Url(parts[1]));
            signature = FromBase64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_request", 50027, "JWT token is invalid or malformed.");
        }

        var alg = Text(header, "alg");
        var certificate = client.Certificate;
#pragma warning disable CA5350 // x5t is by definition the SHA-1 thumbprint (RFC 7515, 4.1.7): a name, not a signature.
        var thumbprintMatches = certificate is not null
            && (Text(header, "x5t#S256") is { } s256 ? s256 == Base64Url(SHA256.HashData(certificate.RawData))
                : Text(header, "x5t") is { } sha1 && sha1 == Base64Url(SHA1.HashData(certificate.RawData)));
#pragma warning restore CA5350
        if (!thumbprintMatches || alg is not ("PS256" or "RS256"))
        {
            return Error(HttpStatusCode.Unauthorized, "invalid_client", 700027,
                $"Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{Text(header, "x5t#S256") ?? Text(header, "x5t")}']");
        }

        using var key = certificate!.GetRSAPublicKey()!;
        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        if (!key.VerifyData(signed, signature, HashAlgorithmName.SHA256, alg == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1))
        {
            return Error(HttpStatusCode.Unauthorized, "invalid_client", 700027, "Client assertion failed signature validation.");
        }

        if (Text(payload, "iss") != client.ClientId || Text(payload, "sub") != client.ClientId)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
        }

        if (Text(payload, "aud") != tokenEndpoint.AbsoluteUri)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer.");
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (Number(payload, "nbf") is not { } nbf || Number(payload, "exp") is not { } exp || now < nbf || now >= exp || Text(payload, "jti") is null)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_client", 700024, "Client assertion is not within its valid time range.");
        }

        assertions.Enqueue((header, payload));
        return null;
    }

    private static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A NumericDate claim: a JSON number (RFC 7519, 2), or the same digits as a string, which is how MSAL.NET
    /// writes nbf and exp in its assertions (seen from MSAL.NET 4.92) and Entra accepts.</summary>
    private static long? Number(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value)
            && (value.ValueKind == JsonValueKind.Number ? value.TryGetInt64(out var number)
                : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number))
            ? number : null;

    private static byte[] FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }

    private IResult ExchangeToken(EntraClient client)
    {
        if (!client.AdminConsented)
        {
            return Error(HttpStatusCode.BadRequest, "invalid_grant", 65001,
                $"The user or administrator has not consented to use the application with ID '{client.ClientId}'. Send an interactive authorization request for this user and resource.");
        }

        var token = CreateAccessToken(client, audience: ExchangeOnline, roles: client.ExchangeRoles);
        issued.Enqueue(token);
        exchangeTokens[token] = (client, DateTimeOffset.UtcNow.AddSeconds(TokenLifetimeSeconds));
        return Results.Json(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = TokenLifetimeSeconds,
            ["ext_expires_in"] = TokenLifetimeSeconds,
            ["access_token"] = token,
        }, Json);
    }

    private static IResult Error(HttpStatusCode status, string error, int code, string description) =>
        Results.Json(new Dictionary<string, object>
        {
            ["error"] = error,
            ["error_description"] = $"AADSTS{code}: {description}",
            ["error_codes"] = new[] { code },
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["trace_id"] = Guid.NewGuid().ToString(),
            ["correlation_id"] = Guid.NewGuid().ToString(),
        }, Json, statusCode: (int)status);

    /// <summary>The https listener's certificate: self-signed for 127.0.0.1, a day long.</summary>
    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
