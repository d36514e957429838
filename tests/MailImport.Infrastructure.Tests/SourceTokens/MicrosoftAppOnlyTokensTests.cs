using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Mail.Errors;
using MailImport.StandIns.EntraId;
using MailImport.Testing;

namespace MailImport.Infrastructure.Tests.SourceTokens;

/// <summary>MSAL's client credentials grant for Exchange Online against the Entra ID stand-in, through
/// <see cref="MicrosoftAppOnlyTokens"/>.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class MicrosoftAppOnlyTokensTests : IAsyncLifetime
{
    private readonly EntraIdStandIn entra = new();
    private readonly CapturingLoggerProvider logs = new();
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        await entra.StartAsync();
        // MSAL takes only https; the stand-in's certificate is trusted by its pin.
        http = PinnedHttpClient.Trusting(entra.CertificateSha256);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await entra.DisposeAsync();
        logs.Dispose();
    }

    private MicrosoftAppOnlyTokens Tokens(EntraClient client, Secret? secret = null, string? tenant = null) =>
        new(new MicrosoftApp(tenant ?? entra.TenantId, client.ClientId, secret ?? client.Secret), entra.HttpsBase, logs.CreateLogger("tokens"), http);

    [Fact]
    public async Task GetTokenAsync_ConsentedApp_GetsOneExchangeTokenForEveryMailbox()
    {
        var client = entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp");
        var tokens = Tokens(client);

        var ivan = await tokens.GetTokenAsync("ivan@contoso.example", CancellationToken.None);
        var maria = await tokens.GetTokenAsync("maria@contoso.example", CancellationToken.None);

        Assert.Equal(ivan, maria);
        Assert.Single(entra.IssuedTokens);
        using var payload = JsonDocument.Parse(Base64Url(ivan.Reveal().Split('.')[1]));
        Assert.Equal(EntraIdStandIn.ExchangeOnline, payload.RootElement.GetProperty("aud").GetString());
        Assert.Equal(["IMAP.AccessAsApp"], payload.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(ivan.Reveal(), StringComparison.Ordinal) || l.Contains(client.Secret.Reveal(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetTokenAsync_NoAdminConsent_IsConsentMissing()
    {
        var failure = await FailureAsync(Tokens(entra.AddMailClient(adminConsented: false, "IMAP.AccessAsApp")));

        Assert.Equal(ErrorCode.SourceAppConsentMissing, failure.Code);
        Assert.Contains("AADSTS65001", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_UnknownClientId_IsAppNotFound()
    {
        var stranger = new EntraClient(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), new Secret("not-registered"), []);

        var failure = await FailureAsync(Tokens(stranger));

        Assert.Equal(ErrorCode.SourceAppNotFound, failure.Code);
        Assert.Contains("AADSTS700016", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_WrongSecret_IsSecretInvalidWithoutTheSecret()
    {
        var client = entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp");
        var wrong = new Secret("Wrong-secret-" + Guid.NewGuid());

        var failure = await FailureAsync(Tokens(client, wrong));

        Assert.Equal(ErrorCode.SourceAppSecretInvalid, failure.Code);
        Assert.Contains("AADSTS7000215", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong.Reveal(), failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(wrong.Reveal(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetTokenAsync_UnknownTenant_IsAppNotFound()
    {
        var failure = await FailureAsync(Tokens(entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), tenant: Guid.NewGuid().ToString()));

        Assert.Equal(ErrorCode.SourceAppNotFound, failure.Code);
    }

    [Fact]
    public async Task GetTokenAsync_Certificate_SignsAnAssertionEntraAccepts()
    {
        var certificate = EntraAppCertificate.Create();
        var client = entra.RegisterCertificate(entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), certificate.Certificate);

        var token = await CertificateTokens(client, certificate).GetTokenAsync("ivan@contoso.example", CancellationToken.None);

        Assert.Contains(token.Reveal(), entra.IssuedTokens);
        var (header, payload) = Assert.Single(entra.Assertions);
        // What MSAL sends, which the stand-in's checks must cover.
        Assert.Equal(("JWT", client.ClientId, client.ClientId), (header.GetProperty("typ").GetString(), payload.GetProperty("iss").GetString(), payload.GetProperty("sub").GetString()));
        Assert.True(header.GetProperty("alg").GetString() is "PS256" or "RS256", header.GetRawText());
    }

    [Fact]
    public async Task GetTokenAsync_CertificateNotRegistered_IsSecretInvalidWithTheThumbprint()
    {
        var registered = EntraAppCertificate.Create();
        var other = EntraAppCertificate.Create();
        var client = entra.RegisterCertificate(entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), registered.Certificate);

        var failure = await FailureAsync(CertificateTokens(client, other));

        Assert.Equal(ErrorCode.SourceAppSecretInvalid, failure.Code);
        Assert.Contains("AADSTS700027", failure.Message, StringComparison.Ordinal);
        Assert.Contains(other.Certificate.Thumbprint, failure.Message, StringComparison.Ordinal);
        Assert.Contains("Certificates & secrets > Certificates", ErrorCatalog.Get(failure.Code).Fix, StringComparison.Ordinal);
    }

    /// <summary>An assertion whose header names the registered certificate but whose signature is another key's: only
    /// the signature check can refuse it.</summary>
    [Theory]
    [InlineData("PS256")]
    [InlineData("RS256")]
    public async Task TokenEndpoint_AssertionSignedByAnotherKey_IsRefused700027(string alg)
    {
        var registered = EntraAppCertificate.Create();
        var client = entra.RegisterCertificate(entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), registered.Certificate);
        using var forger = System.Security.Cryptography.RSA.Create(2048);
        var endpoint = new Uri(entra.HttpsBase, $"{entra.TenantId}/oauth2/v2.0/token");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = ToBase64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["alg"] = alg, ["typ"] = "JWT", ["x5t#S256"] = ToBase64Url(System.Security.Cryptography.SHA256.HashData(registered.Certificate.RawData)),
        }));
        var payload = ToBase64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["aud"] = endpoint.AbsoluteUri, ["iss"] = client.ClientId, ["sub"] = client.ClientId, ["jti"] = Guid.NewGuid().ToString(), ["nbf"] = now, ["exp"] = now + 600,
        }));
        var padding = alg == "PS256" ? System.Security.Cryptography.RSASignaturePadding.Pss : System.Security.Cryptography.RSASignaturePadding.Pkcs1;
        var signature = ToBase64Url(forger.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), System.Security.Cryptography.HashAlgorithmName.SHA256, padding));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId, ["scope"] = MicrosoftAppOnlyTokens.ExchangeScope,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", ["client_assertion"] = $"{header}.{payload}.{signature}",
        });

        using var answer = await http.PostAsync(endpoint, form);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.StartsWith("AADSTS700027: Client assertion failed signature validation.", JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Empty(entra.IssuedTokens);
    }

    private MicrosoftAppOnlyTokens CertificateTokens(EntraClient client, EntraAppCertificate certificate) =>
        new(new MicrosoftApp(entra.TenantId, client.ClientId, null, certificate.Certificate), entra.HttpsBase, logs.CreateLogger("tokens"), http);

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<MailFailure> FailureAsync(MicrosoftAppOnlyTokens tokens) =>
        (await Assert.ThrowsAsync<MailFailureException>(() => tokens.GetTokenAsync("ivan@contoso.example", CancellationToken.None))).Failure;

    private static string Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=')));
    }
}
