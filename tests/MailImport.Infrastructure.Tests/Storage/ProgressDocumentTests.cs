using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Tests.Storage;

/// <summary>A run's progress documents on Azurite: the mailboxes of one document write it at once and none loses
/// another's line, the document is written compact, since every step of every mailbox rewrites it whole, and a status
/// downloads again only the documents that changed since it last read them.</summary>
public sealed class ProgressDocumentTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private static MailboxOutcome Outcome(int line, MailboxStatus status) =>
        new(line, $"user{line}", $"user{line}", status, null, null, new MailboxCounters(3, status == MailboxStatus.Done ? 3 : 1, 0, 1200, 400), TimeSpan.FromSeconds(line), []);

    [Fact]
    public async Task SaveProgressAsync_TwentyLinesOfTwoDocumentsAtOnce_EveryLineKept_InCompactDocuments()
    {
        var blobs = new BlobServiceClient(azurite.Server.ConnectionString);
        var storage = new BatchStorage(blobs);
        await storage.EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        // Lines 241-260: ten in the first document (1-250), ten in the second.
        var lines = Enumerable.Range(241, 20).ToList();

        await Task.WhenAll(lines.Select(line => Task.Run(() => storage.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(line, MailboxStatus.Running)), CancellationToken.None))));
        await storage.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(250, MailboxStatus.Done)), CancellationToken.None);

        var progress = await storage.LoadProgressAsync(batchId, runId, CancellationToken.None);
        Assert.Equal(lines, progress.Keys.Order());
        Assert.Equal((MailboxStatus.Done, 3L), (progress[250].Status, progress[250].Counters.MessagesCopied));
        Assert.Equal((MailboxStatus.Running, "user241"), (progress[241].Status, progress[241].SourceLogin));
        var first = (await blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobClient($"{batchId}/runs/{runId}/progress/00000.json").DownloadContentAsync()).Value.Content.ToString();
        Assert.DoesNotContain('\n', first);
    }

    [Fact]
    public async Task LoadProgressAsync_AgainAfterOneDocumentChanged_DownloadsThatOneAlone_AndSeesItsChange()
    {
        var responses = new StatusCounter();
        var options = new BlobClientOptions();
        options.AddPolicy(responses, HttpPipelinePosition.PerRetry);
        var storage = new BatchStorage(new BlobServiceClient(azurite.Server.ConnectionString, options));
        await storage.EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        foreach (var line in new[] { 1, 2, 251, 501 })
        {
            await storage.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(line, MailboxStatus.Running)), CancellationToken.None);
        }

        Assert.Equal(4, (await storage.LoadProgressAsync(batchId, runId, CancellationToken.None)).Count);
        await storage.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(251, MailboxStatus.Done)), CancellationToken.None);
        var notModified = responses.NotModified;

        var progress = await storage.LoadProgressAsync(batchId, runId, CancellationToken.None);

        // Documents 1 and 3 unchanged: 304 Not Modified, their last version kept; document 2 downloaded anew.
        Assert.Equal(2, responses.NotModified - notModified);
        Assert.Equal((MailboxStatus.Done, MailboxStatus.Running, MailboxStatus.Running), (progress[251].Status, progress[1].Status, progress[501].Status));
    }

    /// <summary>Counts the Blob service's 304 answers (a conditional read of an unchanged blob).</summary>
    private sealed class StatusCounter : HttpPipelineSynchronousPolicy
    {
        private int notModified;

        public int NotModified => Volatile.Read(ref notModified);

        public override void OnReceivedResponse(HttpMessage message)
        {
            if (message.Response.Status == 304)
            {
                Interlocked.Increment(ref notModified);
            }
        }
    }
}
