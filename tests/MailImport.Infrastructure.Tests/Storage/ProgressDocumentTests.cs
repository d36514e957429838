using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Tests.Storage;

/// <summary>A run's progress documents on Azurite: the mailboxes of one document write it at once, from one host and
/// from two, and none loses another's line; the document is written compact, since every step of every mailbox rewrites
/// it whole; and a status downloads only the documents that changed since its host last read or wrote them.</summary>
public sealed class ProgressDocumentTests(InfrastructureAzuriteFixture azurite) : IClassFixture<InfrastructureAzuriteFixture>
{
    private static MailboxOutcome Outcome(int line, MailboxStatus status) =>
        new(line, $"user{line}", $"user{line}", status, null, null, new MailboxCounters(3, status == MailboxStatus.Done ? 3 : 1, 0, 1200, 400), TimeSpan.FromSeconds(line), []);

    [Fact]
    public async Task SaveProgressAsync_FortyLinesOfTwoDocumentsAtOnceFromTwoHosts_EveryLineKept_InCompactDocuments()
    {
        var blobs = new BlobServiceClient(azurite.Server.ConnectionString);
        // Two hosts: each its own storage, so its own writers; they meet only in the blobs.
        var hosts = new[] { new BatchStorage(blobs), new BatchStorage(blobs) };
        await hosts[0].EnsureContainersAsync(CancellationToken.None);
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        // Lines 231-270: twenty in the first document (1-250), twenty in the second, every other one from each host.
        var lines = Enumerable.Range(231, 40).ToList();

        await Task.WhenAll(lines.Select(line => Task.Run(() => hosts[line % 2].SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(line, MailboxStatus.Running)), CancellationToken.None))));
        await hosts[1].SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(250, MailboxStatus.Done)), CancellationToken.None);
        await hosts[0].SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(251, MailboxStatus.Done)), CancellationToken.None);

        var progress = await new BatchStorage(blobs).LoadProgressAsync(batchId, runId, CancellationToken.None);
        Assert.Equal(lines, progress.Keys.Order());
        Assert.Equal((MailboxStatus.Done, 3L), (progress[250].Status, progress[250].Counters.MessagesCopied));
        Assert.Equal((MailboxStatus.Done, MailboxStatus.Running), (progress[251].Status, progress[252].Status));
        Assert.Equal((MailboxStatus.Running, "user241"), (progress[241].Status, progress[241].SourceLogin));
        var first = (await blobs.GetBlobContainerClient(BatchStorage.BatchesContainer).GetBlobClient($"{batchId}/runs/{runId}/progress/00000.json").DownloadContentAsync()).Value.Content.ToString();
        Assert.DoesNotContain('\n', first);
    }

    [Fact]
    public async Task LoadProgressAsync_AfterOneDocumentChanged_AnotherHostDownloadsThatOneAlone_TheHostThatWroteItNone()
    {
        var writerReads = new DocumentReads();
        var writer = Storage(writerReads);
        await writer.EnsureContainersAsync(CancellationToken.None);
        var readerReads = new DocumentReads();
        var reader = Storage(readerReads);
        var batchId = Guid.NewGuid().ToString("N");
        var runId = $"{batchId}-r1";
        foreach (var line in new[] { 1, 2, 251, 501 })
        {
            await writer.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(line, MailboxStatus.Running)), CancellationToken.None);
        }

        Assert.Equal(4, (await reader.LoadProgressAsync(batchId, runId, CancellationToken.None)).Count);
        Assert.Equal(3, readerReads.Count);
        await writer.SaveProgressAsync(new OutcomeRecord(batchId, runId, Outcome(251, MailboxStatus.Done)), CancellationToken.None);

        var progress = await reader.LoadProgressAsync(batchId, runId, CancellationToken.None);
        var own = await writer.LoadProgressAsync(batchId, runId, CancellationToken.None);

        // The listing gives each document's ETag: documents 1 and 3 are known by theirs, and only document 2 is read
        // again; the host that wrote them knows every version it wrote and reads none.
        Assert.Equal(3 + 1, readerReads.Count);
        Assert.Equal(0, writerReads.Count);
        Assert.Equal((MailboxStatus.Done, MailboxStatus.Running, MailboxStatus.Running), (progress[251].Status, progress[1].Status, progress[501].Status));
        Assert.Equal((MailboxStatus.Done, MailboxStatus.Running), (own[251].Status, own[2].Status));
    }

    private BatchStorage Storage(DocumentReads reads)
    {
        var options = new BlobClientOptions();
        options.AddPolicy(reads, HttpPipelinePosition.PerRetry);
        return new BatchStorage(new BlobServiceClient(azurite.Server.ConnectionString, options));
    }

    /// <summary>Counts the reads of a progress document (GET of a blob under progress/; a listing is a GET of the container).</summary>
    private sealed class DocumentReads : HttpPipelineSynchronousPolicy
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.Contains("/progress/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref count);
            }
        }
    }
}
