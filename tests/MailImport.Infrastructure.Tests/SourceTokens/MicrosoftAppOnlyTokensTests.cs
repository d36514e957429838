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

    private static async Task<MailFailure> FailureAsync(MicrosoftAppOnlyTokens tokens) =>
        (await Assert.ThrowsAsync<MailFailureException>(() => tokens.GetTokenAsync("ivan@contoso.example", CancellationToken.None))).Failure;

    private static string Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=')));
    }
}
