using System.Diagnostics;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Connections;

/// <summary>Connections to one source account are capped, apart from how many mailboxes run at once, on a real Dovecot.</summary>
[Collection(DovecotServers.Name)]
public class SourceConnectionCapTests(DovecotFixture servers)
{
    private static MailConnector Connector(int perAccount) =>
        new(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(1), ConnectionsPerSourceAccount = perAccount }, TestSourceAccess.LoopbackPolicy);

    [Fact]
    public async Task Open_OneMoreThanTheCap_WaitsThenIsSourceThrottled_AndGetsInOnceOneCloses()
    {
        var connector = Connector(perAccount: 2);
        var account = servers.Source.AddUniqueUser("cap");
        var first = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None);
        using var second = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None);
        var clock = Stopwatch.StartNew();

        var refused = await Assert.ThrowsAsync<MailFailureException>(() => connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None));

        Assert.Equal((ErrorCode.SourceThrottled, true), (refused.Failure.Code, refused.Failure.IsTransient));
        Assert.StartsWith("2 connections to this source account are open already", refused.Failure.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {clock.Elapsed}");
        first.Dispose();
        using var third = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None);
        Assert.True(third.IsAuthenticated);
    }

    [Fact]
    public async Task Open_AtTheCap_OtherAccountsTheOtherProtocolAndTheDestinationAreNotHeldUp()
    {
        var connector = Connector(perAccount: 1);
        var account = servers.Source.AddUniqueUser("cap");
        using var held = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None);

        using var otherAccount = await connector.OpenImapAsync(servers.Source.Imaps, servers.Source.AddUniqueUser("cap"), MailSide.Source, CancellationToken.None);
        using var pop3 = await connector.OpenPop3Async(ServerEndpoint.Of(servers.Source.Pop3Source), account, MailSide.Source, CancellationToken.None);
        using var destination = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Destination, CancellationToken.None);

        Assert.True(otherAccount.IsAuthenticated && pop3.IsAuthenticated && destination.IsAuthenticated);
    }

    [Fact]
    public async Task Open_LoginRefused_GivesItsSlotBack()
    {
        var connector = Connector(perAccount: 1);
        var account = servers.Source.AddUniqueUser("cap");

        await Assert.ThrowsAsync<MailFailureException>(() => connector.OpenImapAsync(servers.Source.Imaps, account with { Password = new("wrong-password") }, MailSide.Source, CancellationToken.None));

        using var client = await connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None);
        Assert.True(client.IsAuthenticated);
    }

    [Theory]
    [InlineData(SourceProvider.Gmail, MailProtocol.Imap, 15)]
    [InlineData(SourceProvider.Outlook, MailProtocol.Imap, 16)]
    [InlineData(SourceProvider.Custom, MailProtocol.Imap, null)]
    public void Of_PresetSource_CarriesItsProvidersConnectionCap(SourceProvider provider, MailProtocol protocol, int? expected)
    {
        var endpoint = ServerEndpoint.Of(new SourceServer(protocol, "imap.example.net", 993, TransportSecurity.SslOnConnect, provider));

        Assert.Equal(expected, endpoint.ConnectionsPerAccount);
    }
}
