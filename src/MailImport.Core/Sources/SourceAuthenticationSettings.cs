using System.Text.Json;
using MailImport.Core.Errors;

namespace MailImport.Core.Sources;

/// <summary>The source authentication as the API's <c>source.authentication</c> carries it:
/// <c>{"type":"password"}</c>, <c>{"type":"googleServiceAccount","serviceAccountKey":{...}}</c> or
/// <c>{"type":"microsoftAppOnly","tenantId":...,"clientId":...,"clientSecret":...}</c> (or, instead of the secret,
/// <c>"clientCertificate"</c> and <c>"clientCertificatePassword"</c>).</summary>
/// <remarks>A class, not a record: a record's generated <c>ToString()</c> would print the key and the secret into any
/// log line or exception that mentions the request. This one names the type and the ids only.</remarks>
public sealed class SourceAuthenticationRequest
{
    /// <summary>password (the default), googleServiceAccount or microsoftAppOnly.</summary>
    public string? Type { get; init; }

    /// <summary>The service account's JSON key, the whole downloaded file.</summary>
    public JsonElement? ServiceAccountKey { get; init; }

    /// <summary>The Entra tenant (directory) id or a verified domain of it.</summary>
    public string? TenantId { get; init; }

    /// <summary>The Entra app's application (client) id.</summary>
    public string? ClientId { get; init; }

    /// <summary>A client secret's value.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Instead of the secret: the app's certificate with its private key, a PFX (PKCS#12) file in base64.</summary>
    public string? ClientCertificate { get; init; }

    /// <summary>The PFX file's password (none or empty for a file without one).</summary>
    public string? ClientCertificatePassword { get; init; }

    /// <summary>Whether any field of a Microsoft app's credential is given.</summary>
    internal bool HasMicrosoftCredential => ClientSecret is not null || ClientCertificate is not null || ClientCertificatePassword is not null;

    /// <inheritdoc/>
    public override string ToString() => $"{Type ?? "password"} (tenant {TenantId ?? "-"}, client {ClientId ?? "-"}, key {(ServiceAccountKey is null ? "-" : Secret.Mask)}, secret {(ClientSecret is null ? "-" : Secret.Mask)}, certificate {(ClientCertificate is null ? "-" : Secret.Mask)})";
}

/// <summary>How a batch logs in to the source, without its secret: what the batch's record keeps.</summary>
/// <param name="Type">The kind of login, which also decides the credential file's grammar.</param>
/// <param name="ServiceAccountEmail">The Google service account (googleServiceAccount).</param>
/// <param name="TenantId">The Entra tenant (microsoftAppOnly).</param>
/// <param name="ClientId">The service account's numeric client id, or the Entra app's client id.</param>
/// <param name="CertificateThumbprint">The SHA-1 thumbprint (hex, as the app registration's Certificates list shows it)
/// of the Entra app's certificate, when the app signs in with a certificate instead of a client secret.</param>
public sealed record SourceAuthentication(SourceAuthenticationType Type, string? ServiceAccountEmail = null, string? TenantId = null, string? ClientId = null, string? CertificateThumbprint = null)
{
    /// <summary>A login with each line's password.</summary>
    public static SourceAuthentication Password { get; } = new(SourceAuthenticationType.Password);
}

/// <summary>A resolved source authentication and its secret (the key file or the client secret), or the problems.</summary>
/// <param name="Authentication">What the batch keeps, when there are no problems.</param>
/// <param name="Credential">The secret to seal into the batch's secret store at upload; null for passwords.</param>
/// <param name="Problems">Every invalid field, as <c>authentication.FIELD</c>.</param>
public sealed record SourceAuthenticationResult(SourceAuthentication? Authentication, Secret? Credential, IReadOnlyList<SettingProblem> Problems);

/// <summary>Checks <see cref="SourceAuthenticationRequest"/>: every field, and never an echo of the key or secret.</summary>
public static class SourceAuthenticationSettings
{
    /// <summary>The request types, as the API spells them.</summary>
    public const string PasswordType = "password", GoogleType = "googleServiceAccount", MicrosoftType = "microsoftAppOnly";

    /// <summary>Resolves a request (null: passwords); <paramref name="now"/> (default: the clock) dates a certificate.</summary>
    public static SourceAuthenticationResult Resolve(SourceAuthenticationRequest? request, DateTimeOffset? now = null)
    {
        var type = request?.Type?.Trim();
        if (request is null || string.IsNullOrEmpty(type) || type.Equals(PasswordType, StringComparison.OrdinalIgnoreCase))
        {
            return request is not null && (request.ServiceAccountKey is not null || request.HasMicrosoftCredential || request.ClientId is not null || request.TenantId is not null)
                ? Failed(Problem("type", "The password authentication takes no key, tenant, client or secret; give type googleServiceAccount or microsoftAppOnly to use them."))
                : new(SourceAuthentication.Password, null, []);
        }

        if (type.Equals(GoogleType, StringComparison.OrdinalIgnoreCase))
        {
            return ResolveGoogle(request);
        }

        return type.Equals(MicrosoftType, StringComparison.OrdinalIgnoreCase)
            ? ResolveMicrosoft(request, now ?? DateTimeOffset.UtcNow)
            : Failed(Problem("type", $"The authentication type is unknown; give {PasswordType}, {GoogleType} or {MicrosoftType}."));
    }

    private static SourceAuthenticationResult ResolveGoogle(SourceAuthenticationRequest request)
    {
        if (request.HasMicrosoftCredential || request.TenantId is not null || request.ClientId is not null)
        {
            return Failed(Problem("type", "A Google service account takes only serviceAccountKey; tenantId, clientId, clientSecret and clientCertificate are for microsoftAppOnly."));
        }

        if (request.ServiceAccountKey is not { ValueKind: JsonValueKind.Object } keyJson)
        {
            return Failed(Problem("serviceAccountKey", "Give the service account's JSON key file (IAM & Admin > Service accounts > Keys > Add key > JSON) as the value of serviceAccountKey."));
        }

        var raw = keyJson.GetRawText();
        return GoogleServiceAccountKey.Parse(raw, out var problem) is { } key
            ? new(new SourceAuthentication(SourceAuthenticationType.GoogleServiceAccount, key.ClientEmail, ClientId: key.ClientId), new Secret(raw), [])
            : Failed(Problem("serviceAccountKey", problem!));
    }

    private static SourceAuthenticationResult ResolveMicrosoft(SourceAuthenticationRequest request, DateTimeOffset now)
    {
        var problems = new List<SettingProblem>();
        if (request.ServiceAccountKey is not null)
        {
            problems.Add(Problem("serviceAccountKey", "An Entra app takes tenantId, clientId and clientSecret; serviceAccountKey is for googleServiceAccount."));
        }

        var tenant = request.TenantId?.Trim();
        if (string.IsNullOrEmpty(tenant) || !(Guid.TryParse(tenant, out _) || (Uri.CheckHostName(tenant) == UriHostNameType.Dns && tenant.Contains('.', StringComparison.Ordinal))))
        {
            problems.Add(Problem("tenantId", "Give the Directory (tenant) ID from the app registration's Overview page, or the tenant's domain such as contoso.onmicrosoft.com."));
        }

        var client = request.ClientId?.Trim();
        if (string.IsNullOrEmpty(client) || !Guid.TryParse(client, out _))
        {
            problems.Add(Problem("clientId", "Give the Application (client) ID from the app registration's Overview page (a GUID)."));
        }

        var (credential, thumbprint) = request.ClientCertificate is not null || request.ClientCertificatePassword is not null
            ? ResolveCertificate(request, now, problems)
            : ResolveSecret(request, problems);
        return problems.Count > 0
            ? new(null, null, problems)
            : new(new SourceAuthentication(SourceAuthenticationType.MicrosoftAppOnly, TenantId: tenant, ClientId: client, CertificateThumbprint: thumbprint), credential, []);
    }

    private static (Secret? Credential, string? Thumbprint) ResolveSecret(SourceAuthenticationRequest request, List<SettingProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(request.ClientSecret) || request.ClientSecret.AsSpan().IndexOfAny(Credentials.CredentialFile.ControlCharacters) >= 0)
        {
            problems.Add(Problem("clientSecret", "Give the client secret's Value (Certificates & secrets > Client secrets), not its Secret ID; or, instead, the app's certificate as clientCertificate."));
            return (null, null);
        }

        return (new Secret(request.ClientSecret), null);
    }

    /// <summary>The certificate instead of the secret: the PFX must open with its password and hold an RSA private key.</summary>
    private static (Secret? Credential, string? Thumbprint) ResolveCertificate(SourceAuthenticationRequest request, DateTimeOffset now, List<SettingProblem> problems)
    {
        if (request.ClientSecret is not null)
        {
            problems.Add(Problem("clientSecret", "Give either clientSecret or clientCertificate (with clientCertificatePassword), not both."));
            return (null, null);
        }

        if (request.ClientCertificate is null)
        {
            problems.Add(Problem("clientCertificate", "clientCertificatePassword is the password of clientCertificate: give the PFX file too, in base64."));
            return (null, null);
        }

        using var certificate = MicrosoftAppCertificate.Load(request.ClientCertificate, request.ClientCertificatePassword, now, out var problem);
        if (certificate is null)
        {
            problems.Add(Problem(problem!.Value.Field, problem.Value.Message));
            return (null, null);
        }

        return (MicrosoftAppCertificate.Seal(request.ClientCertificate, request.ClientCertificatePassword), certificate.Thumbprint);
    }

    private static SettingProblem Problem(string field, string message) => new("authentication." + field, ErrorCode.SettingsInvalidAuthentication, message);

    private static SourceAuthenticationResult Failed(SettingProblem problem) => new(null, null, [problem]);
}
