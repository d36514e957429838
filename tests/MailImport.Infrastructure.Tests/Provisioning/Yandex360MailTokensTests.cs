using System.Diagnostics.CodeAnalysis;
using System.Net;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Errors;
using MailImport.StandIns.Yandex360;
using MailImport.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Infrastructure.Tests.Provisioning;

/// <summary>The service application's token exchange at Yandex ID, against the stand-in over real HTTP.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class Yandex360MailTokensTests : IAsyncLifetime
{
    private const string Domain = "example.org";
    private const string ClientId = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private const string SecretName = "yandex360-service-app-secret";
    private const string ClientSecret = "Zq7sErViCe-secret";

    private readonly Yandex360StandIn standIn = new();
    private readonly MemorySecretStore secrets = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly SettableClock clock = new();

    public async Task InitializeAsync()
    {
        standIn.WithDomain(Domain, verified: true)
            .WithUser("maria", "Passw0rd!")
            .WithServiceApplication(ClientId, new Secret(ClientSecret), Yandex360StandIn.ImapFullScope);
        await standIn.StartAsync();
        await secrets.SetAsync(SecretName, new Secret(ClientSecret), expiresOn: null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await standIn.DisposeAsync();
    }

    private Yandex360MailTokens Tokens(string? clientId = ClientId) => new(http,
        new Yandex360Options { ServiceApplicationClientId = clientId, ServiceApplicationSecretName = SecretName, TokenUrl = standIn.TokenUrl },
        secrets, NullLogger<Yandex360MailTokens>.Instance, clock);

    [Fact]
    public async Task GetAsync_Employee_OneExchangeServesTheMailboxUntilShortlyBeforeExpiry()
    {
        var tokens = Tokens();

        var first = await tokens.GetAsync("maria@example.org", CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(Yandex360StandIn.TokenLifetimeSeconds) - TimeSpan.FromMinutes(6));
        var cached = await tokens.GetAsync("Maria@Example.org", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2));
        var renewed = await tokens.GetAsync("maria@example.org", CancellationToken.None);

        Assert.Equal(first, cached);
        Assert.NotEqual(first, renewed);
        Assert.Equal(2, standIn.TokensIssued);
        Assert.True(tokens.Configured);
    }

    [Fact]
    public async Task GetAsync_WrongClientSecret_PermanentRefusalThatNamesTheApplicationNotTheSecret()
    {
        await secrets.SetAsync(SecretName, new Secret("Zq7-stale-secret"), expiresOn: null, CancellationToken.None);

        var e = await Assert.ThrowsAsync<MailFailureException>(() => Tokens().GetAsync("maria@example.org", CancellationToken.None));

        Assert.Equal((ErrorCode.DestinationServiceApplicationRefused, false), (e.Failure.Code, e.Failure.IsTransient));
        Assert.Contains("invalid_client", e.Failure.Message, StringComparison.Ordinal);
        Assert.Contains(ClientId, e.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Zq7", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_ServiceApplicationsOff_PermanentRefusalWithTheReason()
    {
        standIn.ServiceApplicationsActive = false;

        var e = await Assert.ThrowsAsync<MailFailureException>(() => Tokens().GetAsync("maria@example.org", CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationServiceApplicationRefused, e.Failure.Code);
        Assert.Contains("unauthorized_client: service applications are not enabled", e.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_NotAnEmployee_PermanentRefusalForThatMailbox()
    {
        var e = await Assert.ThrowsAsync<MailFailureException>(() => Tokens().GetAsync("nobody@example.org", CancellationToken.None));

        Assert.Contains("invalid_grant", e.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("nobody@example.org", e.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_YandexIdDown_TransientSoTheChunkIsRetried()
    {
        var tokens = Tokens();
        await standIn.DisposeAsync();

        var e = await Assert.ThrowsAsync<MailFailureException>(() => tokens.GetAsync("maria@example.org", CancellationToken.None));

        Assert.Equal((ErrorCode.DestinationUnavailable, true), (e.Failure.Code, e.Failure.IsTransient));
    }

    [Fact]
    public async Task GetAsync_NoServiceApplication_NotConfiguredAndRefusesToAsk()
    {
        var tokens = Tokens(clientId: null);

        Assert.False(tokens.Configured);
        await Assert.ThrowsAsync<InvalidOperationException>(() => tokens.GetAsync("maria@example.org", CancellationToken.None));
        Assert.Empty(standIn.Requests);
    }

    [Fact]
    public async Task Exchange_IsTheDocumentedFormPost_AndTheRequestLogKeepsNoSecret()
    {
        await Tokens().GetAsync("maria@example.org", CancellationToken.None);

        var request = Assert.Single(standIn.Requests);
        Assert.Equal(("POST", "/token"), (request.Method, request.Path));
        Assert.DoesNotContain(ClientSecret, request.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class SettableClock : TimeProvider
    {
        private DateTimeOffset now = DateTimeOffset.UtcNow;

        public void Advance(TimeSpan by) => now += by;

        public override DateTimeOffset GetUtcNow() => now;
    }
}
