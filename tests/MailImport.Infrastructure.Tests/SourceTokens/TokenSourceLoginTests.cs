using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailImport.StandIns;
using MailImport.StandIns.EntraId;
using MailImport.StandIns.Google;
using MailImport.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Infrastructure.Tests.SourceTokens;

/// <summary>The token source of these tests. Port base 3000 is used by no other fixture.</summary>
public sealed class TokenSourceServers() : TokenSourceServerSet("mi-token-source", 3000);

/// <summary>Logging in to a source with a token from each provider (SASL XOAUTH2), and copying a mailbox so, through
/// the real copy path, against a real Dovecot with an oauth2 passdb.</summary>
public sealed class TokenSourceLoginTests(TokenSourceServers servers) : IClassFixture<TokenSourceServers>
{
    private static readonly MailConnector Connector = new(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(15) }, TestSourceAccess.LoopbackPolicy);

    private GoogleServiceAccountTokens GoogleTokens()
    {
        var account = servers.Google.AddServiceAccount(GoogleServiceAccountTokens.MailScope);
        return new(GoogleServiceAccountKey.Parse(account.KeyJson, out _)!, servers.Google.TokenUrl, NullLogger.Instance);
    }

    private MicrosoftAppOnlyTokens MicrosoftTokens(bool registeredInExchange = true)
    {
        var client = servers.Entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp");
        if (registeredInExchange)
        {
            servers.Entra.RegisterInExchange(client, TokenSourceServerSet.Domain);
        }

        return new(new MicrosoftApp(servers.Entra.TenantId, client.ClientId, client.Secret), servers.Entra.HttpsBase, NullLogger.Instance, servers.EntraHttp);
    }

    [Fact]
    public async Task OpenImapAsync_GoogleServiceAccountToken_LogsInWithXoauth2()
    {
        var mailbox = servers.AddMailbox("g");
        servers.Google.AddUser(mailbox.Login);

        using var client = await Connector.OpenImapAsync(servers.Dovecot.Imaps, await GoogleTokens().ForAsync(mailbox.Login, CancellationToken.None), MailSide.Source, CancellationToken.None);

        Assert.True(client.IsAuthenticated);
        Assert.Contains($"Login: user=<{mailbox.Login}>, method=XOAUTH2", await File.ReadAllTextAsync(servers.Dovecot.LogFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenImapAsync_ExpiredGoogleToken_IsSourceAuthFailed()
    {
        var mailbox = servers.AddMailbox("gx");
        servers.Google.AddUser(mailbox.Login);
        var account = await GoogleTokens().ForAsync(mailbox.Login, CancellationToken.None);
        servers.Google.Expire(account.Password.Reveal());

        var e = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(servers.Dovecot.Imaps, account, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceAuthFailed, e.Failure.Code);
    }

    [Fact]
    public async Task OpenImapAsync_OneMicrosoftAppToken_OpensEveryMailboxOfTheDomain()
    {
        var tokens = MicrosoftTokens();
        var first = servers.AddMailbox("m");
        var second = servers.AddMailbox("m");

        foreach (var mailbox in new[] { first, second })
        {
            using var client = await Connector.OpenImapAsync(servers.Dovecot.Imaps, await tokens.ForAsync(mailbox.Login, CancellationToken.None), MailSide.Source, CancellationToken.None);
            Assert.True(client.IsAuthenticated);
        }

        Assert.Equal(await tokens.GetTokenAsync(first.Login, CancellationToken.None), await tokens.GetTokenAsync(second.Login, CancellationToken.None));
    }

    [Fact]
    public async Task OpenImapAsync_AppNotRegisteredInExchange_IsExplainedAsSuch()
    {
        var tokens = MicrosoftTokens(registeredInExchange: false);
        var mailbox = servers.AddMailbox("mx");
        var account = await tokens.ForAsync(mailbox.Login, CancellationToken.None);

        var e = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(servers.Dovecot.Imaps, account, MailSide.Source, CancellationToken.None));
        var explained = tokens.ExplainRefusedLogin(e.Failure);

        Assert.Equal(ErrorCode.SourceAuthFailed, e.Failure.Code);
        Assert.Equal(ErrorCode.SourceAppNotInExchange, explained.Code);
        Assert.Contains("New-ServicePrincipal", ErrorCatalog.Get(explained.Code).Fix, StringComparison.Ordinal);
        Assert.Contains("Add-MailboxPermission", ErrorCatalog.Get(explained.Code).Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SourceAuthenticationType.GoogleServiceAccount)]
    [InlineData(SourceAuthenticationType.MicrosoftAppOnly)]
    public async Task CopyChunkAsync_TokenSource_CopiesTheMailboxLikeAPasswordSource(SourceAuthenticationType authentication)
    {
        var source = servers.AddMailbox("cs");
        var destination = servers.AddMailbox("cd");
        await MailCorpus.SeedAsync(servers.Dovecot, source, MailCorpus.Standard());
        ISourceTokenProvider tokens = authentication == SourceAuthenticationType.GoogleServiceAccount ? GoogleTokens() : MicrosoftTokens();
        servers.Google.AddUser(source.Login);
        var copier = new MailboxCopier(Connector, NullLogger<MailboxCopier>.Instance);
        var cursor = Path.Combine(Path.GetTempPath(), $"mi-token-cursor-{Guid.NewGuid():N}.json");
        try
        {
            ChunkResult result;
            var chunks = 0;
            do
            {
                // A token per chunk, as each chunk of the workflow asks for one (the provider's cache answers).
                var job = new MailboxJob("run-1", servers.Dovecot.ImapSource, await tokens.ForAsync(source.Login, CancellationToken.None),
                    servers.Dovecot.Imaps, destination, new CopyOptions());
                result = await copier.CopyChunkAsync(job, new FileCursorStore(cursor), new ChunkBudget(10, long.MaxValue, TimeSpan.FromMinutes(2)), CancellationToken.None);
            }
            while (!result.Completed && ++chunks < 100);

            Assert.True(result.Completed);
            Assert.Empty(result.Failures);
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Dovecot, source), await MailCorpus.SnapshotAsync(servers.Dovecot, destination));
            Assert.Contains($"Login: user=<{source.Login}>, method=XOAUTH2", await File.ReadAllTextAsync(servers.Dovecot.LogFile), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(cursor);
        }
    }
}
