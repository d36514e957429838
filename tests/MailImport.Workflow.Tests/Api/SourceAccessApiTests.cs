using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Testing;
using MailImport.Workflow.Api;

namespace MailImport.Workflow.Tests.Api;

/// <summary>A source setting cannot reach the network MailImport runs in: loopback, private, link-local and metadata
/// addresses and non-mail ports are refused at upload when the address is literal, and when connecting after DNS
/// otherwise; only the operator's allow-list (settings, not the API) re-opens them. This host's allow-list names a
/// host of its own, so the tests' loopback Dovecot is not on it.</summary>
[Collection(HostileServers.Name)]
public sealed class SourceAccessApiTests(HostileServersFixture servers) : IAsyncLifetime
{
    private const string Key = "source-access-key-41c7";
    private ApiTestHost host = null!;

    public async Task InitializeAsync() =>
        host = await ApiTestHost.StartAsync(servers, Key, ("MailImport:SourceAccess:Allow:0", "mail.self-hosted.example"));

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1", 993, "source.host")]
    [InlineData("10.0.0.8", 993, "source.host")]
    [InlineData("192.168.0.1", 143, "source.host")]
    [InlineData("169.254.169.254", 993, "source.host")]
    [InlineData("168.63.129.16", 993, "source.host")]
    [InlineData("[::1]", 993, "source.host")]
    [InlineData("::ffff:127.0.0.1", 993, "source.host")]
    [InlineData("imap.example.org", 22, "source.port")]
    [InlineData("imap.example.org", 6379, "source.port")]
    public async Task Start_ASourceOnASpecialAddressOrANonMailPort_Is400NamingTheField_AndNothingIsStored(string sourceHost, int port, string field)
    {
        var before = await host.BatchIdsAsync();

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload("ann Secret12\n", new { host = sourceHost, port, security = "ssl" }));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        var problem = Assert.Single(JsonSerializer.Deserialize<ApiError>(body, JsonSerializerOptions.Web)!.Problems!);
        Assert.Equal((field, "SettingsSourceNotAllowed"), (problem.Field, problem.Code));
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Fact]
    public async Task DryRun_ANameThatResolvesToLoopback_FailsTheMailboxWithSourceAddressRefused()
    {
        // "localhost" passes the upload check (a name on a mail port); after DNS it is 127.0.0.1 or ::1, and no
        // connection is made. Nothing listens on 993 here, so a connection would fail differently: SourceConnectFailed.
        var account = servers.Source.AddUniqueUser("sa", "Secret-sa1");

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports",
            Upload($"{account.Login} Secret-sa1\n", new { host = "localhost", port = 993, security = "ssl" }, dryRun: true));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = (await response.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var status = await host.WaitForAsync(started.BatchId);
        var mailbox = Assert.Single(status.GetProperty("mailboxes").EnumerateArray());
        Assert.Equal(("Failed", "SourceAddressRefused"), (mailbox.GetProperty("status").GetString(), mailbox.GetProperty("code").GetString()));
        Assert.Contains("MailImport:SourceAccess:Allow", mailbox.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    private static MultipartFormDataContent Upload(string file, object source, bool dryRun = true)
    {
        var settings = JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source, options = new { dryRun } });
        return new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(file)), "file", "credentials.txt" },
            { new StringContent(settings), "settings" },
        };
    }
}
