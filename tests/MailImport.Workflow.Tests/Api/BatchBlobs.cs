using System.Text;
using Azure.Storage.Blobs;

namespace MailImport.Workflow.Tests.Api;

/// <summary>What storage holds of one batch, for the canary tests.</summary>
internal static class BatchBlobs
{
    /// <summary>Every blob whose name or container's name holds the batch id, in every container, with its metadata, as
    /// text.</summary>
    public static async Task<List<(string Where, string Text)>> ReadAsync(string connectionString, string batchId)
    {
        var found = new List<(string Where, string Text)>();
        var service = new BlobServiceClient(connectionString);
        await foreach (var container in service.GetBlobContainersAsync())
        {
            var client = service.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.Metadata, Azure.Storage.Blobs.Models.BlobStates.None, null, CancellationToken.None))
            {
                if (blob.Name.Contains(batchId, StringComparison.Ordinal) || container.Name.Contains(batchId, StringComparison.Ordinal))
                {
                    var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                    found.Add(($"blob {container.Name}/{blob.Name}", Encoding.UTF8.GetString(content) + string.Join(",", blob.Metadata)));
                }
            }
        }

        return found;
    }
}
