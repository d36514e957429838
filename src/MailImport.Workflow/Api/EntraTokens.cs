using MailImport.Infrastructure.Settings;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace MailImport.Workflow.Api;

/// <summary>What a token check found: the caller, or why there is none.</summary>
/// <param name="Caller">The caller of a good token.</param>
/// <param name="MetadataUnavailable">True when the authority's metadata or keys could not be read.</param>
public sealed record TokenCheck(ApiCaller? Caller, bool MetadataUnavailable = false);

/// <summary>Validates Microsoft Entra ID access tokens for the API as the identity platform documents: the signature
/// with a key from the authority's JWKS (found through its OpenID Connect metadata), the issuer that metadata names,
/// the audience of the API's app registration, and the lifetime
/// (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-tokens). Both hosts use it, so
/// they take and refuse the same tokens.</summary>
/// <remarks>The metadata and keys are cached and refreshed by <see cref="ConfigurationManager{T}"/> (daily, or at most
/// every five minutes when a token names a key it does not know: Entra rolls its signing keys, and a token signed with
/// a new one may come before the cache has it, https://learn.microsoft.com/en-us/entra/identity-platform/signing-key-rollover).</remarks>
public sealed class EntraTokens
{
    /// <summary>The named HttpClient that reads the metadata and keys.</summary>
    public const string HttpClientName = "EntraMetadata";

    private readonly EntraApiOptions options;
    private readonly ILogger<EntraTokens> logger;
    private readonly Lazy<ConfigurationManager<OpenIdConnectConfiguration>> metadata;
    private readonly JsonWebTokenHandler handler = new();

    /// <summary>Creates the validator; nothing is fetched until the first token comes.</summary>
    public EntraTokens(IOptions<ApiOptions> api, IHttpClientFactory http, ILogger<EntraTokens> logger)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(http);
        options = api.Value.Entra;
        this.logger = logger;
        metadata = new(() => new ConfigurationManager<OpenIdConnectConfiguration>(
            options.MetadataAddress.AbsoluteUri,
            new OpenIdConnectConfigurationRetriever(),
            // Plain http only for a loopback authority, which the options allow for a local stand-in.
            new HttpDocumentRetriever(http.CreateClient(HttpClientName)) { RequireHttps = !options.MetadataAddress.IsLoopback }));
    }

    /// <summary>Checks <paramref name="token"/>; the token itself is never logged, only why it was refused.</summary>
    public async Task<TokenCheck> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration configuration;
        TokenValidationResult result;
        try
        {
            configuration = await metadata.Value.GetConfigurationAsync(cancellationToken);
            result = await handler.ValidateTokenAsync(token, Parameters(configuration));
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // A key the cache does not have: read the keys again (rate-limited by the manager) and retry once.
                metadata.Value.RequestRefresh();
                configuration = await metadata.Value.GetConfigurationAsync(cancellationToken);
                result = await handler.ValidateTokenAsync(token, Parameters(configuration));
            }
        }
        catch (InvalidOperationException e)
        {
            // ConfigurationManager's "IDX20803: Unable to obtain configuration" when the authority cannot be read.
            logger.EntraMetadataUnavailable(options.MetadataAddress, e.GetType().Name);
            return new TokenCheck(null, MetadataUnavailable: true);
        }

        if (!result.IsValid)
        {
            logger.TokenRefused(result.Exception?.GetType().Name ?? "unknown");
            return new TokenCheck(null);
        }

        var claims = result.ClaimsIdentity;
        var id = claims.FindFirst("oid")?.Value ?? claims.FindFirst("sub")?.Value;
        if (id is null)
        {
            logger.TokenRefused("no oid or sub claim");
            return new TokenCheck(null);
        }

        var roles = claims.FindAll("roles").Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new TokenCheck(new ApiCaller($"oid:{id}", claims.FindFirst("azp")?.Value ?? claims.FindFirst("appid")?.Value, roles));
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration) => new()
    {
        ValidIssuer = configuration.Issuer,
        ValidAudience = options.Audience,
        IssuerSigningKeys = configuration.SigningKeys,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        // Entra signs access tokens with RS256 (https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#header-claims).
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
    };
}
