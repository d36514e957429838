using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>The handlers that only read: a batch's status with every mailbox's progress, and its report.</summary>
public sealed partial class ImportApi
{
    /// <summary>The status's JSON: the API's, without indentation, which at 5,000 lines was a third of the answer's bytes
    /// (5.0 MB indented, 3.4 MB without).</summary>
    private static readonly JsonSerializerOptions StatusJson = new(Json) { WriteIndented = false };

    /// <summary>GET /api/imports/{id}: the batch, its lines' counts per state, and the mailboxes' progress, filtered
    /// by state and paged (<see cref="StatusQuery"/>).</summary>
    private async Task<IResult> GetStatusAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return ApiAnswers.NotFound();
        }

        var (query, refusal) = StatusQuery.Read(request);
        return refusal ?? Results.Json(await StatusOfAsync(batch, query!, cancellationToken), StatusJson);
    }

    /// <summary>GET /api/imports/{id}/report: JSON, or CSV by Accept: text/csv or ?format=csv.</summary>
    private async Task<IResult> GetReportAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!BatchStorage.IsBatchId(id))
        {
            return ApiAnswers.NotFound();
        }

        if (await storage.LoadReportAsync(id, cancellationToken) is not { } report)
        {
            return await LoadAsync(id, cancellationToken) is null
                ? ApiAnswers.NotFound()
                : Results.Json(new ApiError("The report is written when the first run ends; follow the status until then."), Json, statusCode: StatusCodes.Status404NotFound);
        }

        return ImportRequests.WantsCsv(request)
            ? Results.File(BatchReportFormats.ToCsv(report), "text/csv; charset=utf-8", $"mailimport-{id}.csv")
            : Results.Bytes(BatchReportFormats.ToJson(report), "application/json; charset=utf-8");
    }

    /// <summary>The last report's lines; while a run goes on, each of its mailboxes' live progress over them.</summary>
    /// <remarks>The reads a status needs do not depend on one another, so they go out at once and a status costs about
    /// its slowest read, not their sum: each is a round trip to storage that queues behind the run's own traffic
    /// (measured with 500 mailboxes running on 2 busy cores: the engine lookup, the report, the manifest, the progress
    /// documents and the generated passwords' count took 13, 13, 22, 51 and 14 ms at the median, one after another).
    /// A run whose report is written (<see cref="BatchRunRecord.EndedAt"/>) has ended: its lines are the report's,
    /// so neither its manifest nor its progress documents are read.</remarks>
    private async Task<BatchStatus> StatusOfAsync(BatchDefinition batch, StatusQuery query, CancellationToken cancellationToken)
    {
        var run = batch.Runs[^1];
        var ended = run.EndedAt is not null;
        var stateRead = engine.GetStateAsync(run.RunId, cancellationToken);
        var reportRead = storage.LoadReportAsync(batch.BatchId, cancellationToken);
        var manifestRead = ended ? Task.FromResult<Manifest?>(null) : storage.LoadManifestAsync(batch.BatchId, cancellationToken);
        var progressRead = ended
            ? Task.FromResult<IReadOnlyDictionary<int, MailboxOutcome>>(new Dictionary<int, MailboxOutcome>())
            : storage.LoadProgressAsync(batch.BatchId, run.RunId, cancellationToken);
        var generatedRead = batch.Closed ? Task.FromResult(0) : secrets.CountGeneratedAsync(batch.BatchId, cancellationToken);
        await Task.WhenAll(stateRead, reportRead, manifestRead, progressRead, generatedRead);
        var state = await stateRead;
        var report = await reportRead;
        var manifest = await manifestRead;
        var lines = new SortedDictionary<int, MailboxReport>();
        foreach (var line in report?.Mailboxes ?? [])
        {
            lines[line.LineNumber] = line;
        }

        // The run's totals as its count found them (the batch orchestration's status, its output once it ended). An
        // orchestration that has not set its status yet has none, or, in DurableTask.AzureStorage once it runs, the JSON
        // null: either reads as null here.
        var counted = (state?.Status == WorkflowRuntimeStatus.Completed ? state.Output : state?.CustomStatus) is { } progressJson
            ? JsonSerializer.Deserialize<BatchProgress>(progressJson, Json)
            : null;
        if (BatchRuns.IsGoing(state) && counted is null)
        {
            // Until the run sets its progress, its first activity may still be turning the upload into the manifest
            // (at 20,000 lines that took over 30 s): the upload, parsed as that activity parses it, gives every line of
            // the file from the first poll on; once read, the upload is gone and the manifest holds them.
            manifest = await ManifestToBeAsync(batch, run.RunId, manifest, cancellationToken);
        }

        if (BatchRuns.IsGoing(state))
        {
            // The run's own invalid lines are known from its manifest on: shown from then on, not only in the report.
            foreach (var invalid in manifest?.Invalid ?? [])
            {
                lines[invalid.LineNumber] = invalid;
            }

            AddLiveProgress(lines, await progressRead, manifest?.Entries ?? []);
        }

        var mailboxes = lines.Values.ToList();
        var totals = new BatchReport(batch.BatchId, batch.Domain, false, batch.CreatedAt, null, mailboxes).Totals;
        var summaries = (report?.Runs ?? []).Where(r => r.RunId != run.RunId || !BatchRuns.IsGoing(state)).ToList();
        if (BatchRuns.IsGoing(state))
        {
            summaries.Add(RunSummary.Of(run.RunId, run.Mode, run.StartedAt, time.GetUtcNow(), mailboxes));
        }

        var progress = counted?.Plan is { } plan
            ? RunProgress.Of(plan, summaries.LastOrDefault(r => r.RunId == run.RunId), counted.Finished, !BatchRuns.IsGoing(state))
            : null;

        var generated = await generatedRead;
        var (counts, page, shown) = query.Apply(mailboxes);
        return new BatchStatus(batch.BatchId, batch.Domain, batch.Closed, batch.Runs, (state?.Status ?? WorkflowRuntimeStatus.Pending).ToString(), shown, totals)
        {
            Counts = counts,
            Page = page,
            Schedule = batch.Options.Schedule,
            SourceAuthentication = batch.Authentication.Type,
            RunSummaries = summaries,
            Progress = progress,
            ClosesAt = BatchRetention.ClosesAt(batch, workflow.Value.BatchIdleClose),
            ClosedAt = batch.ClosedAt,
            ClosedFor = batch.ClosedFor,
            SecretsDeletedAt = batch.SecretsDeletedAt,
            GeneratedPasswords = generated > 0 ? generated : null,
        };
    }

    /// <summary>The manifest as the run's upload will leave it once ingested (a first file, or a re-run's corrected
    /// one folded in); the manifest as it is when the run has no upload or its upload is already ingested.</summary>
    private async Task<Manifest?> ManifestToBeAsync(BatchDefinition batch, string runId, Manifest? manifest, CancellationToken cancellationToken)
    {
        if (await storage.ReadCredentialsAsync(batch.BatchId, runId, cancellationToken) is not { } raw)
        {
            return manifest;
        }

        var parsed = CredentialIngestion.Parse(raw, batch.Authentication.Type);
        return parsed.FileProblem is null ? ManifestMerge.Merge(manifest, parsed).Manifest : manifest;
    }

    /// <summary>While the run goes on, each mailbox's live progress is what its own steps last put into the run's
    /// progress documents (running with its counters, paused, waiting, its outcome once it ended): a read per 250
    /// lines, no engine lookup per line. A mailbox not there yet keeps its last report line, or is pending.</summary>
    private static void AddLiveProgress(SortedDictionary<int, MailboxReport> lines, IReadOnlyDictionary<int, MailboxOutcome> progress, IReadOnlyList<ManifestEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (progress.TryGetValue(entry.Line, out var outcome))
            {
                lines[entry.Line] = StatusLines.ReportOf(outcome);
            }
            else if (!lines.ContainsKey(entry.Line))
            {
                lines[entry.Line] = StatusLines.PendingOf(entry);
            }
        }
    }
}
