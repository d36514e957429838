using System.Diagnostics.CodeAnalysis;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Mail.Errors;
using MailImport.StandIns.Google;
using MailImport.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace MailImport.Infrastructure.Tests.SourceTokens;

/// <summary>Google.Apis.Auth's JWT-bearer grant against the Google token stand-in, through <see cref="GoogleServiceAccountTokens"/>.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class GoogleServiceAccountTokensTests : IAsyncLifetime
{
    private readonly GoogleTokenStandIn google = new();
    private readonly CapturingLoggerProvider logs = new();

    public Task InitializeAsync() => google.StartAsync();

    public async Task DisposeAsync()
    {
        await google.DisposeAsync();
        logs.Dispose();
    }

    private GoogleServiceAccountTokens Tokens(GoogleServiceAccount account, TimeProvider? clock = null) =>
        new(GoogleServiceAccountKey.Parse(account.KeyJson, out _)!, google.TokenUrl, logs.CreateLogger("tokens"), clock);

    private GoogleServiceAccount DelegatedAccount() => google.AddServiceAccount(GoogleServiceAccountTokens.MailScope);

    [Fact]
    public async Task GetTokenAsync_DelegatedAccount_ImpersonatesTheMailboxWithTheMailScope()
    {
        var account = DelegatedAccount();
        google.AddUser("ivan@old.example");

        var token = await Tokens(account).GetTokenAsync("ivan@old.example", CancellationToken.None);

        var claims = Assert.Single(google.Assertions);
        Assert.Equal(account.ClientEmail, claims["iss"].GetString());
        Assert.Equal("ivan@old.example", claims["sub"].GetString());
        Assert.Equal(GoogleServiceAccountTokens.MailScope, claims["scope"].GetString());
        Assert.Equal(GoogleTokenStandIn.Audience, claims["aud"].GetString());
        Assert.Equal("ivan@old.example", google.Introspect(token.Reveal())?["email"]);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(token.Reveal(), StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("ivan@old.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetTokenAsync_SameMailboxAgain_UsesTheCachedTokenUntilFiveMinutesBeforeExpiry()
    {
        var account = DelegatedAccount();
        google.AddUser("ivan@old.example");
        google.AddUser("maria@old.example");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = Tokens(account, clock);

        var first = await tokens.GetTokenAsync("ivan@old.example", CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(GoogleTokenStandIn.TokenLifetimeSeconds) - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(2));
        var again = await tokens.GetTokenAsync("IVAN@old.example", CancellationToken.None);
        var other = await tokens.GetTokenAsync("maria@old.example", CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(3));
        var renewed = await tokens.GetTokenAsync("ivan@old.example", CancellationToken.None);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, renewed);
        Assert.Equal(["ivan@old.example", "maria@old.example", "ivan@old.example"], google.Assertions.Select(a => a["sub"].GetString()));
    }

    [Fact]
    public async Task GetTokenAsync_NoDelegationForTheMailScope_IsDelegationMissing()
    {
        var account = google.AddServiceAccount("https://www.googleapis.com/auth/gmail.readonly");
        google.AddUser("ivan@old.example");

        var failure = await FailureAsync(Tokens(account), "ivan@old.example");

        Assert.Equal(ErrorCode.SourceDelegationMissing, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("unauthorized_client", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_MailboxBlockedForTheAccount_IsDelegationMissing()
    {
        var account = DelegatedAccount();
        google.AddUser("ivan@old.example");
        google.BlockUser("ivan@old.example");

        var failure = await FailureAsync(Tokens(account), "ivan@old.example");

        Assert.Equal(ErrorCode.SourceDelegationMissing, failure.Code);
        Assert.Contains("access_denied", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_KeyDeleted_IsKeyInvalid()
    {
        var account = DelegatedAccount();
        google.AddUser("ivan@old.example");
        google.DeleteKey(account);

        var failure = await FailureAsync(Tokens(account), "ivan@old.example");

        Assert.Equal(ErrorCode.SourceServiceAccountKeyInvalid, failure.Code);
        Assert.Contains("Invalid JWT Signature", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_MailboxTheDomainDoesNotHave_IsSourceAuthFailed()
    {
        var failure = await FailureAsync(Tokens(DelegatedAccount()), "nobody@old.example");

        Assert.Equal(ErrorCode.SourceAuthFailed, failure.Code);
        Assert.Contains("Invalid email or User ID", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTokenAsync_TokenServiceDown_IsTransient()
    {
        var account = DelegatedAccount();
        var key = GoogleServiceAccountKey.Parse(account.KeyJson, out _)!;
        var tokens = new GoogleServiceAccountTokens(key, new Uri("http://127.0.0.1:9/token"), logs.CreateLogger("tokens"));

        var failure = await FailureAsync(tokens, "ivan@old.example");

        Assert.Equal(ErrorCode.SourceTokenServiceUnavailable, failure.Code);
        Assert.True(failure.IsTransient);
    }

    private static async Task<MailFailure> FailureAsync(GoogleServiceAccountTokens tokens, string login) =>
        (await Assert.ThrowsAsync<MailFailureException>(() => tokens.GetTokenAsync(login, CancellationToken.None))).Failure;
}
