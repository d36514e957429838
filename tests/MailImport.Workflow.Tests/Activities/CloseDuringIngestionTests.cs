using System.Text;
using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.Activities;

/// <summary>A close that comes while ingestion is still writing the passwords, on real Azurite with the local secret
/// store: afterwards no secret of the batch (its data key, its sealed passwords) and no upload is left.</summary>
[Collection(WorkflowServers.Name)]
public sealed class CloseDuringIngestionTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        services = await EmbeddedWorkflowHost.BuildServicesAsync(WorkflowSettings.For(servers.Destination, servers.Azurite));
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task Close_WhileIngestionWritesSecrets_NoSecretAndNoUploadLeft()
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        // The most lines a file may have: ingestion writes them a few at a time, and must still be under way at the close.
        var file = string.Join('\n', Enumerable.Range(1, 20_000).Select(i => $"user{i:00000}@old.example Secret{i:00000}"));
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

        var ingestion = Task.Run(() => services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1")));
        // Close once ingestion is well under way: a few hundred lines sealed, most still to come.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await CountSecretsAsync(batchId) < 300)
        {
            Assert.False(ingestion.IsCompleted, "ingestion ended before the close could come");
            Assert.True(DateTime.UtcNow < deadline, "ingestion wrote no secrets");
            await Task.Delay(20);
        }

        // What close returns is not checked: ingestion, seeing the close, deletes what it wrote too, so the two share
        // the deleting and either may find a blob already gone. What matters is that nothing is left.
        await services.GetRequiredService<BatchSteps>().CloseAsync(batchId);
        var result = await ingestion;

        Assert.Equal(ErrorCode.BatchClosed, result.FileProblem?.Code);
        Assert.Equal(0, await CountSecretsAsync(batchId));
        Assert.False(await storage.HasCredentialsAsync(batchId, CancellationToken.None));
        Assert.True((await storage.LoadBatchAsync(batchId, CancellationToken.None))!.Closed);
    }

    [Fact]
    public async Task Ingestion_OfABatchClosedBeforeItStarted_WritesNoSecretAndDeletesTheUpload()
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow) { Closed = true }, CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes("ivan Secret12\n"), isJson: false, CancellationToken.None);

        var result = await services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1"));

        Assert.Equal(ErrorCode.BatchClosed, result.FileProblem?.Code);
        Assert.Equal(0, await CountSecretsAsync(batchId));
        Assert.False(await storage.HasCredentialsAsync(batchId, CancellationToken.None));
    }

    /// <summary>The batch's data key in the local secret store and the blobs of its sealed passwords.</summary>
    private async Task<int> CountSecretsAsync(string batchId)
    {
        var blobs = new BlobServiceClient(servers.Azurite.ConnectionString);
        var count = 0;
        var secretsContainer = blobs.GetBlobContainerClient(WorkflowServices.SecretsContainer);
        if (await secretsContainer.GetBlobClient(SecretNames.BatchKey(batchId)).ExistsAsync())
        {
            count++;
        }

        await foreach (var _ in blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{batchId}/secrets/", CancellationToken.None))
        {
            count++;
        }

        var sealedPasswords = blobs.GetBlobContainerClient(BatchStorage.SealedPasswordsContainer(batchId));
        if (await sealedPasswords.ExistsAsync())
        {
            await foreach (var _ in sealedPasswords.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                count++;
            }
        }

        return count;
    }
}
