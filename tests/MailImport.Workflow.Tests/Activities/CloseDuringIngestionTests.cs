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
/// store: afterwards no secret of the batch and no upload is left.</summary>
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
        var file = string.Join('\n', Enumerable.Range(1, 1000).Select(i => $"user{i:0000}@old.example Secret{i:0000}"));
        await storage.UploadCredentialsAsync(batchId, Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);

        var ingestion = Task.Run(() => services.GetRequiredService<CredentialIngestion>().RunAsync(batchId));
        // Close once ingestion is well under way: a hundred secrets written, most still to come.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await CountSecretsAsync(batchId) < 100)
        {
            Assert.False(ingestion.IsCompleted, "ingestion ended before the close could come");
            Assert.True(DateTime.UtcNow < deadline, "ingestion wrote no secrets");
            await Task.Delay(20);
        }

        var deleted = await services.GetRequiredService<BatchSteps>().CloseAsync(batchId);
        var result = await ingestion;

        Assert.True(deleted >= 100, $"close deleted {deleted}");
        Assert.Equal(ErrorCode.BatchClosed, result.FileProblem?.Code);
        Assert.Equal(0, await CountSecretsAsync(batchId));
        Assert.Null(await storage.ReadCredentialsAsync(batchId, CancellationToken.None));
        Assert.True((await storage.LoadBatchAsync(batchId, CancellationToken.None))!.Closed);
    }

    [Fact]
    public async Task Ingestion_OfABatchClosedBeforeItStarted_WritesNoSecretAndDeletesTheUpload()
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, WorkflowSettings.Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow) { Closed = true }, CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, Encoding.UTF8.GetBytes("ivan Secret12\n"), isJson: false, CancellationToken.None);

        var result = await services.GetRequiredService<CredentialIngestion>().RunAsync(batchId);

        Assert.Equal(ErrorCode.BatchClosed, result.FileProblem?.Code);
        Assert.Equal(0, await CountSecretsAsync(batchId));
        Assert.Null(await storage.ReadCredentialsAsync(batchId, CancellationToken.None));
    }

    private async Task<int> CountSecretsAsync(string batchId)
    {
        var container = new BlobServiceClient(servers.Azurite.ConnectionString).GetBlobContainerClient(WorkflowServices.SecretsContainer);
        if (!await container.ExistsAsync())
        {
            // No secret was ever stored on this Azurite.
            return 0;
        }

        var count = 0;
        await foreach (var _ in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, SecretNames.OfBatch(batchId), CancellationToken.None))
        {
            count++;
        }

        return count;
    }
}
