using System.Text;
using Azure.Storage.Blobs;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Tests.Activities;

/// <summary>Ingestion on real Azurite with the local secret store: a file of thousands of lines is one write to the
/// secret store (the batch's data key), every password reads back, and close leaves neither key nor sealed password.</summary>
[Collection(WorkflowServers.Name)]
public sealed class CredentialIngestionTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        services = await EmbeddedWorkflowHost.BuildServicesAsync(WorkflowSettings.For(servers.Destination, servers.Azurite));
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task RunAsync_TwoThousandLines_OneWriteToTheSecretStore_AndCloseLeavesNoSecret()
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var store = new CountingSecretStore(services.GetRequiredService<ISecretStore>());
        var secrets = new BatchSecrets(storage, store, services.GetRequiredService<IOptions<WorkflowOptions>>(), TimeProvider.System);
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        var file = string.Join('\n', Enumerable.Range(1, 2000).Select(i => i % 2 == 0 ? $"user{i:0000} Pass{i:0000} new{i:0000} New{i:0000}!" : $"user{i:0000} Pass{i:0000}"));
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

        var result = await new CredentialIngestion(storage, secrets, services.GetRequiredService<ILogger<CredentialIngestion>>()).RunAsync(new IngestInput(batchId, $"{batchId}-r1"));

        Assert.Null(result.FileProblem);
        Assert.Equal(2000, result.Entries);
        Assert.Equal(1, store.Writes);
        Assert.Equal(new Secret("Pass0001"), await secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));
        Assert.Equal(new Secret("Pass0001"), await secrets.GetAsync(batchId, 1, LinePassword.Destination, CancellationToken.None));
        Assert.Equal(new Secret("New2000!"), await secrets.GetAsync(batchId, 2000, LinePassword.Destination, CancellationToken.None));
        Assert.Equal(new Secret("Pass1999"), await secrets.GetAsync(batchId, 1999, LinePassword.Source, CancellationToken.None));

        // Close as the activity does it, with the host's own services.
        var deleted = await services.GetRequiredService<BatchSteps>().CloseAsync(batchId);

        // The key, and the batch's container with its 2,000 sealed passwords in one request.
        Assert.Equal(2, deleted);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.GetAsync(SecretNames.BatchKey(batchId), CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.GetRequiredService<BatchSecrets>().GetAsync(batchId, 2, LinePassword.Source, CancellationToken.None));
        var blobs = new BlobServiceClient(servers.Azurite.ConnectionString);
        await foreach (var left in blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{batchId}/secrets/", CancellationToken.None))
        {
            Assert.Fail($"left after close: {left.Name}");
        }

        Assert.False(await blobs.GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId)).ExistsAsync());

        Assert.False(await blobs.GetBlobContainerClient(WorkflowServices.SecretsContainer).GetBlobClient(SecretNames.BatchKey(batchId)).ExistsAsync());
    }

    [Fact]
    public async Task RunAsync_TokenBatch_ReadsItsFileAndItsCorrectionsWithoutSourcePasswords()
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var secrets = services.GetRequiredService<BatchSecrets>();
        var ingestion = services.GetRequiredService<CredentialIngestion>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow)
        {
            Authentication = new SourceAuthentication(SourceAuthenticationType.GoogleServiceAccount, "svc@project.iam.gserviceaccount.com"),
        }, CancellationToken.None);
        // The second line is written for passwords: its password must not become maria's new username.
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes("ivan@old.example ivan.k NewPass1\nmaria@old.example Secret!12\n"), isJson: false, CancellationToken.None);

        var first = await ingestion.RunAsync(new IngestInput(batchId, $"{batchId}-r1"));

        Assert.Equal((1, 1), (first.Entries, first.Invalid));
        var manifest = (await storage.LoadManifestAsync(batchId, CancellationToken.None))!;
        Assert.Equal(("ivan.k", 1), (manifest.Entries[0].DestinationUsername, manifest.Entries[0].Line));
        var refused = Assert.Single(manifest.Invalid);
        Assert.Equal((2, Core.Errors.ErrorCode.LineFieldCount), (refused.LineNumber, refused.Code));
        Assert.Contains("no source password", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret!12", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal(new Secret("NewPass1"), await secrets.GetAsync(batchId, 1, LinePassword.Destination, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, 1, LinePassword.Source, CancellationToken.None));

        // The corrected file of a re-run is read with the batch's grammar too.
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r2", Encoding.UTF8.GetBytes("maria@old.example maria NewPass2\n"), isJson: false, CancellationToken.None);

        var corrected = await ingestion.RunAsync(new IngestInput(batchId, $"{batchId}-r2"));

        Assert.Equal((2, 0), (corrected.Entries, corrected.Invalid));
        var maria = (await storage.LoadManifestAsync(batchId, CancellationToken.None))!.Entries.Single(e => e.SourceLogin == "maria@old.example");
        Assert.Equal(new Secret("NewPass2"), await secrets.GetAsync(batchId, maria.Line, LinePassword.Destination, CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => secrets.GetAsync(batchId, maria.Line, LinePassword.Source, CancellationToken.None));
        await services.GetRequiredService<BatchSteps>().CloseAsync(batchId);
    }
}
