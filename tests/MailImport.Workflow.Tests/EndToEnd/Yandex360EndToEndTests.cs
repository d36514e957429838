using System.Globalization;
using System.Text;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.StandIns.Yandex360;
using MailImport.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>The whole workflow with <c>Directory=Yandex360</c>, the default configuration: the Yandex 360 stand-in's
/// directory and token service, its Dovecot as Yandex Mail, real Azurite, the embedded engine in memory. Once writing
/// mail with the mailbox's password, once with the service application's per-employee token.</summary>
[Collection(WorkflowServers.Name)]
public sealed class Yandex360EndToEndTests(WorkflowServersFixture servers)
{
    private const string Domain = WorkflowSettings.Domain;
    private const string Canary = "Canary8pw";
    private const string ClientId = "5e4f1c0de5e4f1c0de5e4f1c0de5e4f1";
    private const string ClientSecret = "Sv4ppS3cretCanary";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Import_GoodWrongPasswordBadUsernameAndAnExistingEmployee_RerunAfterFixCopiesTheRestAndCreatesNobodyTwice(bool serviceApplication)
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile)
            .WithServiceApplication(ClientId, new Secret(ClientSecret), Yandex360StandIn.ImapFullScope);
        await yandex.StartAsync(servers.YandexStandInPort);
        var good = servers.Source.AddUser($"good{Guid.NewGuid():N}"[..16], Canary + "1");
        var wrong = servers.Source.AddUser($"late{Guid.NewGuid():N}"[..16], Canary + "2");
        var kept = servers.Source.AddUser($"kept{Guid.NewGuid():N}"[..16], Canary + "5");
        await MailCorpus.SeedAsync(servers.Source, good, MailCorpus.Standard());
        await MailCorpus.SeedAsync(servers.Source, wrong, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        await MailCorpus.SeedAsync(servers.Source, kept, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        // An employee the admin made in the console, with a password MailImport is never told.
        yandex.WithUser(kept.Login, "AdminSet9pw");

        var host = await StartHostAsync(yandex, serviceApplication);
        try
        {
            var storage = host.Services.GetRequiredService<BatchStorage>();
            var batchId = Guid.NewGuid().ToString("N");
            await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
            var file = $"{good.Login} {Canary}1\n{wrong.Login} {Canary}3\nbad_name \"{Canary} 4\"\n{kept.Login} {Canary}5\n";
            await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));

            var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.Equal([1, 2, 3, 4], report.Mailboxes.Select(m => m.LineNumber));
            Assert.Equal((MailboxStatus.Done, 14L), (report.Mailboxes[0].Status, report.Mailboxes[0].Counters.MessagesCopied));
            Assert.Equal((MailboxStatus.Failed, ErrorCode.SourceAuthFailed), (report.Mailboxes[1].Status, report.Mailboxes[1].Code));
            Assert.Equal((MailboxStatus.Invalid, ErrorCode.UsernameInvalidCharacter), (report.Mailboxes[2].Status, report.Mailboxes[2].Code));
            var goodThere = new MailAccount($"{good.Login}@{Domain}", good.Password);
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good), await MailCorpus.SnapshotAsync(servers.YandexMail, goodThere));
            var keptThere = new MailAccount($"{kept.Login}@{Domain}", new Secret("AdminSet9pw"));
            if (serviceApplication)
            {
                // The token needs no password: the existing employee is filled, and keeps the admin's password.
                Assert.Equal(MailboxStatus.Done, report.Mailboxes[3].Status);
                MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, kept), await MailCorpus.SnapshotAsync(servers.YandexMail, keptThere));
                Assert.Equal(2, yandex.TokensIssued);
            }
            else
            {
                // Without one, MailImport can only log in with the file's password, which is not the employee's.
                Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationAuthFailed), (report.Mailboxes[3].Status, report.Mailboxes[3].Code));
                Assert.Equal(0, yandex.TokensIssued);
            }

            Assert.True(yandex.HasPassword(kept.Login, new Secret("AdminSet9pw")));
            Assert.True(yandex.HasPassword(good.Login, good.Password));
            Assert.Equal(serviceApplication ? 1 : 3, await CountPasswordsAsync(host.Services.GetRequiredService<BatchSecrets>(), batchId, LinePassword.Destination));

            // The admin fixes the source account's password to what the file says, and re-runs the failed mailboxes.
            var fixedAtSource = servers.Source.AddUser(wrong.Login, Canary + "3");
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r2", RunMode.RetryFailed, RetryFirstDelaySeconds: 0.1));

            report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.Equal((MailboxStatus.Done, 7L), (report.Mailboxes[1].Status, report.Mailboxes[1].Counters.MessagesCopied));
            Assert.Equal(MailboxStatus.Done, report.Mailboxes[0].Status);
            var wrongThere = new MailAccount($"{wrong.Login}@{Domain}", new Secret(Canary + "3"));
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, fixedAtSource), await MailCorpus.SnapshotAsync(servers.YandexMail, wrongThere));
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good), await MailCorpus.SnapshotAsync(servers.YandexMail, goodThere));

            // Each run listed the domains and the users once; each new employee was created once, with its line as
            // external id, and the existing one never.
            var calls = yandex.Requests.Where(r => r.Path.StartsWith(Yandex360StandIn.CloudApiPrefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(2, calls.Count(r => r.Path.EndsWith("/domains", StringComparison.Ordinal)));
            Assert.Equal(2, calls.Count(r => r.Method == "GET" && r.Path.EndsWith("/users", StringComparison.Ordinal)));
            Assert.Equal(2, calls.Count(r => r.Method == "POST"));
            Assert.Equal([good.Login, kept.Login, wrong.Login], yandex.Users.Select(u => u.Nickname).Order(StringComparer.Ordinal));
            Assert.Equal($"mailimport:{batchId}:2", yandex.Users.Single(u => u.Nickname == wrong.Login).ExternalId);
            Assert.All(yandex.Requests, r => Assert.DoesNotContain(ClientSecret, r.ToString(), StringComparison.Ordinal));

            var instances = new[] { $"{batchId}-r1", $"{batchId}-r2" }.SelectMany(r => new[] { r, $"{r}-1", $"{r}-2", $"{r}-4" }).ToList();
            await host.AssertNowhereAsync(Canary, batchId, servers.Azurite.ConnectionString, instances);
            foreach (var secret in new[] { ClientSecret, yandex.Token }.Concat(yandex.IssuedTokens))
            {
                await host.AssertNowhereAsync(secret, batchId, servers.Azurite.ConnectionString, instances);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task DryRun_ChecksTheDestination_DomainDirectoryAndTheServiceApplicationsTokenForExistingMailboxes()
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile)
            .WithServiceApplication(ClientId, new Secret(ClientSecret), "calendar:all");
        await yandex.StartAsync(servers.YandexStandInPort);
        var fresh = servers.Source.AddUser($"new{Guid.NewGuid():N}"[..15], Canary + "1");
        var kept = servers.Source.AddUser($"kept{Guid.NewGuid():N}"[..16], Canary + "2");
        yandex.WithUser(kept.Login, "AdminSet9pw");
        var host = await StartHostAsync(yandex, serviceApplication: true);
        try
        {
            var storage = host.Services.GetRequiredService<BatchStorage>();
            var batchId = Guid.NewGuid().ToString("N");
            await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions { DryRun = true }, DateTimeOffset.UtcNow), CancellationToken.None);
            await storage.UploadCredentialsAsync(batchId, $"{batchId}-d0", Encoding.UTF8.GetBytes($"{fresh.Login} {Canary}1\n{kept.Login} {Canary}2\n"), isJson: false, CancellationToken.None);

            // The domain is connected but not confirmed yet: nothing can be created in it.
            yandex.WithDomain(Domain, verified: false);
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-d0", RunMode.DryRun, RetryFirstDelaySeconds: 0.1));
            var unconfirmed = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.All(unconfirmed.Mailboxes, m => Assert.Equal((MailboxStatus.Failed, ErrorCode.DomainNotConfirmed), (m.Status, m.Code)));
            yandex.WithDomain(Domain, verified: true);

            // The organisation turned service applications off: the existing employee could not be filled.
            yandex.ServiceApplicationsActive = false;
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-d1", RunMode.DryRun, RetryFirstDelaySeconds: 0.1));
            var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.True(report.DryRun);
            Assert.Equal((MailboxStatus.Ready, (ErrorCode?)null), (report.Mailboxes[0].Status, report.Mailboxes[0].Code));
            Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationServiceApplicationRefused), (report.Mailboxes[1].Status, report.Mailboxes[1].Code));
            Assert.Contains("unauthorized_client", report.Mailboxes[1].Message, StringComparison.Ordinal);

            // Turned on: the token is issued. The dry run created nobody.
            yandex.ServiceApplicationsActive = true;
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-d2", RunMode.DryRun, RetryFirstDelaySeconds: 0.1));
            report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.Equal(MailboxStatus.Ready, report.Mailboxes[1].Status);
            Assert.Contains("already exists; mail will be added to it with the service application's token", report.Mailboxes[1].Message, StringComparison.Ordinal);
            Assert.DoesNotContain(yandex.Requests, r => r.Method == "POST" && r.Path.EndsWith("/users", StringComparison.Ordinal));
            Assert.Equal([kept.Login], yandex.Users.Select(u => u.Nickname));

            // A token without the directory's read scope stops the run before any mailbox, and says which scope.
            await host.Services.GetRequiredService<ISecretStore>().SetAsync("yandex360-oauth-token", new Secret("y0_domains-only"), expiresOn: null, CancellationToken.None);
            yandex.WithAdminToken("y0_domains-only", "directory:read_domains");
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-d3", RunMode.DryRun, RetryFirstDelaySeconds: 0.1));
            report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.All(report.Mailboxes, m => Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationApiUnauthorized), (m.Status, m.Code)));
            Assert.Contains("directory:read_users", report.Mailboxes[0].Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task CreateFaults_ThrottlingA500AfterTheCreateAndAStorm_EachLineEndsWithItsOutcome_AndTheRerunCreatesNobodyTwice()
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile);
        await yandex.StartAsync(servers.YandexStandInPort);
        var users = Enumerable.Range(1, 3).Select(i => servers.Source.AddUser($"f{i}{Guid.NewGuid():N}"[..14], $"{Canary}{i}")).ToList();
        // Line 1 meets two 429s with Retry-After, line 2 a 500 after the service made its employee, line 3 a storm of
        // 429s that outlasts every retry.
        yandex.FailCreatesOf(users[0].Login, 2, System.Net.HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(1));
        yandex.FailCreatesOf(users[1].Login, 1, System.Net.HttpStatusCode.InternalServerError, afterHandling: true);
        yandex.FailCreatesOf(users[2].Login, Workflow.Orchestrations.Retrying.MaxAttempts, System.Net.HttpStatusCode.TooManyRequests);
        var host = await StartHostAsync(yandex, serviceApplication: false);
        try
        {
            var storage = host.Services.GetRequiredService<BatchStorage>();
            var batchId = Guid.NewGuid().ToString("N");
            await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
            var file = string.Join('\n', users.Select((u, i) => $"{u.Login} {Canary}{i + 1}"));
            await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));

            var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.Equal([MailboxStatus.Done, MailboxStatus.Done, MailboxStatus.Failed], report.Mailboxes.Select(m => m.Status));
            Assert.Equal(ErrorCode.DestinationUnavailable, report.Mailboxes[2].Code);
            Assert.Contains("HTTP 429", report.Mailboxes[2].Message, StringComparison.Ordinal);
            Assert.Contains($"gave up after {Workflow.Orchestrations.Retrying.MaxAttempts} attempts", report.Mailboxes[2].Message, StringComparison.Ordinal);
            Assert.NotNull(report.Mailboxes[2].Fix);

            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r2", RunMode.RetryFailed, RetryFirstDelaySeconds: 0.1));

            report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.All(report.Mailboxes, m => Assert.Equal(MailboxStatus.Done, m.Status));
            Assert.Equal(users.Select(u => u.Login).Order(StringComparer.Ordinal), yandex.Users.Select(u => u.Nickname).Order(StringComparer.Ordinal));
            Assert.All(users.Select((u, i) => (u, i)), x => Assert.True(yandex.HasPassword(x.u.Login, new Secret($"{Canary}{x.i + 1}"))));
            // Line 1: two refused, one made. Line 2: made, then 409 on the retry. Line 3: every attempt refused, then made by the re-run.
            Assert.Equal(3 + 2 + Workflow.Orchestrations.Retrying.MaxAttempts + 1, yandex.Requests.Count(r => r.Method == "POST"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task AdminTokenWithoutWriteScope_EveryNewMailboxFailsNamingTheScope_AndTheRerunWithAGoodTokenCreatesThem()
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile)
            .WithAdminToken("y0_read-only", "directory:read_domains", "directory:read_users");
        await yandex.StartAsync(servers.YandexStandInPort);
        var users = Enumerable.Range(1, 2).Select(i => servers.Source.AddUser($"w{i}{Guid.NewGuid():N}"[..14], $"{Canary}{i}")).ToList();
        var host = await StartHostAsync(yandex, serviceApplication: false);
        try
        {
            var secrets = host.Services.GetRequiredService<ISecretStore>();
            await secrets.SetAsync("yandex360-oauth-token", new Secret("y0_read-only"), expiresOn: null, CancellationToken.None);
            var storage = host.Services.GetRequiredService<BatchStorage>();
            var batchId = Guid.NewGuid().ToString("N");
            await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
            await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(string.Join('\n', users.Select((u, i) => $"{u.Login} {Canary}{i + 1}"))), isJson: false, CancellationToken.None);

            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));

            var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.All(report.Mailboxes, m => Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationApiUnauthorized), (m.Status, m.Code)));
            Assert.All(report.Mailboxes, m => Assert.Contains("directory:write_users", m.Message, StringComparison.Ordinal));
            Assert.Empty(yandex.Users);

            await secrets.SetAsync("yandex360-oauth-token", new Secret(yandex.Token), expiresOn: null, CancellationToken.None);
            await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r2", RunMode.RetryFailed, RetryFirstDelaySeconds: 0.1));

            report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
            Assert.All(report.Mailboxes, m => Assert.Equal(MailboxStatus.Done, m.Status));
            Assert.Equal(2, yandex.Users.Count);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task ServiceApplicationWithoutTheMailPermission_TheCopyFailsNamingTheApplicationNotThePassword()
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile)
            .WithServiceApplication(ClientId, new Secret(ClientSecret), "calendar:all");
        await yandex.StartAsync(servers.YandexStandInPort);
        var user = servers.Source.AddUser($"s{Guid.NewGuid():N}"[..14], Canary + "1");
        var host = await StartHostAsync(yandex, serviceApplication: true);
        try
        {
            var line = await RunOneLineAsync(host, user);

            // Yandex ID issues the token, but Yandex Mail's IMAP does not take it without mail:imap_full.
            Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationServiceApplicationRefused), (line.Status, line.Code));
            Assert.Contains("refused the service application's token", line.Message, StringComparison.Ordinal);
            Assert.Contains("mail:imap_full", line.Fix, StringComparison.Ordinal);
            Assert.Equal(1, yandex.TokensIssued);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task TokenRefusedAfterTheFirstChunk_TheMailboxFailsWithTheCatalogueCodeAndFix_NotInternalError()
    {
        await using var yandex = new Yandex360StandIn()
            .WithDomain(Domain, verified: true)
            .WithMailStore(servers.YandexMail.PasswdFile, servers.YandexMail.ConfigFile)
            .WithServiceApplication(ClientId, new Secret(ClientSecret), Yandex360StandIn.ImapFullScope);
        // The first chunk's login passes; from the second on the organisation has taken the application's access away.
        yandex.TokensRefusedAfterLogins = 1;
        await yandex.StartAsync(servers.YandexStandInPort);
        var user = servers.Source.AddUser($"m{Guid.NewGuid():N}"[..14], Canary + "1");
        await MailCorpus.SeedAsync(servers.Source, user, MailCorpus.Standard());
        var host = await StartHostAsync(yandex, serviceApplication: true);
        try
        {
            var line = await RunOneLineAsync(host, user);

            Assert.Equal((MailboxStatus.Failed, ErrorCode.DestinationServiceApplicationRefused), (line.Status, line.Code));
            Assert.Equal(ErrorCatalog.Get(ErrorCode.DestinationServiceApplicationRefused).Fix, line.Fix);
            // The first chunk's messages (the budget is four) are at the destination and counted; the rest wait for a re-run.
            Assert.Equal(4, line.Counters.MessagesCopied);
            Assert.Equal(4, line.LastRun!.MessagesCopied);
            Assert.DoesNotContain(Canary, line.Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Runs a one-line batch of <paramref name="user"/> (password <c>Canary + "1"</c>) to its end and returns
    /// its report line.</summary>
    private async Task<MailboxReport> RunOneLineAsync(EmbeddedWorkflowHost host, MailAccount user)
    {
        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes($"{user.Login} {Canary}1"), isJson: false, CancellationToken.None);
        await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));
        return Assert.Single((await storage.LoadReportAsync(batchId, CancellationToken.None))!.Mailboxes);
    }

    /// <summary>The workflow host with <c>Directory=Yandex360</c> against <paramref name="yandex"/>, its admin token and
    /// the service application's client secret in the secret store.</summary>
    private async Task<EmbeddedWorkflowHost> StartHostAsync(Yandex360StandIn yandex, bool serviceApplication)
    {
        var host = new EmbeddedWorkflowHost(Settings(yandex, serviceApplication));
        await host.StartAsync();
        var secrets = host.Services.GetRequiredService<ISecretStore>();
        await secrets.SetAsync("yandex360-oauth-token", new Secret(yandex.Token), expiresOn: null, CancellationToken.None);
        await secrets.SetAsync("yandex360-service-app-secret", new Secret(ClientSecret), expiresOn: null, CancellationToken.None);
        return host;
    }

    private Dictionary<string, string?> Settings(Yandex360StandIn yandex, bool serviceApplication)
    {
        var settings = WorkflowSettings.For(servers.YandexMail, servers.Azurite,
            ("MailImport:Workflow:ChunkMessages", "4"),
            ("MailImport:Directory", "Yandex360"),
            ("MailImport:Yandex360:DirectoryUrl", yandex.DirectoryUrl.ToString()),
            ("MailImport:Yandex360:OrgId", yandex.OrgId.ToString(CultureInfo.InvariantCulture)),
            ("MailImport:Yandex360:TokenUrl", yandex.TokenUrl.ToString()));
        // The Dovecot directory's keys are not this configuration's.
        foreach (var key in settings.Keys.Where(k => k.StartsWith("MailImport:Dovecot:", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        if (serviceApplication)
        {
            settings["MailImport:Yandex360:ServiceApplicationClientId"] = ClientId;
        }

        return settings;
    }

    private static async Task<int> CountPasswordsAsync(BatchSecrets secrets, string batchId, LinePassword which)
    {
        var count = 0;
        for (var line = 1; line <= 4; line++)
        {
            try
            {
                await secrets.GetAsync(batchId, line, which, CancellationToken.None);
                count++;
            }
            catch (KeyNotFoundException)
            {
                // Not kept.
            }
        }

        return count;
    }
}
