using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.Api;

/// <summary>A whole run through the HTTP API with canary passwords that hold quotes and spaces: no canary, and not the
/// batch's data key (base64 or hex), in any HTTP answer, log line (every level), orchestration state or custom status,
/// report (JSON and CSV), blob or temporary file; and once the batch is closed its data key and every blob of its sealed
/// passwords are gone.</summary>
[Collection(HostileServers.Name)]
public sealed class SecretLeakApiTests(HostileServersFixture servers) : IAsyncLifetime
{
    private const string Key = "leak-key-41c7";

    // Source passwords with a space and quotes (the file quotes them as "..." with "" for "), and a new password.
    private const string SourceCanary = "Canary pa ss \"q\" 1";
    private const string InvalidCanary = "Canary x \"\"y";
    private const string NewCanary = "CanaryNew9";
    private ApiTestHost host = null!;

    // The mailboxes' histories are kept, so every mailbox orchestration's state is read for the canaries below, as it
    // would stay if its group's purge failed.
    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, Key, ("MailImport:Workflow:ChunkMessages", "3"), ("MailImport:Workflow:KeepMailboxHistory", "true"));

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static string Quoted(string field) => "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    [Fact]
    public async Task Import_CanariesWithQuotesAndSpaces_NowhereToBeSeen_AndClosedBatchHoldsNoSecret()
    {
        // Temporary files' times have a coarse resolution on some file systems: a second's margin.
        var started = DateTime.UtcNow.AddSeconds(-1);
        var good = servers.Source.AddUniqueUser("lk", SourceCanary);
        var renamed = servers.Source.AddUniqueUser("lr", SourceCanary);
        await MailCorpus.SeedAsync(servers.Source, good, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        await MailCorpus.SeedAsync(servers.Source, renamed, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var answers = new List<(string Where, string Text)>();
        async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, HttpContent? content = null)
        {
            var response = await host.SendAsync(method, path, content);
            answers.Add(($"{method} {path} -> {(int)response.StatusCode}", response.Headers + " " + response.Content.Headers + " " + await response.Content.ReadAsStringAsync()));
            return response;
        }

        var file = $"{good.Login} {Quoted(SourceCanary)} {good.Login} {NewCanary}\n"
            + $"{renamed.Login} {Quoted(SourceCanary)} {renamed.Login}-x {NewCanary}\n"
            + $"bad_name {Quoted(InvalidCanary)}\n"
            + $"{good.Login}.two {Quoted(SourceCanary)}\n";
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(file)), "file", "list.txt" },
            { new StringContent(JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 } })), "settings" },
        };
        using var upload = await CallAsync(HttpMethod.Post, "/api/imports", form);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var batch = (await upload.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        await host.WaitForAsync(batch, CallAsync);
        (await CallAsync(HttpMethod.Get, $"/api/imports/{batch}/report")).Dispose();
        (await CallAsync(HttpMethod.Get, $"/api/imports/{batch}/report?format=csv")).Dispose();
        (await CallAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun", JsonContent.Create(new { mode = "incremental" }))).Dispose();
        await host.WaitForAsync(batch, CallAsync);

        // Every orchestration's state and custom status, batch and mailboxes, both runs.
        var engine = host.Services.GetRequiredService<IWorkflowEngine>();
        var states = new List<(string Where, string Text)>();
        foreach (var run in new[] { $"{batch}-r1", $"{batch}-r2" })
        {
            foreach (var instance in new[] { run }.Concat(Enumerable.Range(1, 4).Select(line => ImportBatchOrchestration.MailboxInstanceId(run, line))))
            {
                if (await engine.GetStateAsync(instance, CancellationToken.None) is { } state)
                {
                    states.Add(($"state {instance}", $"{state.CustomStatus} {state.Output}"));
                }
            }
        }

        var blobs = await BatchBlobs.ReadAsync(servers.Azurite.ConnectionString, batch);
        Assert.Contains(blobs, b => b.Where.Contains(WorkflowServices.SecretsContainer, StringComparison.Ordinal));
        Assert.Contains(blobs, b => b.Where.Contains(LineSecretsPrefix(batch), StringComparison.Ordinal));
        var store = host.Services.GetRequiredService<ISecretStore>();
        var dataKey = Convert.FromBase64String((await store.GetAsync(SecretNames.BatchKey(batch), CancellationToken.None)).Reveal());
        using var closed = await CallAsync(HttpMethod.Post, $"/api/imports/{batch}/close");
        Assert.Equal(HttpStatusCode.Accepted, closed.StatusCode);
        await host.WaitForClosedAsync(batch);

        var temporaryFiles = TemporaryFilesSince(started);
        var places = answers.Concat(states).Concat(blobs).Concat(temporaryFiles).Concat(host.Logs.Lines.Select(l => (Where: "log", Text: l))).ToList();
        Assert.True(states.Count >= 6 && answers.Count >= 8 && host.Logs.Lines.Count > 50, $"{states.Count} states, {answers.Count} answers, {host.Logs.Lines.Count} log lines");
        Assert.Contains(host.Logs.Lines, l => l.Contains(" Trace ", StringComparison.Ordinal) || l.Contains(" Debug ", StringComparison.Ordinal));
        var needles = new[]
        {
            "Canary", "pa ss", "\"\"y", Convert.ToBase64String(Encoding.UTF8.GetBytes(SourceCanary))[..12], Convert.ToBase64String(Encoding.UTF8.GetBytes(NewCanary))[..8],
            Convert.ToBase64String(dataKey), Convert.ToHexString(dataKey),
        };
        var leaks = places.Where(p => needles.Any(n => p.Text.Contains(n, StringComparison.OrdinalIgnoreCase))).Select(p => p.Where).Distinct().ToList();
        Assert.True(leaks.Count == 0, "canary or data key found in: " + string.Join(", ", leaks));

        // Closed: the data key is gone, so is every blob of sealed passwords, and no password of the batch can be read.
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(SecretNames.BatchKey(batch), CancellationToken.None));
        var batchSecrets = host.Services.GetRequiredService<BatchSecrets>();
        foreach (var line in Enumerable.Range(1, 4))
        {
            await Assert.ThrowsAsync<KeyNotFoundException>(() => batchSecrets.GetAsync(batch, line, LinePassword.Source, CancellationToken.None));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => batchSecrets.GetAsync(batch, line, LinePassword.Destination, CancellationToken.None));
        }

        var left = await BatchBlobs.ReadAsync(servers.Azurite.ConnectionString, batch);
        Assert.DoesNotContain(left, b => b.Where.Contains(WorkflowServices.SecretsContainer, StringComparison.Ordinal));
        Assert.DoesNotContain(left, b => b.Where.Contains(LineSecretsPrefix(batch), StringComparison.Ordinal));
    }

    private static string LineSecretsPrefix(string batch) => $"blob {BatchStorage.SealedPasswordsContainer(batch)}/";

    /// <summary>The files in the temporary directory (where Path.GetTempFileName and ASP.NET Core's request buffering
    /// write, https://learn.microsoft.com/aspnet/core/mvc/models/file-uploads) changed since
    /// <paramref name="since"/>: the host must have left nothing of the upload there. The servers' own directories
    /// (MAILIMPORT_RUN_DIR) are subdirectories and are not read.</summary>
    private static List<(string Where, string Text)> TemporaryFilesSince(DateTime since)
    {
        var found = new List<(string Where, string Text)>();
        foreach (var file in new DirectoryInfo(Path.GetTempPath()).EnumerateFiles())
        {
            try
            {
                // Only files with content: an empty one leaks nothing, and a named pipe (the .NET runtime makes
                // clr-debug-pipe-* FIFOs here for every process it starts) shows as empty and would block the open
                // until some process writes to it.
                if (file.LastWriteTimeUtc >= since && file.Length is > 0 and < 16 * 1024 * 1024)
                {
                    found.Add(($"temporary file {file.FullName}", File.ReadAllText(file.FullName)));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return found;
    }
}
