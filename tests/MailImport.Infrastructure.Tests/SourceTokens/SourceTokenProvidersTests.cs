using System.Diagnostics.CodeAnalysis;
using MailImport.Core;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.SourceTokens;
using MailImport.StandIns.Google;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Infrastructure.Tests.SourceTokens;

[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class SourceTokenProvidersTests : IAsyncLifetime
{
    private readonly GoogleTokenStandIn google = new();

    public Task InitializeAsync() => google.StartAsync();

    public async Task DisposeAsync() => await google.DisposeAsync();

    [Fact]
    public async Task For_SameBatch_KeepsOneProviderOnTheConfiguredTokenUrl()
    {
        var account = google.AddServiceAccount(GoogleServiceAccountTokens.MailScope);
        google.AddUser("ivan@old.example");
        var providers = new SourceTokenProviders(new SourceTokenOptions { GoogleTokenUrl = google.TokenUrl }, NullLoggerFactory.Instance);
        var authentication = new SourceAuthentication(SourceAuthenticationType.GoogleServiceAccount, account.ClientEmail);
        var reads = 0;
        Secret Key() { reads++; return new Secret(account.KeyJson); }

        var first = providers.For("batch-1", authentication, Key);
        var again = providers.For("batch-1", authentication, Key);
        await first.GetTokenAsync("ivan@old.example", CancellationToken.None);
        await again.GetTokenAsync("ivan@old.example", CancellationToken.None);
        providers.Forget("batch-1");
        var afterForget = providers.For("batch-1", authentication, Key);

        Assert.Same(first, again);
        Assert.NotSame(first, afterForget);
        Assert.Equal(2, reads);
        Assert.Single(google.Assertions);
    }

    [Fact]
    public void For_PasswordBatch_HasNoProvider()
    {
        var providers = new SourceTokenProviders(new SourceTokenOptions(), NullLoggerFactory.Instance);

        Assert.Throws<ArgumentException>(() => providers.For("batch-2", SourceAuthentication.Password, () => new Secret("x")));
    }

    [Fact]
    public void Options_Default_AreGoogleAndMicrosoftsOwnEndpoints()
    {
        var options = new SourceTokenOptions();

        Assert.Equal(new Uri("https://oauth2.googleapis.com/token"), options.GoogleTokenUrl);
        Assert.Equal(new Uri("https://login.microsoftonline.com/"), options.MicrosoftAuthorityHost);
    }
}
