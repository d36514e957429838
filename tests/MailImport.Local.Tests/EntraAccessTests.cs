using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.Infrastructure.Storage;
using MailImport.StandIns.EntraId;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.Local.Tests;

/// <summary>Who may do what on the local host, end to end: Entra ID tokens from a local token service, got with the
/// real MSAL, checked against the service's metadata and keys; the API key beside them; the audit trail; the limits.</summary>
public sealed class EntraAccessTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Key = "entra-test-key";

    [Fact]
    public async Task ReadRole_GetsStatus_IsRefusedStartAndClose_AndEveryCallIsAudited()
    {
        await using var entra = await StartEntraAsync();
        var reader = entra.AddClient(ApiRoles.Read);
        await using var host = await StartHostAsync(entra);
        var readToken = await TokenAsync(entra, reader);
        var batchId = await StartWithKeyAsync(host.Http);

        using var status = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", bearer: readToken);
        using var start = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(), bearer: readToken);
        using var close = await SendAsync(host.Http, HttpMethod.Post, $"/api/imports/{batchId}/close", bearer: readToken);

        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal(batchId, (await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("batchId").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, start.StatusCode);
        Assert.Contains(ApiRoles.Run, (await start.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, close.StatusCode);
        Assert.Contains(ApiRoles.Run, (await close.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Error, StringComparison.Ordinal);
        using var after = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", key: Key);
        Assert.False((await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("closed").GetBoolean());

        // The batch's audit trail, read back from storage: who (by id), what, the answer; nothing secret.
        var audit = await host.App.Services.GetRequiredService<BatchStorage>().ReadAuditAsync(batchId, CancellationToken.None);
        Assert.Equal(
            [("api-key", "start", 202), ($"oid:{reader.ObjectId}", "status", 200), ($"oid:{reader.ObjectId}", "close", 403), ("api-key", "status", 200)],
            audit.Select(a => (a.Caller, a.Action, a.Status)));
        Assert.Equal(reader.ClientId, audit[1].AppId);
        Assert.Null(audit[0].AppId);
        Assert.All(audit, a => Assert.Equal(batchId, a.BatchId));
        var blobText = string.Join("\n", audit.Select(a => JsonSerializer.Serialize(a)));
        Assert.DoesNotContain(readToken, blobText, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, blobText, StringComparison.Ordinal);

        // One log line per call (event 6040), the refused start among them; no token and no key in any line.
        var calls = host.Logs.Entries.Where(e => e.EventId.Id == 6040).Select(e => e.Message).ToList();
        Assert.Contains(calls, m => m.Contains($"API start of batch - by oid:{reader.ObjectId} (app {reader.ClientId}) answered 403", StringComparison.Ordinal));
        Assert.Contains(calls, m => m.Contains($"API close of batch {batchId} by oid:{reader.ObjectId}", StringComparison.Ordinal) && m.EndsWith("answered 403", StringComparison.Ordinal));
        AssertNoCredentialInLogs(host.Logs, [readToken, Key]);
    }

    [Fact]
    public async Task RunRole_Starts_WithATokenFromMsal()
    {
        await using var entra = await StartEntraAsync();
        var runner = entra.AddClient(ApiRoles.Run);
        await using var host = await StartHostAsync(entra);
        var token = await TokenAsync(entra, runner);

        using var start = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(), bearer: token);

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var batchId = (await start.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        var audit = await host.App.Services.GetRequiredService<BatchStorage>().ReadAuditAsync(batchId, CancellationToken.None);
        var line = Assert.Single(audit);
        Assert.Equal(($"oid:{runner.ObjectId}", runner.ClientId, "start", 202), (line.Caller, line.AppId, line.Action, line.Status));
        // Import.Run alone does not read: the roles are apart.
        using var status = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", bearer: token);
        Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        AssertNoCredentialInLogs(host.Logs, [token]);
    }

    [Fact]
    public async Task TokensTheApiMustNotTake_Answer401WithTheBearerChallenge()
    {
        await using var entra = await StartEntraAsync();
        var client = entra.AddClient(ApiRoles.Run, ApiRoles.Read);
        await using var host = await StartHostAsync(entra);
        using var foreignKey = RSA.Create(2048);
        var batchId = await StartWithKeyAsync(host.Http);
        var good = entra.CreateAccessToken(client);
        var bad = new Dictionary<string, string>
        {
            // Past its exp by more than the five minutes of clock skew allowed.
            ["expired"] = entra.CreateAccessToken(client, issuedAt: DateTimeOffset.UtcNow.AddHours(-2), lifetime: TimeSpan.FromHours(1)),
            ["wrong audience"] = entra.CreateAccessToken(client, audience: Guid.NewGuid().ToString()),
            ["wrong issuer"] = entra.CreateAccessToken(client, issuer: $"https://login.microsoftonline.com/{Guid.NewGuid()}/v2.0"),
            // Signed by someone who knows the published kid but not the key.
            ["foreign signing key"] = entra.CreateAccessToken(client, signWith: foreignKey),
            ["not a JWT"] = "not-a-token",
        };

        using var accepted = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", bearer: good);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        foreach (var (what, token) in bad)
        {
            using var answer = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", bearer: token);
            Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {answer.StatusCode}");
            Assert.Equal("Bearer error=\"invalid_token\"", answer.Headers.WwwAuthenticate.ToString());
        }

        using var none = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());
        using var wrongKey = await SendAsync(host.Http, HttpMethod.Get, $"/api/imports/{batchId}", key: "not-the-key");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);

        // Refused callers are logged as anonymous and leave nothing in the batch's audit trail.
        var audit = await host.App.Services.GetRequiredService<BatchStorage>().ReadAuditAsync(batchId, CancellationToken.None);
        Assert.Equal(["api-key", $"oid:{client.ObjectId}"], audit.Select(a => a.Caller));
        Assert.Equal(bad.Count + 2, host.Logs.Entries.Count(e => e.EventId.Id == 6040 && e.Message.Contains("by anonymous", StringComparison.Ordinal)));
        AssertNoCredentialInLogs(host.Logs, [good, .. bad.Values.Where(t => t.Contains('.', StringComparison.Ordinal))]);
    }

    [Fact]
    public async Task StartsPastTheCallersLimit_Answer429WithRetryAfter_OtherCallersAndDryRunsGoOn()
    {
        await using var entra = await StartEntraAsync();
        var runner = entra.AddClient(ApiRoles.Run);
        var other = entra.AddClient(ApiRoles.Run);
        await using var host = await StartHostAsync(entra, ("MailImport:Api:Limits:RunsPerWindow", "2"), ("MailImport:Api:Limits:DryRunsPerWindow", "1"));
        var token = await TokenAsync(entra, runner);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var start = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(), bearer: token);
            answers.Add(start.StatusCode);
            if (start.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = start.Headers.RetryAfter?.Delta;
                Assert.True(retryAfter is { TotalSeconds: > 0 and <= 3600 }, $"Retry-After: {start.Headers.RetryAfter}");
                Assert.Contains("Too many runs", (await start.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Error, StringComparison.Ordinal);
            }
        }

        using var dryRun = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(dryRun: true), bearer: token);
        using var secondDryRun = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(dryRun: true), bearer: token);
        using var otherStart = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(), bearer: await TokenAsync(entra, other));
        using var keyStart = await SendAsync(host.Http, HttpMethod.Post, "/api/imports", StartBody(), key: Key);

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.Accepted, dryRun.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, secondDryRun.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, otherStart.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, keyStart.StatusCode);
    }

    private static async Task<EntraIdStandIn> StartEntraAsync()
    {
        var entra = new EntraIdStandIn();
        await entra.StartAsync();
        return entra;
    }

    private static Task<string> TokenAsync(EntraIdStandIn entra, EntraClient client) =>
        MsalTokens.ForClientAsync(entra.MsalAuthority, client.ClientId, client.Secret.Reveal(), entra.ApiAppIdUri, entra.CertificateSha256);

    private async Task<RunningHost> StartHostAsync(EntraIdStandIn entra, params (string Key, string? Value)[] extra)
    {
        var app = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite,
        [
            ("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "LocalEntra" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", Key),
            ("MailImport:Api:Entra:Authority", entra.ProductAuthority.AbsoluteUri),
            ("MailImport:Api:Entra:Audience", entra.ApiClientId),
            ("Logging:LogLevel:Default", "Trace"),
            ("Logging:LogLevel:" + LocalTelemetry.HostingDiagnosticsCategory, "Trace"),
            .. extra,
        ])));
        var logs = new CapturingLoggerProvider();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        return new RunningHost(app, http, logs);
    }

    /// <summary>A one-mailbox import from the test Dovecot with a wrong password: it fails fast at the login, and the
    /// API's answer is all these tests look at.</summary>
    private StringContent StartBody(bool dryRun = false) => new(JsonSerializer.Serialize(new
    {
        domain = WorkflowSettings.Domain,
        source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
        options = new { dryRun },
        entries = new[] { new { login = "nobody", password = "Wrong-password1" } },
    }), Encoding.UTF8, "application/json");

    private async Task<string> StartWithKeyAsync(HttpClient http)
    {
        using var started = await SendAsync(http, HttpMethod.Post, "/api/imports", StartBody(), key: Key);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? content = null, string? bearer = null, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key);
        }

        return await http.SendAsync(request);
    }

    /// <summary>No credential, nor the signature part of a token (what would let it be replayed), in any log line.</summary>
    private static void AssertNoCredentialInLogs(CapturingLoggerProvider logs, IEnumerable<string> credentials)
    {
        Assert.Contains(logs.Entries, l => l.Level == LogLevel.Trace);
        foreach (var credential in credentials)
        {
            var signature = credential.Split('.')[^1];
            Assert.DoesNotContain(logs.Lines, l => l.Contains(credential, StringComparison.Ordinal) || l.Contains(signature, StringComparison.Ordinal));
        }
    }

    private sealed record RunningHost(WebApplication App, HttpClient Http, CapturingLoggerProvider Logs) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
