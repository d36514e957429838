using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Telemetry;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Activities;

/// <summary>The input of credential ingestion: the run whose upload (the batch's first file, or a re-run's corrected
/// one) is read; a run without one goes on with the manifest as it is.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="RunId">The run.</param>
public sealed record IngestInput(string BatchId, string RunId);

/// <summary>The first activity of a batch: parses the raw upload, seals every password with the batch's data key
/// (<see cref="BatchSecrets"/>), writes the sanitised manifest, and deletes the raw file.</summary>
/// <remarks>
/// <para>Each step can be repeated after a crash: sealed passwords are overwritten with the same values under the same
/// key, the manifest is written before the raw file goes, and once the raw file is gone the manifest is the answer.</para>
/// <para>A close can come while it runs (activities are not cancelled). Close marks the batch closed before it deletes
/// the key and the sealed passwords; ingestion looks at the mark after every few hundred lines it writes and, once it
/// sees it, deletes the upload and every secret of the batch itself. A blob written after close listed the blobs was
/// written before ingestion's next look, which then sees the mark: either way no secret is left.</para>
/// </remarks>
public sealed class CredentialIngestion(BatchStorage storage, BatchSecrets secrets, ILogger<CredentialIngestion> logger)
{
    /// <summary>Lines whose passwords are written (in parallel) between two looks at whether the batch was closed.</summary>
    public const int LinesBetweenLooks = 200;

    /// <summary>Ingests one batch's upload.</summary>
    public async Task<IngestResult> RunAsync(IngestInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = logger.BeginBatchScope(input.BatchId);
        var result = await IngestAsync(input.BatchId, input.RunId, cancellationToken);
        if (result.FileProblem is { } problem)
        {
            logger.StepFailed(WorkflowNames.IngestCredentials, problem.Code);
        }
        else
        {
            logger.CredentialsIngested(result.Entries, result.Invalid);
        }

        return result;
    }

    private async Task<IngestResult> IngestAsync(string batchId, string runId, CancellationToken cancellationToken)
    {
        if (await ClosedAsync(batchId, cancellationToken) is { } closedBefore)
        {
            return closedBefore;
        }

        var raw = await storage.ReadCredentialsAsync(batchId, runId, cancellationToken);
        if (raw is null)
        {
            var done = await storage.LoadManifestAsync(batchId, cancellationToken);
            return done is null
                ? new IngestResult(0, 0, MailFailure.Permanent(ErrorCode.InternalError, "The credential upload of this batch is missing."))
                : new IngestResult(done.Entries.Count, done.Invalid.Count);
        }

        // A batch reached with tokens reads its lines without a source password, its corrected files too.
        var authentication = (await storage.LoadBatchAsync(batchId, cancellationToken))?.Authentication.Type ?? Core.Sources.SourceAuthenticationType.Password;
        var parsed = Parse(raw.Value, authentication);
        if (parsed.FileProblem is { } fileProblem)
        {
            await storage.SaveManifestAsync(batchId, await storage.LoadManifestAsync(batchId, cancellationToken) ?? new Manifest([], []), cancellationToken);
            await storage.DeleteCredentialsAsync(batchId, runId, cancellationToken);
            return new IngestResult(0, 0, MailFailure.Permanent(fileProblem.Code, fileProblem.Message));
        }

        // A first upload keeps its line numbers; a corrected file for a re-run is folded into the manifest.
        var (manifest, entries) = ManifestMerge.Merge(await storage.LoadManifestAsync(batchId, cancellationToken), parsed);
        foreach (var chunk in entries.Chunk(LinesBetweenLooks))
        {
            await secrets.WriteAsync(batchId, chunk, cancellationToken);

            if (await ClosedAsync(batchId, cancellationToken) is { } closed)
            {
                return closed;
            }
        }

        await storage.SaveManifestAsync(batchId, manifest, cancellationToken);
        await storage.DeleteCredentialsAsync(batchId, runId, cancellationToken);
        return new IngestResult(manifest.Entries.Count, manifest.Invalid.Count);
    }

    /// <summary>An upload as stored, parsed by its kind (JSON entries or a credential file) in the grammar of the batch's
    /// source authentication.</summary>
    public static CredentialParseResult Parse((byte[] Content, bool IsJson) raw, Core.Sources.SourceAuthenticationType authentication) =>
        raw.IsJson ? CredentialJson.Parse(raw.Content, authentication) : CredentialFile.Parse(raw.Content, authentication);

    /// <summary>When the batch has been closed: deletes the upload and every secret of the batch, and says so.</summary>
    private async Task<IngestResult?> ClosedAsync(string batchId, CancellationToken cancellationToken)
    {
        if (await storage.LoadBatchAsync(batchId, cancellationToken) is not { Closed: true })
        {
            return null;
        }

        await storage.DeleteAllCredentialsAsync(batchId, cancellationToken);
        await secrets.DeleteAllAsync(batchId, cancellationToken);
        return new IngestResult(0, 0, MailFailure.Permanent(ErrorCode.BatchClosed, "The batch was closed while its credential file was read; its passwords were deleted."));
    }
}
