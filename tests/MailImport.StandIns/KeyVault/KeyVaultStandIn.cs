using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.StandIns.KeyVault;

/// <summary>A local Azure Key Vault with soft-delete, holding secrets only, on Kestrel at https://127.0.0.1: the REST
/// operations the Azure SDK's SecretClient sends, with the vault's authentication challenge.</summary>
/// <remarks>
/// <para>Operations, each with <c>?api-version=</c> (https://learn.microsoft.com/en-us/rest/api/keyvault/secrets/operation-groups):</para>
/// <list type="bullet">
/// <item><c>PUT /secrets/{name}</c> {value, attributes: {enabled, nbf, exp}, contentType, tags}: a new version, 200 with
/// the SecretBundle {value, id: {vault}/secrets/{name}/{version}, attributes: {enabled, exp, created, updated,
/// recoveryLevel, recoverableDays}}; 409 while a deleted secret of that name is not purged ("its name cannot be reused",
/// https://learn.microsoft.com/en-us/azure/key-vault/general/soft-delete-overview#secret-recovery).</item>
/// <item><c>GET /secrets/{name}</c> and <c>/secrets/{name}/{version}</c>: the bundle, expired or not ("A secret's get
/// operation will work for not-yet-valid and expired secrets",
/// https://learn.microsoft.com/en-us/azure/key-vault/secrets/about-secrets#date-time-controlled-operations); 404
/// SecretNotFound.</item>
/// <item><c>PATCH /secrets/{name}/{version}</c> {attributes}: the version's attributes changed, the bundle without its
/// value (https://learn.microsoft.com/en-us/rest/api/keyvault/secrets/update-secret/update-secret).</item>
/// <item><c>DELETE /secrets/{name}</c>: every version moves to the deleted secrets, 200 with the DeletedSecretBundle
/// {recoveryId: {vault}/deletedsecrets/{name}, deletedDate, scheduledPurgeDate, id, attributes}
/// (https://learn.microsoft.com/en-us/rest/api/keyvault/secrets/delete-secret/delete-secret).</item>
/// <item><c>GET /deletedsecrets/{name}</c>: that bundle, 404 when none; <c>DELETE /deletedsecrets/{name}</c>: purged,
/// 204 (https://learn.microsoft.com/en-us/rest/api/keyvault/secrets/purge-deleted-secret/purge-deleted-secret).</item>
/// </list>
/// <para>A request without a valid bearer token gets 401 with <c>WWW-Authenticate: Bearer
/// authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net"</c>, the challenge the
/// SDK answers by asking its credential for a token
/// (https://learn.microsoft.com/en-us/azure/key-vault/general/authentication-requests-and-responses#authentication).
/// Errors are {error: {code, message}}. Assumptions where the pages are silent: versions are 32 hex digits, deletion
/// completes at once, and the retention is 90 days.</para>
/// </remarks>
public sealed class KeyVaultStandIn : IAsyncDisposable
{
    private const int RecoverableDays = 90;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly object gate = new();
    private readonly Dictionary<string, List<SecretVersion>> secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (List<SecretVersion> Versions, DateTimeOffset DeletedAt)> deleted = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> operations = new();
    private readonly X509Certificate2 certificate = LoopbackCertificate.Create();
    private WebApplication? app;

    /// <summary>A vault that takes <paramref name="accessToken"/> as its callers' bearer token.</summary>
    public KeyVaultStandIn(string accessToken, string? tenantId = null)
    {
        AccessToken = accessToken;
        TenantId = tenantId ?? Guid.NewGuid().ToString();
        CertificateSha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>The bearer token the vault accepts.</summary>
    public string AccessToken { get; }

    /// <summary>The tenant its challenge names.</summary>
    public string TenantId { get; }

    /// <summary>The SHA-256 of its certificate, hex, for a client that pins it.</summary>
    public string CertificateSha256 { get; }

    /// <summary>The vault's URI (the setting MailImport:KeyVaultUri), once started.</summary>
    public Uri VaultUri { get; private set; } = new("https://127.0.0.1:1/");

    /// <summary>Every operation answered, as "METHOD path status", in order.</summary>
    public IReadOnlyList<string> Operations => [.. operations];

    /// <summary>The names of the secrets that exist (not deleted).</summary>
    public IReadOnlyList<string> SecretNames
    {
        get
        {
            lock (gate)
            {
                return [.. secrets.Keys];
            }
        }
    }

    /// <summary>The names of the deleted secrets not yet purged.</summary>
    public IReadOnlyList<string> DeletedSecretNames
    {
        get
        {
            lock (gate)
            {
                return [.. deleted.Keys];
            }
        }
    }

    /// <summary>Every value the vault holds or held and has not purged, for tests that look for them elsewhere.</summary>
    public IReadOnlyList<string> Values
    {
        get
        {
            lock (gate)
            {
                return [.. secrets.Values.Concat(deleted.Values.Select(d => d.Versions)).SelectMany(v => v).Select(v => v.Value)];
            }
        }
    }

    /// <summary>The credential a client of this vault presents: its token, for any scope the challenge asks.</summary>
    public TokenCredential Credential() => new FixedTokenCredential(AccessToken);

    /// <summary>Client options that reach this vault as the product reaches Azure's: the challenge's resource is not
    /// this host's (the SDK checks that they match unless told not to), and the certificate is trusted by its pin.</summary>
    public SecretClientOptions ClientOptions()
    {
        var options = new SecretClientOptions
        {
            DisableChallengeResourceVerification = true,
            Transport = new HttpClientTransport(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString(HashAlgorithmName.SHA256) == CertificateSha256 },
            }),
        };
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    /// <summary>The expiry of a secret's current version, or null when it has none or does not exist.</summary>
    public DateTimeOffset? ExpiryOf(string name)
    {
        lock (gate)
        {
            return secrets.TryGetValue(name, out var versions) ? versions[^1].Expires : null;
        }
    }

    /// <summary>Starts on a free port of 127.0.0.1.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.FirstOrDefault() != $"Bearer {AccessToken}")
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"https://login.microsoftonline.com/{TenantId}\", resource=\"https://vault.azure.net\"";
                await context.Response.WriteAsJsonAsync(Error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."), Json);
            }
            else if (string.IsNullOrEmpty(context.Request.Query["api-version"]))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsJsonAsync(Error("BadParameter", "The api-version query parameter is required."), Json);
            }
            else
            {
                await next(context);
            }

            operations.Enqueue($"{context.Request.Method} {context.Request.Path} {context.Response.StatusCode}");
        });
        app.MapPut("/secrets/{name}", SetAsync);
        app.MapGet("/secrets/{name}/{version?}", Get);
        app.MapPatch("/secrets/{name}/{version}", UpdateAsync);
        app.MapDelete("/secrets/{name}", Delete);
        app.MapGet("/deletedsecrets/{name}", GetDeleted);
        app.MapDelete("/deletedsecrets/{name}", Purge);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        VaultUri = new Uri($"https://127.0.0.1:{address.Port}/");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        certificate.Dispose();
    }

    private async Task<IResult> SetAsync(string name, HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        if (body?["value"]?.GetValue<string>() is not { } value)
        {
            return Results.Json(Error("BadParameter", "The value of the secret is missing."), Json, statusCode: 400);
        }

        var now = DateTimeOffset.UtcNow;
        var version = new SecretVersion(Guid.NewGuid().ToString("N"), value, now) { Expires = UnixTime(body["attributes"]?["exp"]) };
        lock (gate)
        {
            if (deleted.ContainsKey(name))
            {
                return Results.Json(Error("Conflict", $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can be recovered or purged."), Json, statusCode: 409);
            }

            if (!secrets.TryGetValue(name, out var versions))
            {
                secrets[name] = versions = [];
            }

            versions.Add(version);
        }

        return Results.Json(Bundle(name, version, withValue: true), Json);
    }

    private IResult Get(string name, string? version)
    {
        lock (gate)
        {
            return Find(name, version) is { } found ? Results.Json(Bundle(name, found, withValue: true), Json) : NotFound(name);
        }
    }

    private async Task<IResult> UpdateAsync(string name, string version, HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        lock (gate)
        {
            if (Find(name, version) is not { } found)
            {
                return NotFound(name);
            }

            if (body?["attributes"] is JsonObject attributes && attributes.ContainsKey("exp"))
            {
                found.Expires = UnixTime(attributes["exp"]);
            }

            found.Updated = DateTimeOffset.UtcNow;
            return Results.Json(Bundle(name, found, withValue: false), Json);
        }
    }

    private IResult Delete(string name)
    {
        lock (gate)
        {
            if (!secrets.Remove(name, out var versions))
            {
                return NotFound(name);
            }

            deleted[name] = (versions, DateTimeOffset.UtcNow);
            return Results.Json(DeletedBundle(name), Json);
        }
    }

    private IResult GetDeleted(string name)
    {
        lock (gate)
        {
            return deleted.ContainsKey(name) ? Results.Json(DeletedBundle(name), Json) : Results.Json(Error("SecretNotFound", $"Deleted Secret not found: {name}"), Json, statusCode: 404);
        }
    }

    private IResult Purge(string name)
    {
        lock (gate)
        {
            return deleted.Remove(name) ? Results.NoContent() : Results.Json(Error("SecretNotFound", $"Deleted Secret not found: {name}"), Json, statusCode: 404);
        }
    }

    private SecretVersion? Find(string name, string? version) =>
        secrets.TryGetValue(name, out var versions)
            ? string.IsNullOrEmpty(version) ? versions[^1] : versions.FirstOrDefault(v => v.Version == version)
            : null;

    private JsonObject Bundle(string name, SecretVersion version, bool withValue)
    {
        var bundle = new JsonObject
        {
            ["id"] = new Uri(VaultUri, $"secrets/{name}/{version.Version}").AbsoluteUri,
            ["attributes"] = Attributes(version),
        };
        if (withValue)
        {
            bundle["value"] = version.Value;
        }

        return bundle;
    }

    private JsonObject DeletedBundle(string name)
    {
        var (versions, deletedAt) = deleted[name];
        var bundle = Bundle(name, versions[^1], withValue: false);
        bundle["recoveryId"] = new Uri(VaultUri, $"deletedsecrets/{name}").AbsoluteUri;
        bundle["deletedDate"] = deletedAt.ToUnixTimeSeconds();
        bundle["scheduledPurgeDate"] = deletedAt.AddDays(RecoverableDays).ToUnixTimeSeconds();
        return bundle;
    }

    private static JsonObject Attributes(SecretVersion version)
    {
        var attributes = new JsonObject
        {
            ["enabled"] = true,
            ["created"] = version.Created.ToUnixTimeSeconds(),
            ["updated"] = version.Updated.ToUnixTimeSeconds(),
            ["recoveryLevel"] = "Recoverable+Purgeable",
            ["recoverableDays"] = RecoverableDays,
        };
        if (version.Expires is { } expires)
        {
            attributes["exp"] = expires.ToUnixTimeSeconds();
        }

        return attributes;
    }

    private static DateTimeOffset? UnixTime(JsonNode? node) => node is null ? null : DateTimeOffset.FromUnixTimeSeconds(node.GetValue<long>());

    private static IResult NotFound(string name) => Results.Json(Error("SecretNotFound", $"A secret with (name/id) {name} was not found in this key vault."), Json, statusCode: 404);

    private static JsonObject Error(string code, string message) => new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private sealed class FixedTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class SecretVersion(string version, string value, DateTimeOffset created)
    {
        public string Version { get; } = version;

        public string Value { get; } = value;

        public DateTimeOffset Created { get; } = created;

        public DateTimeOffset Updated { get; set; } = created;

        public DateTimeOffset? Expires { get; set; }
    }
}
