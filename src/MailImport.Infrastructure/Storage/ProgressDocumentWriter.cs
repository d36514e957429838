using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MailImport.Core.Batches;

namespace MailImport.Infrastructure.Storage;

/// <summary>This process's writes of one progress document of a run (<see cref="BatchStorage.SaveProgressAsync"/>): one
/// write at a time, and the lines that arrive while a write is out go together in the next one.</summary>
/// <remarks>
/// <para>The mailboxes of a document write it concurrently, each step its own line. Read-modify-write per line cost a
/// read and a write per step, and as many retries as writers crossed (measured on Azurite with 8 mailboxes in flight:
/// 463 reads and 443 writes for 300 steps). Here the writer keeps the version it wrote last and writes the next one over
/// it under <c>If-Match</c> with that version's ETag, without reading it again; lines that queue meanwhile share one
/// write (a group commit).</para>
/// <para>Another host's write makes the <c>If-Match</c> fail (412): the writer reads what is there, puts its lines into
/// it and writes again, so no host loses another's line
/// (https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations). A
/// document that is not there yet is created under <c>If-None-Match: *</c>, so two first writers cannot both create it.</para>
/// </remarks>
internal sealed class ProgressDocumentWriter(BlobClient blob, JsonSerializerOptions readOptions, JsonSerializerOptions writeOptions)
{
    private readonly Lock gate = new();
    private Dictionary<int, MailboxOutcome> pending = [];
    private TaskCompletionSource? next;
    private bool writing;

    // The version this writer wrote or read last; null when it must read the document first. A new writer takes the
    // document for one not there yet, as a run's first step of its lines finds it: a document that is there fails the
    // create (409), and is read then.
    private (ETag ETag, SortedDictionary<int, MailboxOutcome> Lines)? last = (default, []);

    /// <summary>True when no write is out or waiting: the writer can be dropped, and a new one reads the document anew.</summary>
    public bool Idle
    {
        get
        {
            lock (gate)
            {
                return !writing && next is null;
            }
        }
    }

    /// <summary>The document's name.</summary>
    public string Name => blob.Name;

    /// <summary>Puts <paramref name="outcome"/> into the document; returns once a write that holds it has succeeded.</summary>
    /// <param name="outcome">The mailbox's line.</param>
    /// <param name="written">Told each version written: its ETag, its lines (never changed afterwards) and its bytes.</param>
    /// <param name="cancellationToken">Cancels the wait; a write once begun goes on for the other lines it carries.</param>
    public async Task WriteAsync(MailboxOutcome outcome, Action<ETag, SortedDictionary<int, MailboxOutcome>, long> written, CancellationToken cancellationToken)
    {
        TaskCompletionSource ours;
        bool leads;
        lock (gate)
        {
            pending[outcome.Line] = outcome;
            ours = next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            leads = !writing;
            writing = true;
        }

        if (leads)
        {
            // The step that finds no write out writes, and goes on writing what queued meanwhile until nothing waits.
            while (true)
            {
                Dictionary<int, MailboxOutcome> lines;
                TaskCompletionSource batch;
                lock (gate)
                {
                    if (next is null)
                    {
                        writing = false;
                        break;
                    }

                    (lines, batch) = (pending, next);
                    (pending, next) = ([], null);
                }

                try
                {
                    // Not the step's token: the write carries other steps' lines too.
                    await FlushAsync(lines, written, CancellationToken.None);
                    batch.SetResult();
                }
                catch (Exception e)
                {
                    // Every step whose line this write carried fails with it, and its activity is retried.
                    batch.SetException(e);
                }
            }
        }

        await ours.Task.WaitAsync(cancellationToken);
    }

    private async Task FlushAsync(Dictionary<int, MailboxOutcome> lines, Action<ETag, SortedDictionary<int, MailboxOutcome>, long> written, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (etag, current) = last ?? await ReadAsync(cancellationToken);
            var merged = new SortedDictionary<int, MailboxOutcome>(current);
            foreach (var (line, outcome) in lines)
            {
                merged[line] = outcome;
            }

            var content = JsonSerializer.SerializeToUtf8Bytes(merged, writeOptions);
            var conditions = etag == default ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = etag };
            try
            {
                var info = await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                last = (info.Value.ETag, merged);
                written(info.Value.ETag, merged, content.Length);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                // Another host wrote it since (or made it first, or it is gone): read what is there and write over that.
                last = null;
            }
        }
    }

    private async Task<(ETag ETag, SortedDictionary<int, MailboxOutcome> Lines)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var download = await blob.DownloadContentAsync(cancellationToken);
            return (download.Value.Details.ETag, JsonSerializer.Deserialize<SortedDictionary<int, MailboxOutcome>>(download.Value.Content.ToMemory().Span, readOptions)!);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (default, []);
        }
    }
}
