using Microsoft.Identity.Client;

namespace MailImport.Testing;

/// <summary>Gets app-only access tokens the way a daemon does, with the real MSAL.NET: a confidential client, the
/// client credentials grant, scope {resource}/.default
/// (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow).</summary>
/// <remarks>MSAL takes only an https authority, so the token service is reached over TLS; its certificate (a stand-in's
/// self-signed one) is trusted by its SHA-256 pin, through MSAL's own hook for the HttpClient it uses
/// (https://learn.microsoft.com/en-us/entra/msal/dotnet/advanced/httpclient). Instance discovery is off, as for any
/// authority that is not one of Microsoft's clouds.</remarks>
public static class MsalTokens
{
    /// <summary>A token for <paramref name="resource"/> from the tenant at <paramref name="authority"/> (https://host/{tenant}/).</summary>
    public static async Task<string> ForClientAsync(Uri authority, string clientId, string clientSecret, string resource, string certificateSha256)
    {
        using var http = PinnedHttpClient.Trusting(certificateSha256);
        var client = ConfidentialClientApplicationBuilder.Create(clientId)
            .WithClientSecret(clientSecret)
            .WithAuthority(authority.AbsoluteUri, validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new OneHttpClient(http))
            .Build();
        var result = await client.AcquireTokenForClient([$"{resource}/.default"]).ExecuteAsync();
        return result.AccessToken;
    }

    private sealed class OneHttpClient(HttpClient http) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => http;
    }
}
