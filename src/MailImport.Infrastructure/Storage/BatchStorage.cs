using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Provisioning;
using MailImport.Mail.Sync;

namespace MailImport.Infrastructure.Storage;

/// <summary>The blobs of every batch: the raw upload (until ingested), the batch record, the sanitised manifest,
/// each mailbox's cursor and encrypted passwords, the reports, and the audit trail of API calls.</summary>
/// <remarks>
/// Private containers: uploads hold raw credential files (with passwords) only until the first activity has
/// encrypted the passwords; each batch's own container holds its lines' sealed passwords
/// (<see cref="SealedPasswordsContainer"/>); batches hold everything else. None of it is readable without a key in
/// the secret store (the passwords are sealed with the batch's data key, <see cref="Secrets.BatchSecrets"/>).
/// </remarks>
public sealed class BatchStorage(BlobServiceClient blobs)
{
    /// <summary>The container for raw credential files.</summary>
    public const string UploadsContainer = "mailimport-uploads";

    /// <summary>The container for batch records, manifests, cursors and reports.</summary>
    public const string BatchesContainer = "mailimport-batches";

    private static readonly JsonSerializerOptions Json = BatchReportFormats.Json;

    // JSON Lines: one object a line (https://jsonlines.org/), so the report's indented JSON will not do. The progress
    // documents are written compact too: every mailbox step rewrites its document whole, and the indentation was a
    // third of each one's bytes.
    private static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    // The versions LoadRecentAsync read last, by blob name, and their JSON's bytes in all (at most RecentBytesLimit).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ETag ETag, object Value, long Bytes)> recent = new(StringComparer.Ordinal);
    private long recentBytes;
    private const long RecentBytesLimit = 32L * 1024 * 1024;

    // Each progress document's writer in this process (at most about ProgressWritersKept of them).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProgressDocumentWriter> progressWriters = new(StringComparer.Ordinal);
    private const int ProgressWritersKept = 64;

    // The audit part each batch is at, so a full part is tried once per process, not on every line.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> auditParts = new(StringComparer.Ordinal);

    private BlobContainerClient Uploads => blobs.GetBlobContainerClient(UploadsContainer);

    private BlobContainerClient Batches => blobs.GetBlobContainerClient(BatchesContainer);

    /// <summary>Creates the containers (private) if they are missing.</summary>
    public async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        await Uploads.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
        await Batches.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
    }

    /// <summary>Stores the raw credential upload of one run (a batch's first file, or a re-run's corrected one), under a
    /// name of its own, so no upload replaces another that was not read yet; <paramref name="isJson"/> says which
    /// grammar it follows.</summary>
    public Task UploadCredentialsAsync(string batchId, string runId, byte[] content, bool isJson, CancellationToken cancellationToken) =>
        Uploads.GetBlobClient(RawName(batchId, runId)).UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["format"] = isJson ? "json" : "text" },
        }, cancellationToken);

    /// <summary>A run's raw upload and whether it is JSON, or null when it had none or it has been ingested and deleted.</summary>
    public async Task<(byte[] Content, bool IsJson)?> ReadCredentialsAsync(string batchId, string runId, CancellationToken cancellationToken)
    {
        try
        {
            var download = await Uploads.GetBlobClient(RawName(batchId, runId)).DownloadContentAsync(cancellationToken);
            return (download.Value.Content.ToArray(), download.Value.Details.Metadata.TryGetValue("format", out var f) && f == "json");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes a run's raw upload once it is ingested.</summary>
    public Task DeleteCredentialsAsync(string batchId, string runId, CancellationToken cancellationToken) =>
        Uploads.DeleteBlobIfExistsAsync(RawName(batchId, runId), DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    /// <summary>Deletes every raw upload of the batch, of any run: after a close no blob holds a password.</summary>
    public async Task DeleteAllCredentialsAsync(string batchId, CancellationToken cancellationToken)
    {
        await foreach (var blob in Uploads.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{batchId}/", cancellationToken))
        {
            await Uploads.DeleteBlobIfExistsAsync(blob.Name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Whether any raw upload of the batch is still stored.</summary>
    public async Task<bool> HasCredentialsAsync(string batchId, CancellationToken cancellationToken)
    {
        await foreach (var _ in Uploads.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{batchId}/", cancellationToken))
        {
            return true;
        }

        return false;
    }

    /// <summary>Saves the batch record whole: for a new batch (and tests); a change to an existing one goes through
    /// <see cref="UpdateBatchAsync"/>.</summary>
    public Task SaveBatchAsync(BatchDefinition batch, CancellationToken cancellationToken) =>
        SaveAsync($"{batch.BatchId}/batch.json", batch, cancellationToken);

    /// <summary>Changes the batch record as one step: reads it with its ETag, applies <paramref name="change"/> and writes
    /// only if nobody wrote in between (<c>If-Match</c>, https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations);
    /// if someone did, reads again and applies the change to what they wrote. <paramref name="change"/> returns null
    /// to leave the record as it is. A closed batch stays closed whatever the change says.</summary>
    /// <returns>The record as stored after the call, and whether the change was written; null for an unknown batch.</returns>
    public async Task<(BatchDefinition Batch, bool Changed)?> UpdateBatchAsync(string batchId, Func<BatchDefinition, BatchDefinition?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var blob = Batches.GetBlobClient($"{batchId}/batch.json");
        while (true)
        {
            Response<BlobDownloadResult> download;
            try
            {
                download = await blob.DownloadContentAsync(cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }

            var current = JsonSerializer.Deserialize<BatchDefinition>(download.Value.Content.ToMemory().Span, Json)!;
            if (change(current) is not { } updated)
            {
                return (current, false);
            }

            updated = current.Closed ? updated with { Closed = true } : updated;
            try
            {
                await blob.UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(updated, Json)),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = download.Value.Details.ETag } }, cancellationToken);
                return (updated, true);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Another writer came first: apply the change to what it wrote.
            }
        }
    }

    /// <summary>The batch record, or null for an unknown batch.</summary>
    public Task<BatchDefinition?> LoadBatchAsync(string batchId, CancellationToken cancellationToken) =>
        LoadAsync<BatchDefinition>($"{batchId}/batch.json", cancellationToken);

    /// <summary>Saves the sanitised manifest.</summary>
    public Task SaveManifestAsync(string batchId, Manifest manifest, CancellationToken cancellationToken) =>
        SaveAsync($"{batchId}/manifest.json", manifest, cancellationToken);

    /// <summary>The manifest, or null before ingestion.</summary>
    public Task<Manifest?> LoadManifestAsync(string batchId, CancellationToken cancellationToken) =>
        LoadRecentAsync<Manifest>($"{batchId}/manifest.json", cancellationToken);

    /// <summary>Saves the report as report.json and report.csv.</summary>
    public async Task SaveReportAsync(BatchReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await Batches.GetBlobClient($"{report.BatchId}/report.json").UploadAsync(new BinaryData(BatchReportFormats.ToJson(report)), overwrite: true, cancellationToken);
        await Batches.GetBlobClient($"{report.BatchId}/report.csv").UploadAsync(new BinaryData(BatchReportFormats.ToCsv(report)), overwrite: true, cancellationToken);
    }

    /// <summary>The latest report, or null before the first run ended.</summary>
    public Task<BatchReport?> LoadReportAsync(string batchId, CancellationToken cancellationToken) =>
        LoadRecentAsync<BatchReport>($"{batchId}/report.json", cancellationToken);

    /// <summary>Saves the directory's mailboxes as a run read them.</summary>
    public Task SaveDirectorySnapshotAsync(string batchId, DirectorySnapshot snapshot, CancellationToken cancellationToken) =>
        SaveAsync(SnapshotName(batchId, snapshot.RunId), snapshot, cancellationToken);

    /// <summary>The directory's mailboxes as run <paramref name="runId"/> read them, or null before it did.</summary>
    public Task<DirectorySnapshot?> LoadDirectorySnapshotAsync(string batchId, string runId, CancellationToken cancellationToken) =>
        LoadAsync<DirectorySnapshot>(SnapshotName(batchId, runId), cancellationToken);

    /// <summary>Deletes a run's directory snapshot: it lists the whole organisation, so it lives only while the run does.</summary>
    public Task DeleteDirectorySnapshotAsync(string batchId, string runId, CancellationToken cancellationToken) =>
        Batches.DeleteBlobIfExistsAsync(SnapshotName(batchId, runId), DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    /// <summary>Saves one group of a run's plan: the mailboxes one group orchestration takes, kept here so that the
    /// orchestrations pass a group's number instead of its entries.</summary>
    public Task SavePlanGroupAsync(string batchId, string runId, int group, IReadOnlyList<ManifestEntry> entries, CancellationToken cancellationToken) =>
        SaveAsync(PlanGroupName(batchId, runId, group), entries, cancellationToken);

    /// <summary>One group of a run's plan.</summary>
    /// <exception cref="InvalidOperationException">The run's plan has no such group.</exception>
    public async Task<IReadOnlyList<ManifestEntry>> LoadPlanGroupAsync(string batchId, string runId, int group, CancellationToken cancellationToken) =>
        await LoadAsync<List<ManifestEntry>>(PlanGroupName(batchId, runId, group), cancellationToken)
        ?? throw new InvalidOperationException($"Run {runId} has no plan group {group}.");

    /// <summary>Saves what counting one group of a run's plan found at the source.</summary>
    public Task SaveGroupCountsAsync(GroupCounts counts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return SaveAsync(GroupCountsName(counts.BatchId, counts.RunId, counts.Group), counts.Counts, cancellationToken);
    }

    /// <summary>The counts of one group of a run's plan, or null before it was counted.</summary>
    public async Task<IReadOnlyList<LineCount>?> LoadGroupCountsAsync(string batchId, string runId, int group, CancellationToken cancellationToken) =>
        await LoadAsync<List<LineCount>>(GroupCountsName(batchId, runId, group), cancellationToken);

    /// <summary>How many groups a run's plan has stored (0 before its plan).</summary>
    public async Task<int> CountPlanGroupsAsync(string batchId, string runId, CancellationToken cancellationToken) =>
        await Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{batchId}/runs/{runId}/plan/", cancellationToken).CountAsync(cancellationToken);

    /// <summary>Saves a mailbox's outcome in a run (overwriting: a replayed orchestration records the same one again).</summary>
    public Task SaveOutcomeAsync(OutcomeRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return SaveAsync(OutcomeName(record.BatchId, record.RunId, record.Outcome.Line), record.Outcome, cancellationToken);
    }

    /// <summary>A mailbox's outcome in a run, or null before it ended.</summary>
    public Task<MailboxOutcome?> LoadOutcomeAsync(string batchId, string runId, int line, CancellationToken cancellationToken) =>
        LoadAsync<MailboxOutcome>(OutcomeName(batchId, runId, line), cancellationToken);

    /// <summary>How many lines one progress document of a run holds: lines 1-250 share the first, 251-500 the second, and
    /// so on, so a mailbox's step finds its document by its line alone and a status reads one blob per 250 lines.</summary>
    public const int LinesPerProgressDocument = 250;

    /// <summary>Puts one mailbox's live state (its orchestration's custom status, or its outcome) into the run's progress
    /// document for its line: the mailboxes of a document write it concurrently, from this host and others, and none
    /// loses another's line (<see cref="ProgressDocumentWriter"/>).</summary>
    public async Task SaveProgressAsync(OutcomeRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var name = ProgressName(record.BatchId, record.RunId, (record.Outcome.Line - 1) / LinesPerProgressDocument);
        var writer = progressWriters.GetOrAdd(name, n => new ProgressDocumentWriter(Batches.GetBlobClient(n), Json, CompactJson));
        // What this host wrote is what a status on this host reads next (LoadProgressAsync), without a download.
        await writer.WriteAsync(record.Outcome, (etag, lines, bytes) => Remember(name, etag, lines, bytes), cancellationToken);
        if (progressWriters.Count > ProgressWritersKept)
        {
            // Runs end and their documents fill: the writers with nothing to write go (a new one reads its document first).
            foreach (var idle in progressWriters.Values.Where(w => w.Idle).ToList())
            {
                progressWriters.TryRemove(new KeyValuePair<string, ProgressDocumentWriter>(idle.Name, idle));
            }
        }
    }

    /// <summary>Every line a run's progress documents hold: one listing, which carries each document's ETag, and a read
    /// (<see cref="ParallelRequests"/> at a time) of each document that changed since this process read or wrote it, so
    /// a status during a run of 5,000 lines reads the one or two documents its running mailboxes write, not all 20.</summary>
    public async Task<IReadOnlyDictionary<int, MailboxOutcome>> LoadProgressAsync(string batchId, string runId, CancellationToken cancellationToken)
    {
        var documents = new System.Collections.Concurrent.ConcurrentBag<SortedDictionary<int, MailboxOutcome>>();
        var listed = Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, ProgressPrefix(batchId, runId), cancellationToken);
        await Parallel.ForEachAsync(listed, new ParallelOptions { MaxDegreeOfParallelism = ParallelRequests, CancellationToken = cancellationToken }, async (blob, ct) =>
        {
            if (await LoadRecentAsync<SortedDictionary<int, MailboxOutcome>>(blob.Name, ct, blob.Properties.ETag) is { } document)
            {
                documents.Add(document);
            }
        });
        return documents.SelectMany(d => d).ToDictionary(l => l.Key, l => l.Value);
    }

    /// <summary>Every outcome a run has recorded, read <see cref="ParallelRequests"/> at a time.</summary>
    public async Task<IReadOnlyList<MailboxOutcome>> LoadOutcomesAsync(string batchId, string runId, CancellationToken cancellationToken)
    {
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<MailboxOutcome>();
        var names = Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, OutcomesPrefix(batchId, runId), cancellationToken).Select(b => b.Name);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ParallelRequests, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            if (await LoadAsync<MailboxOutcome>(name, ct) is { } outcome)
            {
                outcomes.Add(outcome);
            }
        });
        return [.. outcomes.OrderBy(o => o.Line)];
    }

    /// <summary>Deletes what runs other than <paramref name="keepRunId"/> left under {batch}/runs/ (their plans, outcomes
    /// and directory snapshots): a run's report holds all of it once written, and a run that never wrote one is over.</summary>
    /// <returns>The blobs deleted.</returns>
    public async Task<int> DeleteRunRecordsExceptAsync(string batchId, string keepRunId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var keep = $"{batchId}/runs/{keepRunId}/";
        var names = Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{batchId}/runs/", cancellationToken)
            .Select(b => b.Name).Where(n => !n.StartsWith(keep, StringComparison.Ordinal));
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ParallelRequests, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            if (await Batches.DeleteBlobIfExistsAsync(name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct))
            {
                Interlocked.Increment(ref deleted);
            }
        });
        return deleted;
    }

    /// <summary>Appends one line to the batch's audit trail ({batch}/audit.jsonl, an append blob: one block a line, so
    /// writers on several instances never overwrite each other). An append blob holds at most 50,000 blocks
    /// (https://learn.microsoft.com/rest/api/storageservices/append-block); a full one is followed by audit.2.jsonl,
    /// and so on. Nothing is written for a batch that does not exist, so an id that names none creates no blob.</summary>
    /// <returns>False when the batch does not exist.</returns>
    public async Task<bool> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!IsBatchId(entry.BatchId) || !await Batches.GetBlobClient($"{entry.BatchId}/batch.json").ExistsAsync(cancellationToken))
        {
            return false;
        }

        var line = JsonSerializer.SerializeToUtf8Bytes(entry, CompactJson).Append((byte)'\n').ToArray();
        for (var part = auditParts.GetValueOrDefault(entry.BatchId, 1); ; part++)
        {
            var blob = Batches.GetAppendBlobClient(AuditName(entry.BatchId, part));
            try
            {
                await AppendAsync(blob, line, cancellationToken);
                auditParts[entry.BatchId] = part;
                return true;
            }
            catch (RequestFailedException e) when (e.ErrorCode == "BlockCountExceedsLimit")
            {
                // Full: the next part (https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes).
            }
        }

        static async Task AppendAsync(AppendBlobClient blob, byte[] line, CancellationToken cancellationToken)
        {
            try
            {
                await blob.AppendBlockAsync(new MemoryStream(line), cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                await blob.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                await blob.AppendBlockAsync(new MemoryStream(line), cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>The batch's audit trail, oldest line first; empty for a batch without one.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(string batchId, CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>();
        for (var part = 1; ; part++)
        {
            BinaryData content;
            try
            {
                content = (await Batches.GetBlobClient(AuditName(batchId, part)).DownloadContentAsync(cancellationToken)).Value.Content;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return entries;
            }

            foreach (var line in content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                entries.Add(JsonSerializer.Deserialize<AuditEntry>(line, CompactJson)!);
            }
        }
    }

    /// <summary>The cursor store of one mailbox of a batch: its head <c>cursors/LINE.json</c>, its segments
    /// <c>cursors/LINE.N.seg</c> and its lock <c>cursors/LINE.lock</c>.</summary>
    public ICursorStore CursorStore(string batchId, int line) =>
        new BlobCursorStore(Batches, $"{batchId}/cursors/{line}");

    /// <summary>The sealed passwords of one line (<see cref="Secrets.BatchSecrets"/>) with the blob's ETag, or null when
    /// the line has none: from the batch's own container (<see cref="SealedPasswordsContainer"/>), or where batches
    /// created before it kept them (<c>{batch}/secrets/{line}</c> in the batches container).</summary>
    public async Task<LineSecretsVersion?> LoadLineSecretsAsync(string batchId, int line, CancellationToken cancellationToken) =>
        await DownloadIfAnyAsync(Sealed(batchId).GetBlobClient(LineSecretsBlob(line)), older: false, cancellationToken)
        ?? await DownloadIfAnyAsync(Batches.GetBlobClient(LineSecretsName(batchId, line)), older: true, cancellationToken);

    /// <summary>Writes the sealed passwords of one line; <paramref name="over"/> a version read, only over that version
    /// and where it was read, returning false when it has changed or gone since. Otherwise into the batch's own
    /// container, made on its first write.</summary>
    public async Task<bool> SaveLineSecretsAsync(string batchId, int line, BinaryData content, LineSecretsVersion? over, CancellationToken cancellationToken)
    {
        var blob = Sealed(batchId).GetBlobClient(LineSecretsBlob(line));
        if (over is { } read)
        {
            try
            {
                await (read.Older ? Batches.GetBlobClient(LineSecretsName(batchId, line)) : blob)
                    .UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = read.ETag } }, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                return false;
            }
        }

        try
        {
            await blob.UploadAsync(content, overwrite: true, cancellationToken);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // Made on the batch's first write. One that Azure is still deleting (a close) answers 409
            // ContainerBeingDeleted here, and the write fails: the batch is closed, and its secrets are to go.
            await Sealed(batchId).CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
            await blob.UploadAsync(content, overwrite: true, cancellationToken);
        }

        // A batch from before its container may hold this line where it kept them: that copy, with the passwords this
        // write replaces, goes (for any other batch there is nothing to delete, and nothing in Azurite's index moves).
        await Batches.DeleteBlobIfExistsAsync(LineSecretsName(batchId, line), DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        return true;
    }

    private static async Task<LineSecretsVersion?> DownloadIfAnyAsync(BlobClient blob, bool older, CancellationToken cancellationToken)
    {
        try
        {
            var download = await blob.DownloadContentAsync(cancellationToken);
            return new LineSecretsVersion(download.Value.Content, download.Value.Details.ETag, older);
        }
        catch (RequestFailedException e) when (e.Status == 404 || e.ErrorCode == BlobErrorCode.ContainerBeingDeleted)
        {
            return null;
        }
    }

    /// <summary>A small record that outlives batches (an Idempotency-Key's, a destination mailbox's hold) with its
    /// ETag, or null when there is none. <paramref name="name"/> comes from <see cref="IdempotencyRecordName"/> or
    /// <see cref="DestinationHoldRecordName"/>.</summary>
    public async Task<(BinaryData Content, ETag ETag)?> LoadRecordAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var download = await Batches.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return (download.Value.Content, download.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Writes a record: without <paramref name="ifMatch"/> only when there is none yet (<c>If-None-Match: *</c>,
    /// so of two concurrent writers exactly one wins), with it only over that version
    /// (https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations).</summary>
    /// <returns>False when the condition failed: another writer came first.</returns>
    public async Task<bool> SaveRecordAsync(string name, BinaryData content, ETag? ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            await Batches.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions
            {
                Conditions = ifMatch is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return false;
        }
    }

    /// <summary>Deletes a record, if it is still the version read; true when this call deleted it.</summary>
    public async Task<bool> DeleteRecordAsync(string name, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            return await Batches.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.None,
                new BlobRequestConditions { IfMatch = ifMatch }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Someone else's version now: theirs to keep.
            return false;
        }
    }

    /// <summary>The names of the records under <paramref name="prefix"/>, such as <see cref="GeneratedPasswordsPrefix"/>.</summary>
    public IAsyncEnumerable<string> ListRecordNamesAsync(string prefix, CancellationToken cancellationToken) =>
        Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).Select(b => b.Name);

    /// <summary>Where a batch's generated destination passwords are (<see cref="Secrets.BatchSecrets"/>): beside where
    /// batches from before their own container kept their sealed passwords; a close deletes them a page at a time.</summary>
    public static string GeneratedPasswordsPrefix(string batchId) => $"{LineSecretsPrefix(batchId)}generated/";

    /// <summary>The generated password of one line: <paramref name="handedOut"/> false while the mailbox it was made for
    /// is being created, true once the mailbox has it and the admin may download it.</summary>
    public static string GeneratedPasswordName(string batchId, int line, bool handedOut) =>
        FormattableString.Invariant($"{GeneratedPasswordsPrefix(batchId)}{line}.{(handedOut ? "ready" : "pending")}");

    /// <summary>The lines whose generated password waits to be downloaded, in one record (line numbers, no secret) beside
    /// the passwords, so a close deletes it with them.</summary>
    public static string GeneratedPasswordsWaitingName(string batchId) => $"{GeneratedPasswordsPrefix(batchId)}waiting.json";

    /// <summary>When the batch's generated passwords were last downloaded: no secret, so it is not under the sealed ones.</summary>
    public static string GeneratedPasswordsFetchedName(string batchId) => $"{batchId}/generated-passwords-fetched.json";

    /// <summary>Where the records of Idempotency-Keys are.</summary>
    public const string IdempotencyRecords = "idempotency/";

    /// <summary>Where the holds on destination mailboxes are.</summary>
    public const string DestinationHoldRecords = "destination-holds/";

    /// <summary>Where what each source account downloaded lately is (SourceBudgets).</summary>
    public const string SourceBudgetRecords = "source-budgets/";

    /// <summary>The record an Idempotency-Key names, by <paramref name="keyName"/>, a hash of caller and key.</summary>
    public static string IdempotencyRecordName(string keyName) => $"{IdempotencyRecords}{keyName}.json";

    /// <summary>The hold on a destination mailbox, by <paramref name="mailboxName"/>, a hash of server and login.</summary>
    public static string DestinationHoldRecordName(string mailboxName) => $"{DestinationHoldRecords}{mailboxName}.json";

    /// <summary>A source account's download record, by <paramref name="accountName"/>, a hash of host and login.</summary>
    public static string SourceBudgetRecordName(string accountName) => $"{SourceBudgetRecords}{accountName}.json";

    /// <summary>Deletes the records under <paramref name="records"/> (<see cref="IdempotencyRecords"/>,
    /// <see cref="DestinationHoldRecords"/>) last written before <paramref name="before"/>; one written since it was
    /// listed stays (If-Match). Returns how many went.</summary>
    public async Task<int> DeleteRecordsWrittenBeforeAsync(string records, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var blob in Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, records, cancellationToken))
        {
            if (blob.Properties.LastModified is { } written && written < before && blob.Properties.ETag is { } etag)
            {
                await DeleteRecordAsync(blob.Name, etag, cancellationToken);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Deletes the sealed passwords of the lines of a batch one blob at a time, wherever they are, leaving the
    /// batch's container: all of them, or the first <paramref name="atMost"/> still there; returns how many blobs. Also
    /// what else a batch keeps under <c>{batch}/secrets/</c> (<see cref="GeneratedPasswordsPrefix"/>).</summary>
    /// <remarks>For a batch that goes on with a new key; a closed batch's container goes whole
    /// (<see cref="DeleteSealedPasswordsContainerAsync"/>).</remarks>
    public async Task<int> DeleteLineSecretsAsync(string batchId, CancellationToken cancellationToken, int atMost = int.MaxValue)
    {
        var deleted = 0;
        var sealedNames = Sealed(batchId).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, cancellationToken)
            .Select(b => (Container: Sealed(batchId), b.Name));
        var olderNames = Batches.GetBlobsAsync(BlobTraits.None, BlobStates.None, LineSecretsPrefix(batchId), cancellationToken)
            .Select(b => (Container: Batches, b.Name));
        var names = ListedOrNone(sealedNames, cancellationToken).Concat(olderNames).Take(atMost);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ParallelRequests, CancellationToken = cancellationToken }, async (blob, ct) =>
        {
            if (await blob.Container.DeleteBlobIfExistsAsync(blob.Name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct))
            {
                Interlocked.Increment(ref deleted);
            }
        });
        return deleted;
    }

    /// <summary>Deletes the batch's container of sealed passwords with every blob in it, in one request: true when it
    /// was there. Blob storage removes the container's blobs itself (Learn, "Delete Container",
    /// https://learn.microsoft.com/rest/api/storageservices/delete-container), so closing a batch of 20,000 lines asks
    /// for one delete, not 20,000; the same name cannot be made again for a while after.</summary>
    public async Task<bool> DeleteSealedPasswordsContainerAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            return await Sealed(batchId).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerBeingDeleted)
        {
            // Deleted already, by an earlier page or close: Azure keeps the name a while as it removes the blobs.
            return false;
        }
    }

    /// <summary>The batch's container of sealed passwords, one blob a line: its own, so a close deletes them at once.</summary>
    public static string SealedPasswordsContainer(string batchId) =>
        IsBatchId(batchId) ? $"{SealedPasswordsContainerPrefix}{batchId}" : throw new ArgumentException("Not a batch id.", nameof(batchId));

    /// <summary>What every batch's container of sealed passwords is named from (63 characters at most in all,
    /// https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).</summary>
    public const string SealedPasswordsContainerPrefix = "mailimport-sealed-";

    private BlobContainerClient Sealed(string batchId) => blobs.GetBlobContainerClient(SealedPasswordsContainer(batchId));

    private static async IAsyncEnumerable<T> ListedOrNone<T>(IAsyncEnumerable<T> listing, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var items = listing.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404 || e.ErrorCode == BlobErrorCode.ContainerBeingDeleted)
            {
                yield break;
            }

            yield return items.Current;
        }
    }

    /// <summary>Every batch id in storage (a batch is a folder of the batches container).</summary>
    public async IAsyncEnumerable<string> ListBatchIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in Batches.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", null, cancellationToken))
        {
            if (item.IsPrefix && IsBatchId(item.Prefix.TrimEnd('/')))
            {
                yield return item.Prefix.TrimEnd('/');
            }
        }
    }

    /// <summary>Whether a batch id has the shape of ours (so a path trick never reaches storage).</summary>
    public static bool IsBatchId(string? value) =>
        value is { Length: 32 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>Requests to storage one batch-wide step keeps going at once: Blob storage serves far more
    /// (https://learn.microsoft.com/azure/storage/blobs/scalability-targets), a Function instance's connections do not.</summary>
    public const int ParallelRequests = 16;

    private static string RawName(string batchId, string runId) => $"{batchId}/{runId}/credentials";

    private static string AuditName(string batchId, int part) => part == 1 ? $"{batchId}/audit.jsonl" : $"{batchId}/audit.{part}.jsonl";

    private static string LineSecretsPrefix(string batchId) => $"{batchId}/secrets/";

    private static string LineSecretsName(string batchId, int line) => $"{LineSecretsPrefix(batchId)}{line}";

    private static string LineSecretsBlob(int line) => line.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string SnapshotName(string batchId, string runId) => $"{batchId}/runs/{runId}/directory.json";

    private static string PlanGroupName(string batchId, string runId, int group) =>
        FormattableString.Invariant($"{batchId}/runs/{runId}/plan/{group:D5}.json");

    private static string GroupCountsName(string batchId, string runId, int group) =>
        FormattableString.Invariant($"{batchId}/runs/{runId}/counts/{group:D5}.json");

    private static string OutcomesPrefix(string batchId, string runId) => $"{batchId}/runs/{runId}/outcomes/";

    private static string ProgressPrefix(string batchId, string runId) => $"{batchId}/runs/{runId}/progress/";

    private static string ProgressName(string batchId, string runId, int document) =>
        FormattableString.Invariant($"{ProgressPrefix(batchId, runId)}{document:D5}.json");

    private static string OutcomeName(string batchId, string runId, int line) =>
        FormattableString.Invariant($"{OutcomesPrefix(batchId, runId)}{line:D6}.json");

    private Task SaveAsync<T>(string name, T value, CancellationToken cancellationToken) =>
        Batches.GetBlobClient(name).UploadAsync(new BinaryData(JsonSerializer.SerializeToUtf8Bytes(value, Json)), overwrite: true, cancellationToken);

    private async Task<T?> LoadAsync<T>(string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var download = await Batches.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return JsonSerializer.Deserialize<T>(download.Value.Content.ToMemory().Span, Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The blob as JSON, asked for only if it changed since the version this process read last
    /// (<c>If-None-Match</c> with that version's ETag,
    /// https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations):
    /// an unchanged manifest, report or progress document then costs a round trip without its bytes or its parse.
    /// Every caller gets the one object of a version, so <typeparamref name="T"/> must be immutable (records with
    /// read-only lists, or a dictionary nobody changes).</summary>
    /// <param name="name">The blob.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <param name="listed">The blob's ETag as a listing just gave it: the version known by that ETag is returned without
    /// a request.</param>
    private async Task<T?> LoadRecentAsync<T>(string name, CancellationToken cancellationToken, ETag? listed = null)
        where T : class
    {
        var known = recent.TryGetValue(name, out var entry) && entry.Value is T ? entry : ((ETag ETag, object Value, long Bytes)?)null;
        // A listing gives the ETag bare and a response header quoted (as RFC 9110 writes it): compared without the quotes.
        if (known is { } current && listed is { } listedETag && listedETag.ToString().Trim('"') == current.ETag.ToString().Trim('"'))
        {
            return (T)current.Value;
        }

        try
        {
            var download = await Batches.GetBlobClient(name).DownloadContentAsync(
                new BlobDownloadOptions { Conditions = known is { } version ? new BlobRequestConditions { IfNoneMatch = version.ETag } : null }, cancellationToken);
            if (download.GetRawResponse().Status == 304 && known is { } same)
            {
                return (T)same.Value;
            }

            var content = download.Value.Content.ToMemory();
            var value = JsonSerializer.Deserialize<T>(content.Span, Json);
            Remember(name, download.Value.Details.ETag, value, content.Length);
            return value;
        }
        catch (RequestFailedException e) when (e.Status == 304 && known is { } same)
        {
            return (T)same.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            Forget(name);
            return null;
        }
    }

    private void Remember(string name, ETag etag, object? value, long bytes)
    {
        Forget(name);
        if (value is null || bytes > RecentBytesLimit / 4)
        {
            return;
        }

        if (Interlocked.Add(ref recentBytes, bytes) > RecentBytesLimit)
        {
            // Bounded by the JSON's bytes, and simply: a full memory starts again empty.
            recent.Clear();
            Interlocked.Exchange(ref recentBytes, bytes);
        }

        recent[name] = (etag, value, bytes);
    }

    private void Forget(string name)
    {
        if (recent.TryRemove(name, out var old))
        {
            Interlocked.Add(ref recentBytes, -old.Bytes);
        }
    }

    /// <summary>A cursor in blobs (<see cref="SegmentedCursorStore"/>): an upload replaces a blob whole, so a crash leaves
    /// the old head or the new one, and each names segments that are all there.</summary>
    private sealed class BlobCursorStore(BlobContainerClient container, string name) : SegmentedCursorStore
    {
        // The shortest lease: after a crash the mailbox is free again within 15 s.
        private static readonly TimeSpan LockDuration = TimeSpan.FromSeconds(15);

        private BlobClient Head => container.GetBlobClient(name + ".json");

        private BlobClient Segment(long number) => container.GetBlobClient(FormattableString.Invariant($"{name}.{number}.seg"));

        protected override async Task<byte[]?> ReadHeadAsync(CancellationToken cancellationToken)
        {
            try
            {
                return (await Head.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
        }

        protected override Task WriteHeadAsync(byte[] head, CancellationToken cancellationToken) =>
            Head.UploadAsync(new BinaryData(head), overwrite: true, cancellationToken);

        protected override async Task<byte[]> ReadSegmentAsync(long number, CancellationToken cancellationToken) =>
            (await Segment(number).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();

        protected override Task WriteSegmentAsync(long number, byte[] content, CancellationToken cancellationToken) =>
            Segment(number).UploadAsync(new BinaryData(content), overwrite: true, cancellationToken);

        protected override async Task DeleteSegmentAsync(long number, CancellationToken cancellationToken)
        {
            try
            {
                await Segment(number).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }
            catch (RequestFailedException)
            {
                // Left behind: it only takes room, no head names it.
            }
        }

        // The hold is a lease on a blob of its own, so cursor writes need no lease id.
        public override async Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken)
        {
            var lockBlob = container.GetBlobClient(name + ".lock");
            try
            {
                await lockBlob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // There already, perhaps leased: the lease decides.
            }

            var lease = lockBlob.GetBlobLeaseClient();
            try
            {
                await lease.AcquireAsync(LockDuration, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                return null;
            }

            return new RenewedLease(lease, LockDuration);
        }
    }
}

/// <summary>A version of one line's sealed passwords as read (<see cref="BatchStorage.LoadLineSecretsAsync"/>), to write
/// over (<see cref="BatchStorage.SaveLineSecretsAsync"/>).</summary>
/// <param name="Content">The blob's content.</param>
/// <param name="ETag">Its version.</param>
/// <param name="Older">Read where batches created before their own container kept them.</param>
public readonly record struct LineSecretsVersion(BinaryData Content, ETag ETag, bool Older);
