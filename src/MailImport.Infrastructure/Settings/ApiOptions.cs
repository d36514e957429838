using System.ComponentModel.DataAnnotations;

namespace MailImport.Infrastructure.Settings;

/// <summary>Settings of the HTTP API: who may call it (the key, Entra ID tokens) and how often a caller may start runs.</summary>
public sealed class ApiOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Api";

    /// <summary>The key automation presents (x-functions-key header or code query); it acts with every role. Empty:
    /// no key is accepted.</summary>
    public string Key { get; set; } = "";

    /// <summary>True when <see cref="Key"/> holds a key. On Azure the key is a Key Vault reference that the platform
    /// replaces with the secret's value; one it could not resolve (the secret is not stored yet, the identity may not
    /// read it) stays as the reference text, which anyone who read the template could send, so it counts as no key
    /// (https://learn.microsoft.com/en-us/azure/app-service/app-service-key-vault-references#troubleshooting-key-vault-references).</summary>
    public bool HasKey => Key.Length > 0 && !Key.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    /// <summary>Microsoft Entra ID bearer tokens for the API (MailImport:Api:Entra); off while its audience is empty.</summary>
    public EntraApiOptions Entra { get; set; } = new();

    /// <summary>How many runs each caller may start (MailImport:Api:Limits).</summary>
    public ApiLimitOptions Limits { get; set; } = new();

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The nested sections are validated here, since data annotations do not reach into child objects; each
        // result names its setting under this section (MailImport:Api:Entra:TenantId).
        foreach (var (prefix, child) in new (string, object)[] { (nameof(Entra), Entra), (nameof(Limits), Limits) })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(child, new ValidationContext(child), results, validateAllProperties: true);
            foreach (var result in results)
            {
                yield return new ValidationResult(result.ErrorMessage, [.. result.MemberNames.Select(m => $"{prefix}:{m}")]);
            }
        }
    }
}

/// <summary>Where the API's tokens come from and whom they are for.</summary>
/// <remarks>
/// A token is good when its signature verifies with a key of the authority's JWKS, its issuer is the issuer of the
/// authority's OpenID Connect metadata ({Authority}/.well-known/openid-configuration), its audience is
/// <see cref="Audience"/> and it is within its lifetime
/// (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-tokens,
/// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri).
/// </remarks>
public sealed class EntraApiOptions : IValidatableObject
{
    /// <summary>The cloud's sign-in host; the public cloud's unless set.</summary>
    [Required]
    public Uri Instance { get; set; } = new("https://login.microsoftonline.com/");

    /// <summary>The directory (tenant) id of the app registration: only its tokens are taken.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>The v2.0 authority, when it is not {Instance}{TenantId}/v2.0 (a sovereign cloud's, or a local
    /// stand-in's). Over plain http only on a loopback address.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The <c>aud</c> the API's tokens carry: for v2.0 tokens always the API's application (client) id
    /// (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#payload-claims). Empty: tokens are off.</summary>
    public string Audience { get; set; } = "";

    /// <summary>True when bearer tokens are accepted.</summary>
    public bool Enabled => !string.IsNullOrEmpty(Audience);

    /// <summary>The authority whose metadata and keys decide.</summary>
    public Uri EffectiveAuthority => Authority ?? new Uri(Instance, $"{TenantId}/v2.0");

    /// <summary>The OpenID Connect discovery document of <see cref="EffectiveAuthority"/>.</summary>
    public Uri MetadataAddress => new($"{EffectiveAuthority.AbsoluteUri.TrimEnd('/')}/.well-known/openid-configuration");

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (Authority is null && !Guid.TryParse(TenantId, out _))
        {
            yield return new ValidationResult("Give the directory (tenant) id, a GUID, or an Authority.", [nameof(TenantId)]);
        }

        var authority = Authority ?? Instance;
        if (!authority.IsAbsoluteUri || (authority.Scheme != Uri.UriSchemeHttps && !(authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback)))
        {
            // The keys that decide who is who come from there: only TLS, or a loopback address, keeps them ours.
            yield return new ValidationResult("Give an https address (plain http only on a loopback address).", [Authority is null ? nameof(Instance) : nameof(Authority)]);
        }
    }
}

/// <summary>Runs each caller may start in a window, counted apart for dry runs (a dry run tries every login in its
/// file) and for real starts and re-runs; per process, so an app scaled out to N instances allows up to N times as many.</summary>
public sealed class ApiLimitOptions
{
    /// <summary>Starts and re-runs one caller may make in a <see cref="Window"/>.</summary>
    [Range(1, int.MaxValue)]
    public int RunsPerWindow { get; set; } = 20;

    /// <summary>Dry runs one caller may make in a <see cref="Window"/>.</summary>
    [Range(1, int.MaxValue)]
    public int DryRunsPerWindow { get; set; } = 20;

    /// <summary>The window, fixed and starting with a caller's first run in it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);
}
