using System.Net;
using System.Net.Sockets;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Connections;

/// <summary>Only mail servers are reachable as a source: special-purpose addresses and non-mail ports are refused,
/// after DNS, unless the operator's allow-list re-opens them; the connection goes to the address that was checked.</summary>
[Collection(DovecotServers.Name)]
public class SourceAccessTests(DovecotFixture servers)
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")] // Azure's and AWS's instance metadata
    [InlineData("168.63.129.16")] // Azure's platform address
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")] // AWS's IPv6 instance metadata
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a00:1")] // NAT64 of 10.0.0.1
    [InlineData("2002:7f00:1::")] // 6to4 of 127.0.0.1
    [InlineData("ff02::1")]
    public void IsSpecialPurpose_LoopbackPrivateLinkLocalMetadata_AreSpecial(string address) =>
        Assert.True(SourceAccessPolicy.IsSpecialPurpose(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("142.250.150.108")]
    [InlineData("172.32.0.1")]
    [InlineData("2a00:1450:4010:c1e::6c")]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("::ffff:8.8.8.8")]
    public void IsSpecialPurpose_PublicAddresses_AreNot(string address) =>
        Assert.False(SourceAccessPolicy.IsSpecialPurpose(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1", 993, "host")]
    [InlineData("10.0.0.8", 143, "host")]
    [InlineData("169.254.169.254", 80, "host")]
    [InlineData("::1", 993, "host")]
    [InlineData("imap.example.org", 22, "port")]
    [InlineData("8.8.8.8", 6379, "port")]
    [InlineData("imap.example.org", 993, null)]
    [InlineData("pop.example.org", 995, null)]
    [InlineData("8.8.8.8", 143, null)]
    public void CheckSetting_ByDefault_RefusesSpecialAddressesAndNonMailPorts(string host, int port, string? field) =>
        Assert.Equal(field, SourceAccessPolicy.PublicOnly.CheckSetting(host, port)?.Field);

    [Theory]
    [InlineData("10.20.3.4", 10993, null)]
    [InlineData("mail.corp.example", 2143, null)]
    [InlineData("MAIL.CORP.EXAMPLE", 993, null)]
    [InlineData("10.21.0.1", 993, "host")]
    [InlineData("127.0.0.1", 993, "host")]
    // A name on a non-mail port may resolve into the allowed range: decided after DNS.
    [InlineData("other.example", 2143, null)]
    public void CheckSetting_WithAnAllowList_ReopensOnlyWhatItNames(string host, int port, string? field)
    {
        var policy = new SourceAccessPolicy(new SourceAccessOptions { Allow = ["10.20.0.0/16", "mail.corp.example"] });

        Assert.Equal(field, policy.CheckSetting(host, port)?.Field);
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("mail.corp.example", true)]
    [InlineData("10.0.0.0/40", false)]
    [InlineData("http://mail.corp.example", false)]
    [InlineData("mail corp", false)]
    [InlineData("", false)]
    public void Options_EachEntry_IsAHostOrARange(string entry, bool valid)
    {
        var options = new SourceAccessOptions { Allow = ["8.8.8.8", entry] };

        var problems = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        Assert.Equal(valid, problems.Count == 0);
        Assert.All(problems, p => Assert.Equal(["Allow:1"], p.MemberNames));
    }

    [Fact]
    public async Task ResolveAsync_ANameThatResolvesOnlyToPrivateAddresses_IsRefusedWithoutNamingThem()
    {
        var policy = new SourceAccessPolicy(new SourceAccessOptions(), Resolver(("imap.victim.example", ["10.0.0.5", "fd12::5"])));

        var error = await Assert.ThrowsAsync<MailFailureException>(() => policy.ResolveAsync("imap.victim.example", 993, CancellationToken.None));

        Assert.Equal((ErrorCode.SourceAddressRefused, false), (error.Failure.Code, error.Failure.IsTransient));
        Assert.DoesNotContain("10.0.0.5", error.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("fd12", error.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_PublicAndPrivateAddresses_KeepsOnlyThePublicOnes()
    {
        var policy = new SourceAccessPolicy(new SourceAccessOptions(), Resolver(("imap.mixed.example", ["127.0.0.1", "93.184.216.34", "169.254.169.254"])));

        var addresses = await policy.ResolveAsync("imap.mixed.example", 993, CancellationToken.None);

        Assert.Equal([IPAddress.Parse("93.184.216.34")], addresses);
    }

    [Fact]
    public async Task ResolveAsync_APublicAddressOnANonMailPort_IsRefused()
    {
        var policy = new SourceAccessPolicy(new SourceAccessOptions(), Resolver(("imap.example.org", ["93.184.216.34"])));

        var error = await Assert.ThrowsAsync<MailFailureException>(() => policy.ResolveAsync("imap.example.org", 6379, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceAddressRefused, error.Failure.Code);
        Assert.Contains("6379 is not a mail port", error.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenImapAsync_ADovecotOnLoopbackWithoutTheAllowList_IsRefusedBeforeAnyConnection()
    {
        var account = servers.Source.AddUniqueUser("sa");
        var connector = new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(5) }, SourceAccessPolicy.PublicOnly);

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            connector.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None));

        Assert.Equal((ErrorCode.SourceAddressRefused, false), (error.Failure.Code, error.Failure.IsTransient));
        // The same server is reachable through the allow-list, and as the destination, which is the operator's own setting.
        (await new MailConnector(new ConnectorOptions(), TestSourceAccess.LoopbackPolicy).OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None)).Dispose();
        (await connector.OpenImapAsync(servers.Destination.Imaps, servers.Destination.AddUniqueUser("sa"), MailSide.Destination, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task OpenImapAsync_ANonMailPortOnAnUnlistedHost_NeverOpensTheSocket()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // 127.0.0.1 is re-opened only as the name "mail.self-hosted.example", which this endpoint does not use.
        var policy = new SourceAccessPolicy(new SourceAccessOptions { Allow = ["mail.self-hosted.example"] }, Resolver(("imap.attacker.example", ["127.0.0.1"])));
        var connector = new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(5) }, policy);

        var error = await Assert.ThrowsAsync<MailFailureException>(() => connector.OpenImapAsync(
            new ServerEndpoint("imap.attacker.example", port, Core.Sources.TransportSecurity.None), new MailAccount("ivan", new Secret("Never-sent-7")), MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceAddressRefused, error.Failure.Code);
        Assert.False(listener.Pending(), "the connector opened a connection to a refused address");
    }

    [Fact]
    public async Task OpenImapAsync_ANameThatResolvesElsewhereTheSecondTime_IsReachedAtTheCheckedAddress()
    {
        // DNS rebinding: the first answer passes the check, every later one points somewhere else. The connector resolves
        // once and connects to that address; a client that resolved the name again would not reach the server at all.
        var answers = 0;
        var policy = new SourceAccessPolicy(new SourceAccessOptions { Allow = ["127.0.0.1"] }, (host, _) =>
            Task.FromResult(Interlocked.Increment(ref answers) == 1 ? new[] { IPAddress.Loopback } : [IPAddress.Parse("169.254.169.254")]));
        var connector = new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(5) }, policy);
        var account = servers.Source.AddUniqueUser("sa");
        var endpoint = servers.Source.Imaps with { Host = "imap.rebinding.invalid" };

        using var client = await connector.OpenImapAsync(endpoint, account, MailSide.Source, CancellationToken.None);

        Assert.True(client.IsAuthenticated);
        Assert.Equal(1, answers);
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> Resolver(params (string Host, string[] Addresses)[] zone) =>
        (host, _) => zone.FirstOrDefault(z => z.Host == host) is { Addresses: { } addresses }
            ? Task.FromResult(addresses.Select(IPAddress.Parse).ToArray())
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
