using System.Text;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.StandIns.KeyVault;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>The Azure configuration's secret store: the workflow with MailImport:KeyVaultUri pointing at a local Key
/// Vault (the stand-in of its REST contract, with its authentication challenge and soft-delete), on real Dovecot and
/// Azurite. A batch is one secret in the vault, with an expiry; close leaves nothing there, not even a deleted one.</summary>
[Collection(WorkflowServers.Name)]
public sealed class KeyVaultEndToEndTests(WorkflowServersFixture servers)
{
    private const string Canary = "CanaryKv5";

    private static async Task<KeyVaultStandIn> StartVaultAsync()
    {
        var vault = new KeyVaultStandIn("kv-token-" + Guid.NewGuid().ToString("N"));
        await vault.StartAsync();
        return vault;
    }

    /// <summary>The workflow with the Azure configuration's secret store: MailImport:KeyVaultUri and no local key.</summary>
    private async Task<EmbeddedWorkflowHost> StartHostAsync(KeyVaultStandIn vault)
    {
        var settings = WorkflowSettings.For(servers.Destination, servers.Azurite, ("MailImport:KeyVaultUri", vault.VaultUri.AbsoluteUri));
        settings.Remove("MailImport:LocalSecretKey");
        var host = new EmbeddedWorkflowHost(settings, services => services.AddSingleton(vault.Credential()).AddSingleton(vault.ClientOptions()));
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task Import_OnKeyVault_TheBatchIsOneExpiringSecret_AndCloseLeavesTheVaultEmpty()
    {
        await using var vault = await StartVaultAsync();
        var host = await StartHostAsync(vault);
        try
        {
            await ImportAndCloseAsync(vault, host);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private async Task ImportAndCloseAsync(KeyVaultStandIn vault, EmbeddedWorkflowHost host)
    {
        Assert.IsType<KeyVaultSecretStore>(host.Services.GetRequiredService<ISecretStore>());
        var accounts = new[] { servers.Source.AddUniqueUser("kv", Canary + "1"), servers.Source.AddUniqueUser("kv", Canary + "2") };
        foreach (var account in accounts)
        {
            await MailCorpus.SeedAsync(servers.Source, account, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        }

        var storage = host.Services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes($"{accounts[0].Login} {Canary}1\n{accounts[1].Login} {Canary}2\n"), isJson: false, CancellationToken.None);
        var before = DateTimeOffset.UtcNow;

        await host.RunAsync(new BatchRunInput(batchId, $"{batchId}-r1", RunMode.Full, RetryFirstDelaySeconds: 0.1));

        var report = (await storage.LoadReportAsync(batchId, CancellationToken.None))!;
        Assert.All(report.Mailboxes, m => Assert.Equal(MailboxStatus.Done, m.Status));
        foreach (var account in accounts)
        {
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                await MailCorpus.SnapshotAsync(servers.Destination, new Mail.Connections.MailAccount($"{account.Login}@{WorkflowSettings.Domain}", account.Password)));
        }

        // One vault secret for the batch, the data key, expiring an idle time and a margin after ingestion; no password in it.
        var key = SecretNames.BatchKey(batchId);
        Assert.Equal([key], vault.SecretNames);
        var expiry = vault.ExpiryOf(key);
        var life = TimeSpan.FromDays(30) + BatchSecrets.KeyExpiryMargin;
        Assert.True(expiry >= before.AddSeconds(-1) + life && expiry <= DateTimeOffset.UtcNow + life, $"the key expires {expiry}");
        Assert.DoesNotContain(vault.Values, v => v.Contains(Canary, StringComparison.Ordinal));

        var deleted = await host.Services.GetRequiredService<BatchSteps>().CloseAsync(batchId, CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Empty(vault.SecretNames);
        Assert.Empty(vault.DeletedSecretNames);
        Assert.Contains($"DELETE /deletedsecrets/{key} 204", vault.Operations);
    }

    [Fact]
    public async Task Store_AnExpiredSecret_ReadsAsAbsentAndIsPurged_AndItsExpiryCanBeMoved()
    {
        // Key Vault still serves an expired secret; the store must not.
        await using var vault = await StartVaultAsync();
        var client = new SecretClient(vault.VaultUri, vault.Credential(), vault.ClientOptions());
        var now = DateTimeOffset.UtcNow;
        var store = new KeyVaultSecretStore(client, new FixedClock(now));
        await store.SetAsync("mi-expiry-test", new Secret("value-1"), now.AddHours(1), CancellationToken.None);
        await store.SetAsync("mi-moved-test", new Secret("value-2"), now.AddHours(1), CancellationToken.None);

        Assert.Equal("value-1", (await store.GetAsync("mi-expiry-test", CancellationToken.None)).Reveal());
        Assert.True(await store.SetExpiryAsync("mi-moved-test", now.AddDays(3), CancellationToken.None));
        Assert.Equal(now.AddDays(3).ToUnixTimeSeconds(), vault.ExpiryOf("mi-moved-test")?.ToUnixTimeSeconds());

        var later = new KeyVaultSecretStore(client, new FixedClock(now.AddHours(2)));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => later.GetAsync("mi-expiry-test", CancellationToken.None));
        Assert.Equal("value-2", (await later.GetAsync("mi-moved-test", CancellationToken.None)).Reveal());
        Assert.DoesNotContain("mi-expiry-test", vault.SecretNames);
        Assert.DoesNotContain("mi-expiry-test", vault.DeletedSecretNames);
        Assert.False(await later.SetExpiryAsync("mi-expiry-test", now.AddDays(3), CancellationToken.None));

        // A call without the vault's token meets its challenge, not its secrets.
        await using var other = new KeyVaultStandIn("another-token");
        var anonymous = new SecretClient(vault.VaultUri, other.Credential(), vault.ClientOptions());
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => anonymous.GetSecretAsync("mi-moved-test"));
        Assert.Equal(401, refused.Status);
    }
}
