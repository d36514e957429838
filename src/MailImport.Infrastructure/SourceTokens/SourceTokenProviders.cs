using System.Collections.Concurrent;
using MailImport.Core;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Connections;
using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure.SourceTokens;

/// <summary>The token provider of each batch that logs in to its source with tokens, made once per batch and process
/// so that its in-memory tokens (per mailbox for Google, per app for Microsoft) serve all of the batch's chunks.</summary>
/// <remarks>The key, client secret or certificate comes from the batch's sealed secret at the caller; it lives in the provider's
/// memory only and is dropped with it (<see cref="Forget"/>, when the batch is closed).</remarks>
public sealed class SourceTokenProviders(SourceTokenOptions options, ILoggerFactory loggers, HttpClient? microsoftHttp = null)
{
    /// <summary>The name of the HttpClient (IHttpClientFactory) MSAL sends its token requests with.</summary>
    public const string MicrosoftHttpClientName = "MailImport.SourceTokens.Microsoft";

    private readonly ConcurrentDictionary<string, ISourceTokenProvider> providers = new(StringComparer.Ordinal);

    /// <summary>The provider of <paramref name="batchId"/>, made from <paramref name="credential"/> the first time.</summary>
    /// <exception cref="ArgumentException">The authentication is by password, or its key no longer parses.</exception>
    public ISourceTokenProvider For(string batchId, SourceAuthentication authentication, Func<Secret> credential)
    {
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(credential);
        return providers.GetOrAdd(batchId, _ => Create(authentication, credential()));
    }

    /// <summary>The provider of <paramref name="batchId"/>; <paramref name="credential"/> is read only when this process has
    /// none of the batch yet, so the chunks of a batch unseal its key or secret once.</summary>
    public async Task<ISourceTokenProvider> ForAsync(string batchId, SourceAuthentication authentication, Func<Task<Secret>> credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (providers.TryGetValue(batchId, out var provider))
        {
            return provider;
        }

        var secret = await credential();
        return For(batchId, authentication, () => secret);
    }

    /// <summary>Drops the batch's provider and with it its secret and tokens.</summary>
    public void Forget(string batchId) => providers.TryRemove(batchId, out _);

    private ISourceTokenProvider Create(SourceAuthentication authentication, Secret credential)
    {
        var logger = loggers.CreateLogger<SourceTokenProviders>();
        return authentication.Type switch
        {
            SourceAuthenticationType.GoogleServiceAccount => new GoogleServiceAccountTokens(
                GoogleServiceAccountKey.Parse(credential.Reveal(), out var problem) ?? throw new ArgumentException($"The batch's service account key does not parse: {problem}", nameof(credential)),
                options.GoogleTokenUrl, logger),
            SourceAuthenticationType.MicrosoftAppOnly => new MicrosoftAppOnlyTokens(
                authentication.CertificateThumbprint is null
                    ? new MicrosoftApp(authentication.TenantId!, authentication.ClientId!, credential)
                    : new MicrosoftApp(authentication.TenantId!, authentication.ClientId!, null, MicrosoftAppCertificate.Open(credential)),
                options.MicrosoftAuthorityHost, logger, microsoftHttp),
            _ => throw new ArgumentException("A batch that logs in with passwords has no token provider.", nameof(authentication)),
        };
    }
}
