using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.StandIns.EntraId;
using MailImport.StandIns.Google;
using MailImport.Testing;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>The token source of the workflow's tests: port base 2000 is used by no other fixture.</summary>
public sealed class WorkflowTokenSource() : TokenSourceServerSet("mi-wf-token-source", 2000);

/// <summary>Batches that log in to the source with a Google service account or a Microsoft app, through the HTTP API and
/// the real workflow, from a Dovecot whose oauth2 passdb asks the token stand-ins about each token, into the Dovecot
/// directory; the key, the client secret and the certificate are nowhere but sealed in the batch's secrets.</summary>
[Collection(WorkflowServers.Name)]
public sealed class TokenSourceEndToEndTests(WorkflowServersFixture servers, WorkflowTokenSource source) : IClassFixture<WorkflowTokenSource>, IAsyncLifetime
{
    private const string DestinationPassword = "Dest!pass1";
    private readonly List<(string Where, string Text)> answers = [];
    private ApiTestHost host = null!;

    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, "token-key-5d2e",
        // MSAL reaches the Entra stand-in by the authority setting; only its loopback certificate needs the test's handler.
        services => services.AddHttpClient(SourceTokenProviders.MicrosoftHttpClientName).ConfigurePrimaryHttpMessageHandler(() => PinnedHttpClient.Handler(source.Entra.CertificateSha256)),
        ("MailImport:SourceTokens:GoogleTokenUrl", source.Google.TokenUrl.AbsoluteUri),
        ("MailImport:SourceTokens:MicrosoftAuthorityHost", source.Entra.HttpsBase.AbsoluteUri),
        ("MailImport:Workflow:ChunkMessages", "4"),
        // Kept, so every mailbox orchestration's state is read for the key and the secret, as it would stay if a purge failed.
        ("MailImport:Workflow:KeepMailboxHistory", "true"));

    public async Task DisposeAsync() => await host.DisposeAsync();

    private BatchStorage Storage => host.Services.GetRequiredService<BatchStorage>();

    private static object Google(GoogleServiceAccount account) => new { type = "googleServiceAccount", serviceAccountKey = JsonDocument.Parse(account.KeyJson).RootElement };

    private object Microsoft(EntraClient client) => new { type = "microsoftAppOnly", tenantId = source.Entra.TenantId, clientId = client.ClientId, clientSecret = client.Secret.Reveal() };

    private object Microsoft(EntraClient client, EntraAppCertificate certificate, string? password = null) =>
        new { type = "microsoftAppOnly", tenantId = source.Entra.TenantId, clientId = client.ClientId, clientCertificate = certificate.PfxBase64, clientCertificatePassword = password ?? certificate.Password };

    private static string LocalPart(MailAccount account) => account.Login.Split('@')[0];

    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        var response = await host.SendAsync(method, path, content);
        answers.Add(($"{method} {path} -> {(int)response.StatusCode}", response.Headers + " " + response.Content.Headers + " " + await response.Content.ReadAsStringAsync()));
        return response;
    }

    /// <summary>Starts a batch of <paramref name="file"/> with <paramref name="authentication"/> and waits for its run.</summary>
    private async Task<(string BatchId, BatchReport Report)> ImportAsync(object authentication, string file, bool dryRun)
    {
        var settings = JsonSerializer.Serialize(new
        {
            domain = WorkflowSettings.Domain,
            source = new { host = "127.0.0.1", port = source.Dovecot.ImapsPort, security = "ssl", trustedCertificateSha256 = source.Dovecot.CertificateSha256, authentication },
            options = new { dryRun },
        });
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(file)), "file", "list.txt" },
            { new StringContent(settings), "settings" },
        };
        using var started = await CallAsync(HttpMethod.Post, "/api/imports", form);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var batchId = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        await host.WaitForAsync(batchId, CallAsync);
        (await CallAsync(HttpMethod.Get, $"/api/imports/{batchId}/report")).Dispose();
        return (batchId, (await Storage.LoadReportAsync(batchId, CancellationToken.None))!);
    }

    private async Task<MailAccount> SeededMailboxAsync(string prefix)
    {
        var mailbox = source.AddMailbox(prefix);
        source.Google.AddUser(mailbox.Login);
        await MailCorpus.SeedAsync(source.Dovecot, mailbox, MailCorpus.Standard());
        return mailbox;
    }

    [Fact]
    public async Task Import_GoogleServiceAccount_CopiesEveryMailbox_AndTheKeyIsNowhere()
    {
        var account = source.Google.AddServiceAccount(GoogleServiceAccountTokens.MailScope);
        var mailboxes = new[] { await SeededMailboxAsync("gw"), await SeededMailboxAsync("gw") };
        var noPassword = source.AddMailbox("gn");
        source.Google.AddUser(noPassword.Login);
        var file = string.Concat(mailboxes.Select(m => $"{m.Login} {LocalPart(m)} {DestinationPassword}\n")) + $"{noPassword.Login}\n";

        var (batchId, report) = await ImportAsync(Google(account), file, dryRun: false);

        await AssertCopiedAsync(report, mailboxes);
        // The third line gives no new password, and the Dovecot directory needs one to create the mailbox: MailImport
        // made one, and the admin downloads it once.
        Assert.Equal((MailboxStatus.Done, (ErrorCode?)null), (report.Mailboxes[2].Status, report.Mailboxes[2].Code));
        var generated = await TakeGeneratedPasswordAsync(batchId, 3, $"{LocalPart(noPassword)}@{WorkflowSettings.Domain}");
        var batch = (await Storage.LoadBatchAsync(batchId, CancellationToken.None))!;
        Assert.Equal(new SourceAuthentication(SourceAuthenticationType.GoogleServiceAccount, account.ClientEmail, ClientId: account.ClientId), batch.Authentication);
        Assert.Equal(mailboxes.Select(m => m.Login).Order(), source.Google.Assertions.Select(a => a["sub"].GetString()!).Where(s => mailboxes.Any(m => m.Login == s)).Distinct().Order());

        // The key's id and a stretch of its private key, as the JSON key file spells them.
        var pem = JsonDocument.Parse(account.KeyJson).RootElement.GetProperty("private_key").GetString()!;
        await AssertCloseLeavesNothingAsync(batchId, 3, account.KeyId, pem.Split('\n')[3], generated.Reveal());
    }

    /// <summary>The status counts one generated password; the download gives it (CSV line,login,password) and the mailbox
    /// opens with it; the second download is 410 Gone; an incremental re-run, which takes the line again, makes none.</summary>
    private async Task<Core.Secret> TakeGeneratedPasswordAsync(string batchId, int line, string login)
    {
        using (var status = await CallAsync(HttpMethod.Get, $"/api/imports/{batchId}"))
        {
            Assert.Equal(1, (await status.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("generatedPasswords").GetInt32());
        }

        // Not through CallAsync: this answer is the one place the password may be, so it is not among the canaries' places.
        using var download = await host.SendAsync(HttpMethod.Get, $"/api/imports/{batchId}/passwords");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        Assert.True(download.Headers.CacheControl?.NoStore, "the download may be cached");
        var rows = (await download.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("line,login,password", rows[0]);
        var cells = Assert.Single(rows[1..]).Split(',', 3);
        Assert.Equal([line.ToString(System.Globalization.CultureInfo.InvariantCulture), login], cells[..2]);
        var password = new Core.Secret(cells[2].Trim('"'));
        Assert.Empty(Core.Rules.DestinationRules.CheckPassword(password, login.Split('@')[0]));
        // The destination's login works with it (Dovecot checks the passwd-file the directory wrote).
        Assert.All((await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount(login, password))).Values, Assert.Empty);

        using (var again = await CallAsync(HttpMethod.Get, $"/api/imports/{batchId}/passwords"))
        {
            Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
            Assert.Contains("downloaded at", (await again.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Error, StringComparison.Ordinal);
        }

        // The mailbox exists now: a re-run keeps the password handed out and makes no other.
        using (var rerun = await CallAsync(HttpMethod.Post, $"/api/imports/{batchId}/rerun", JsonContent.Create(new { mode = "incremental" })))
        {
            Assert.Equal(HttpStatusCode.Accepted, rerun.StatusCode);
        }

        var after = await host.WaitForAsync(batchId, CallAsync);
        Assert.False(after.TryGetProperty("generatedPasswords", out _), after.ToString());
        Assert.Equal("Done", after.GetProperty("mailboxes")[line - 1].GetProperty("status").GetString());
        using (var none = await CallAsync(HttpMethod.Get, $"/api/imports/{batchId}/passwords"))
        {
            Assert.Equal(HttpStatusCode.Gone, none.StatusCode);
        }

        await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount(login, password));
        return password;
    }

    [Fact]
    public async Task Import_MicrosoftAppOnly_CopiesEveryMailbox_AndTheSecretIsNowhere()
    {
        var client = source.Entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp");
        source.Entra.RegisterInExchange(client, TokenSourceServerSet.Domain);
        var mailboxes = new[] { await SeededMailboxAsync("mw"), await SeededMailboxAsync("mw") };
        var file = string.Concat(mailboxes.Select(m => $"{m.Login} {LocalPart(m)} {DestinationPassword}\n"));

        var (batchId, report) = await ImportAsync(Microsoft(client), file, dryRun: false);

        await AssertCopiedAsync(report, mailboxes);
        var batch = (await Storage.LoadBatchAsync(batchId, CancellationToken.None))!;
        Assert.Equal(new SourceAuthentication(SourceAuthenticationType.MicrosoftAppOnly, TenantId: source.Entra.TenantId, ClientId: client.ClientId), batch.Authentication);
        await AssertCloseLeavesNothingAsync(batchId, 2, client.Secret.Reveal());

        // The close dropped the batch's provider: asking for it again makes a new one from the credential.
        var providers = host.Services.GetRequiredService<SourceTokenProviders>();
        var made = false;
        providers.For(batchId, batch.Authentication, () => { made = true; return client.Secret; });
        providers.Forget(batchId);
        Assert.True(made);
    }

    [Fact]
    public async Task Import_MicrosoftAppOnlyCertificate_CopiesEveryMailbox_AndTheCertificateIsNowhere()
    {
        var certificate = EntraAppCertificate.Create();
        var client = source.Entra.RegisterCertificate(source.Entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), certificate.Certificate);
        source.Entra.RegisterInExchange(client, TokenSourceServerSet.Domain);
        var mailboxes = new[] { await SeededMailboxAsync("mc"), await SeededMailboxAsync("mc") };
        var file = string.Concat(mailboxes.Select(m => $"{m.Login} {LocalPart(m)} {DestinationPassword}\n"));

        var (batchId, report) = await ImportAsync(Microsoft(client, certificate), file, dryRun: false);

        await AssertCopiedAsync(report, mailboxes);
        var batch = (await Storage.LoadBatchAsync(batchId, CancellationToken.None))!;
        Assert.Equal(new SourceAuthentication(SourceAuthenticationType.MicrosoftAppOnly, TenantId: source.Entra.TenantId, ClientId: client.ClientId, CertificateThumbprint: certificate.Certificate.Thumbprint), batch.Authentication);
        // The app proved itself with a signed assertion, never a secret.
        Assert.Contains(source.Entra.Assertions, a => a.Payload.GetProperty("iss").GetString() == client.ClientId);
        // The PFX as given, a stretch from its middle (the private key's bytes), and its password.
        await AssertCloseLeavesNothingAsync(batchId, 2, certificate.PfxBase64, certificate.PfxBase64.Substring(certificate.PfxBase64.Length / 2, 40), certificate.Password);
    }

    [Fact]
    public async Task DryRun_MicrosoftCertificateNotRegistered_ReportsSecretInvalidWithItsFix()
    {
        var registered = EntraAppCertificate.Create();
        var other = EntraAppCertificate.Create();
        var client = source.Entra.RegisterCertificate(source.Entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp"), registered.Certificate);
        source.Entra.RegisterInExchange(client, TokenSourceServerSet.Domain);
        var mailbox = await SeededMailboxAsync("mk");

        var (_, report) = await ImportAsync(Microsoft(client, other), $"{mailbox.Login} {LocalPart(mailbox)} {DestinationPassword}\n", dryRun: true);

        var line = Assert.Single(report.Mailboxes);
        Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceAppSecretInvalid), (line.Status, line.Code));
        Assert.Contains("AADSTS700027", line.Message, StringComparison.Ordinal);
        Assert.Contains(other.Certificate.Thumbprint, line.Message, StringComparison.Ordinal);
        Assert.Contains("Certificates & secrets > Certificates", line.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain(source.Entra.Assertions, a => a.Payload.GetProperty("iss").GetString() == client.ClientId);
    }

    [Fact]
    public async Task Start_CertificateWithWrongPasswordOrWithASecret_IsRefusedByField_WithoutEchoingEither()
    {
        var certificate = EntraAppCertificate.Create();
        const string wrong = "Wrong-pfx-password-71c4";
        var client = source.Entra.AddMailClient(adminConsented: true, "IMAP.AccessAsApp");
        var before = await host.BatchIdsAsync();
        var cases = new (object Authentication, string Field)[]
        {
            (Microsoft(client, certificate, wrong), "source.authentication.clientCertificatePassword"),
            (new { type = "microsoftAppOnly", tenantId = source.Entra.TenantId, clientId = client.ClientId, clientSecret = wrong, clientCertificate = certificate.PfxBase64, clientCertificatePassword = certificate.Password }, "source.authentication.clientSecret"),
            (new { type = "microsoftAppOnly", tenantId = source.Entra.TenantId, clientId = client.ClientId, clientCertificate = wrong }, "source.authentication.clientCertificate"),
        };

        foreach (var (authentication, field) in cases)
        {
            var settings = JsonSerializer.Serialize(new { domain = WorkflowSettings.Domain, source = new { host = "127.0.0.1", port = source.Dovecot.ImapsPort, authentication } });
            using var form = new MultipartFormDataContent
            {
                { new ByteArrayContent(Encoding.UTF8.GetBytes("ivan@contoso.example\n")), "file", "list.txt" },
                { new StringContent(settings), "settings" },
            };

            using var refused = await CallAsync(HttpMethod.Post, "/api/imports", form);

            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = Assert.Single((await refused.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
            Assert.Equal((field, nameof(ErrorCode.SettingsInvalidAuthentication)), (problem.Field, problem.Code));
        }

        var canaries = new[] { wrong, certificate.Password, certificate.PfxBase64[..40] };
        Assert.DoesNotContain(answers, a => canaries.Any(c => a.Text.Contains(c, StringComparison.Ordinal)));
        Assert.DoesNotContain(host.Logs.Lines, l => canaries.Any(c => l.Contains(c, StringComparison.Ordinal)));
        Assert.Equal(before, await host.BatchIdsAsync());
    }

    [Fact]
    public async Task DryRun_GoogleServiceAccount_ChecksEveryLinesTokenAndLogin()
    {
        var account = source.Google.AddServiceAccount(GoogleServiceAccountTokens.MailScope);
        var mailboxes = new[] { await SeededMailboxAsync("gd"), await SeededMailboxAsync("gd") };
        var noPassword = await SeededMailboxAsync("gn");
        var file = string.Concat(mailboxes.Select(m => $"{m.Login} {LocalPart(m)} {DestinationPassword}\n")) + $"{noPassword.Login}\n";

        var (batchId, report) = await ImportAsync(Google(account), file, dryRun: true);

        Assert.All(report.Mailboxes.Take(2), m => Assert.Equal((MailboxStatus.Ready, (ErrorCode?)null), (m.Status, m.Code)));
        Assert.All(report.Mailboxes, m => Assert.Equal(14, m.Counters.MessagesTotal));
        // A real run creates the third mailbox with a generated password; the dry run generates none.
        Assert.Equal((MailboxStatus.Ready, (ErrorCode?)null), (report.Mailboxes[2].Status, report.Mailboxes[2].Code));
        Assert.Equal(0, await host.Services.GetRequiredService<BatchSecrets>().CountGeneratedAsync(batchId, CancellationToken.None));
        var log = await File.ReadAllTextAsync(source.Dovecot.LogFile);
        Assert.All(mailboxes, m => Assert.Contains($"Login: user=<{m.Login}>, method=XOAUTH2", log, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DryRun_GoogleWithoutDelegation_ReportsDelegationMissingWithItsFix()
    {
        var account = source.Google.AddServiceAccount();
        var mailbox = await SeededMailboxAsync("gm");

        var (_, report) = await ImportAsync(Google(account), $"{mailbox.Login} {LocalPart(mailbox)} {DestinationPassword}\n", dryRun: true);

        var line = Assert.Single(report.Mailboxes);
        Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceDelegationMissing), (line.Status, line.Code));
        Assert.Contains(account.ClientEmail, line.Message, StringComparison.Ordinal);
        Assert.Contains("domain-wide delegation", line.Fix, StringComparison.Ordinal);
        Assert.Contains(GoogleServiceAccountTokens.MailScope, line.Fix, StringComparison.Ordinal);
    }

    /// <summary>Consent missing is Entra's refusal of the token; an app not registered in Exchange gets a good token that
    /// Exchange (the Dovecot here) answers with AUTHENTICATE failed, which is not a wrong password.</summary>
    [Theory]
    [InlineData(false, true, ErrorCode.SourceAppConsentMissing, "Grant admin consent")]
    [InlineData(true, false, ErrorCode.SourceAppNotInExchange, "New-ServicePrincipal")]
    public async Task DryRun_MicrosoftAppNotReady_ReportsWhatIsMissingWithItsFix(bool adminConsented, bool registeredInExchange, ErrorCode code, string fix)
    {
        var client = source.Entra.AddMailClient(adminConsented, "IMAP.AccessAsApp");
        if (registeredInExchange)
        {
            source.Entra.RegisterInExchange(client, TokenSourceServerSet.Domain);
        }

        var mailbox = await SeededMailboxAsync("mx");

        var (_, report) = await ImportAsync(Microsoft(client), $"{mailbox.Login} {LocalPart(mailbox)} {DestinationPassword}\n", dryRun: true);

        var line = Assert.Single(report.Mailboxes);
        Assert.Equal((MailboxStatus.Failed, code), (line.Status, line.Code));
        Assert.Contains(client.ClientId, line.Message, StringComparison.Ordinal);
        Assert.Contains(fix, line.Fix, StringComparison.Ordinal);
        Assert.True(code != ErrorCode.SourceAppNotInExchange || line.Fix!.Contains("Add-MailboxPermission", StringComparison.Ordinal), line.Fix);
    }

    [Fact]
    public async Task Start_InvalidAuthentication_IsRefusedFieldByField_WithoutEchoingTheSecret()
    {
        const string secret = "CanarySecret-3b8f";
        var settings = JsonSerializer.Serialize(new
        {
            domain = WorkflowSettings.Domain,
            source = new { host = "127.0.0.1", port = source.Dovecot.ImapsPort, authentication = new { type = "microsoftAppOnly", tenantId = "not a tenant", clientId = "app", clientSecret = secret } },
        });
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes("ivan@contoso.example\n")), "file", "list.txt" },
            { new StringContent(settings), "settings" },
        };
        var before = await host.BatchIdsAsync();

        using var refused = await CallAsync(HttpMethod.Post, "/api/imports", form);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = (await refused.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!;
        Assert.Equal(["source.authentication.tenantId", "source.authentication.clientId"], error.Problems!.Select(p => p.Field));
        Assert.All(error.Problems!, p => Assert.Equal(nameof(ErrorCode.SettingsInvalidAuthentication), p.Code));
        Assert.DoesNotContain(answers, a => a.Text.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.Equal(before, await host.BatchIdsAsync());
    }

    private async Task AssertCopiedAsync(BatchReport report, IReadOnlyList<MailAccount> mailboxes)
    {
        foreach (var (mailbox, i) in mailboxes.Select((m, i) => (m, i)))
        {
            Assert.Equal((MailboxStatus.Done, (ErrorCode?)null), (report.Mailboxes[i].Status, report.Mailboxes[i].Code));
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(source.Dovecot, mailbox),
                await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{LocalPart(mailbox)}@{WorkflowSettings.Domain}", new Core.Secret(DestinationPassword))));
        }

        var log = await File.ReadAllTextAsync(source.Dovecot.LogFile);
        Assert.All(mailboxes, m => Assert.Contains($"Login: user=<{m.Login}>, method=XOAUTH2", log, StringComparison.Ordinal));
    }

    /// <summary>Closes the batch through the API, then looks for each canary (and its base64) in every answer, every
    /// orchestration's state and custom status, every blob of the batch (the sealed secrets are encrypted) and every log
    /// line at every level; and the sealed credential can no longer be read.</summary>
    private async Task AssertCloseLeavesNothingAsync(string batchId, int lines, params string[] canaries)
    {
        var blobs = await BatchBlobs.ReadAsync(servers.Azurite.ConnectionString, batchId);
        Assert.Contains(blobs, b => b.Where.EndsWith($"{BatchStorage.SealedPasswordsContainer(batchId)}/{BatchSecrets.SourceCredentialLine}", StringComparison.Ordinal));
        using (var closed = await CallAsync(HttpMethod.Post, $"/api/imports/{batchId}/close"))
        {
            Assert.Equal(HttpStatusCode.Accepted, closed.StatusCode);
        }

        await host.WaitForClosedAsync(batchId);

        var engine = host.Services.GetRequiredService<IWorkflowEngine>();
        var states = new List<(string Where, string Text)>();
        var run = $"{batchId}-r1";
        foreach (var instance in Enumerable.Range(1, lines).Select(line => ImportBatchOrchestration.MailboxInstanceId(run, line)).Prepend(run))
        {
            if (await engine.GetStateAsync(instance, CancellationToken.None) is { } state)
            {
                states.Add(($"state {instance}", $"{state.CustomStatus} {state.Output}"));
            }
        }

        var places = answers.Concat(states).Concat(blobs).Concat(host.Logs.Lines.Select(l => (Where: "log", Text: l))).ToList();
        Assert.True(states.Count == lines + 1 && host.Logs.Lines.Count > 50, $"{states.Count} states, {host.Logs.Lines.Count} log lines");
        var needles = canaries.Concat(canaries.Select(c => Convert.ToBase64String(Encoding.UTF8.GetBytes(c))[..12])).ToList();
        var leaks = places.Where(p => needles.Any(n => p.Text.Contains(n, StringComparison.Ordinal))).Select(p => p.Where).Distinct().ToList();
        Assert.True(leaks.Count == 0, "the key or secret found in: " + string.Join(", ", leaks));

        await Assert.ThrowsAsync<KeyNotFoundException>(() => host.Services.GetRequiredService<BatchSecrets>().GetSourceCredentialAsync(batchId, CancellationToken.None));
        Assert.DoesNotContain(await BatchBlobs.ReadAsync(servers.Azurite.ConnectionString, batchId), b => b.Where.Contains($"/{batchId}/secrets/", StringComparison.Ordinal)
            || b.Where.Contains(BatchStorage.SealedPasswordsContainer(batchId), StringComparison.Ordinal));
    }
}
