using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Model;
using MailImport.Workflow.Orchestrations;
using MailImport.Workflow.Settings;
using MailImport.Workflow.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>The HTTP API's handlers, shared by the Functions app and the local host: validate, hand off, answer.</summary>
/// <remarks>
/// POST /api/imports (multipart: file + settings JSON; or JSON with entries), GET /api/imports/{id},
/// GET /api/imports/{id}/report (JSON, or CSV by Accept or ?format=csv), POST /api/imports/{id}/rerun,
/// POST /api/imports/{id}/schedule, POST /api/imports/{id}/close. File-level problems answer 400 at once; nothing is stored for them.
/// </remarks>
public sealed class ImportApi(
    BatchStorage storage,
    IWorkflowEngine engine,
    BatchSteps batchSteps,
    IOptions<WorkflowOptions> workflow,
    IOptions<ApiOptions> api,
    TimeProvider clock)
{
    /// <summary>The largest request body: the credential file's limit plus room for the settings.</summary>
    public const long MaxBodyBytes = CredentialFile.MaxBytes + 64 * 1024;

    private static readonly JsonSerializerOptions Json = BatchReportFormats.Json;

    /// <summary>True when the request carries the API key; compared in constant time.</summary>
    public bool IsAuthorized(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = api.Value.Key;
        var given = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        return key.Length > 0 && given is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }

    /// <summary>POST /api/imports.</summary>
    public async Task<IResult> StartAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }

        var (settings, credentials, isJson, readError) = await ReadStartRequestAsync(request, cancellationToken);
        if (readError is not null)
        {
            return readError;
        }

        var problems = new List<ApiProblem>();
        var domain = settings?.Domain?.Trim().TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(domain) || Uri.CheckHostName(domain) != UriHostNameType.Dns || !domain.Contains('.', StringComparison.Ordinal))
        {
            problems.Add(new ApiProblem("domain", "SettingsInvalidHost", "Give the destination domain, such as example.org."));
        }

        var source = SourceServerSettings.Resolve(settings?.Source ?? new SourceServerRequest());
        problems.AddRange(source.Problems.Select(p => new ApiProblem("source." + p.Field, p.Code.ToString(), p.Message)));
        var parsed = isJson ? CredentialJson.Parse(credentials!) : CredentialFile.Parse(credentials!);
        if (parsed.FileProblem is { } fileProblem)
        {
            problems.Add(ApiProblem.Of(fileProblem));
        }
        else if (parsed.Entries.Count == 0)
        {
            problems.Add(new ApiProblem("file", ErrorCode.FileEmpty.ToString(), "No line of the file can be imported; fix the lines below and upload it again."));
            problems.AddRange(parsed.Problems.Select(ApiProblem.Of));
        }

        var options = settings?.Options ?? new ImportOptions();
        var (schedule, scheduleProblem) = ResolveSchedule(options.Schedule, "options.schedule");
        options = options with { Schedule = schedule };
        if (scheduleProblem is not null)
        {
            problems.Add(scheduleProblem);
        }

        if (problems.Count > 0)
        {
            return BadRequest(new ApiError("The import was not started.", problems));
        }

        var batchId = Guid.NewGuid().ToString("N");
        var run = new BatchRunRecord($"{batchId}-r1", options.DryRun ? RunMode.DryRun : RunMode.Full, clock.GetUtcNow());
        await storage.SaveBatchAsync(new BatchDefinition(batchId, domain!, source.Server!, options, clock.GetUtcNow()) { Runs = [run] }, cancellationToken);
        await storage.UploadCredentialsAsync(batchId, credentials!, isJson, cancellationToken);
        await StartRunAsync(batchId, run, cancellationToken);
        return Results.Json(Started(request, batchId, run.RunId, parsed.Entries.Count, parsed.Problems.Select(p => p.LineNumber).Distinct().Count()), Json, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>GET /api/imports/{id}: the batch and every mailbox's progress.</summary>
    public async Task<IResult> GetStatusAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return NotFound();
        }

        var run = batch.Runs[^1];
        var state = await engine.GetStateAsync(run.RunId, cancellationToken);
        var report = await storage.LoadReportAsync(id, cancellationToken);
        var manifest = await storage.LoadManifestAsync(id, cancellationToken);
        var lines = new SortedDictionary<int, MailboxReport>();
        foreach (var line in report?.Mailboxes ?? [])
        {
            lines[line.LineNumber] = line;
        }

        if (state?.Status is WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending)
        {
            // While the run goes on, each mailbox's live progress is its orchestration's custom status.
            foreach (var entry in manifest?.Entries ?? [])
            {
                var mailbox = await engine.GetStateAsync(ImportBatchOrchestration.MailboxInstanceId(run.RunId, entry.Line), cancellationToken);
                if (mailbox?.CustomStatus is { } json && JsonSerializer.Deserialize<MailboxOutcome>(json, Json) is { } outcome)
                {
                    lines[entry.Line] = (mailbox.Status == WorkflowRuntimeStatus.Completed && mailbox.Output is { } output
                        ? JsonSerializer.Deserialize<MailboxOutcome>(output, Json) ?? outcome
                        : outcome).ToReport();
                }
                else if (!lines.ContainsKey(entry.Line))
                {
                    lines[entry.Line] = new MailboxReport(entry.Line, entry.SourceLogin, entry.DestinationUsername, MailboxStatus.Pending, null, null, null, MailboxCounters.Zero, TimeSpan.Zero, []);
                }
            }
        }

        var mailboxes = lines.Values.ToList();
        var totals = new BatchReport(id, batch.Domain, false, batch.CreatedAt, null, mailboxes).Totals;
        return Results.Json(new BatchStatus(id, batch.Domain, batch.Closed, batch.Runs, (state?.Status ?? WorkflowRuntimeStatus.Pending).ToString(), mailboxes, totals)
        {
            Schedule = batch.Options.Schedule,
        }, Json);
    }

    /// <summary>GET /api/imports/{id}/report: JSON, or CSV by Accept: text/csv or ?format=csv.</summary>
    public async Task<IResult> GetReportAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!BatchStorage.IsBatchId(id))
        {
            return NotFound();
        }

        if (await storage.LoadReportAsync(id, cancellationToken) is not { } report)
        {
            return await LoadAsync(id, cancellationToken) is null
                ? NotFound()
                : Results.Json(new ApiError("The report is written when the first run ends; follow the status until then."), Json, statusCode: StatusCodes.Status404NotFound);
        }

        var csv = string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase)
            || request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true);
        return csv
            ? Results.File(BatchReportFormats.ToCsv(report), "text/csv; charset=utf-8", $"mailimport-{id}.csv")
            : Results.Bytes(BatchReportFormats.ToJson(report), "application/json; charset=utf-8");
    }

    /// <summary>POST /api/imports/{id}/rerun: failed and partial mailboxes again, or an incremental run of all.</summary>
    public async Task<IResult> RerunAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return NotFound();
        }

        // The body may carry the mode and a corrected credential file (multipart: file + mode; or JSON: mode + entries).
        string? modeText = null;
        byte[]? corrected = null;
        var correctedIsJson = false;
        if (request.HasFormContentType)
        {
            var (_, credentials, _, refusal) = await ReadStartRequestAsync(request, cancellationToken, fileRequired: false);
            if (refusal is not null)
            {
                return refusal;
            }

            corrected = credentials;
            modeText = request.Form["mode"].FirstOrDefault();
        }
        else
        {
            // Read whenever a body may come: a JSON body sent in chunks has no Content-Length.
            var (document, refusal) = await ReadJsonBodyAsync(request, "{\"mode\": \"retryFailed\" | \"incremental\", \"entries\": [...]}", cancellationToken);
            if (refusal is not null)
            {
                return refusal;
            }

            using (document)
            {
                if (document is not null)
                {
                    var root = document.RootElement;
                    modeText = root.TryGetProperty("mode", out var m) ? m.ValueKind == JsonValueKind.String ? m.GetString() : "?" : null;
                    if (root.TryGetProperty("entries", out var e))
                    {
                        (corrected, correctedIsJson) = (Encoding.UTF8.GetBytes(e.GetRawText()), true);
                    }
                }
            }
        }

        var mode = modeText?.ToLowerInvariant() switch
        {
            null or "" or "retryfailed" => RunMode.RetryFailed,
            "incremental" => RunMode.Incremental,
            _ => (RunMode?)null,
        };
        if (mode is null)
        {
            return BadRequest(new ApiError("mode is retryFailed or incremental."));
        }

        CredentialParseResult? correction = null;
        if (corrected is not null)
        {
            var parsed = correction = correctedIsJson ? CredentialJson.Parse(corrected) : CredentialFile.Parse(corrected);
            if (parsed.FileProblem is { } fileProblem)
            {
                return BadRequest(new ApiError("The corrected file cannot be used.", [ApiProblem.Of(fileProblem)]));
            }
        }

        if (batch.Closed)
        {
            return Results.Json(new ApiError(ErrorCatalog.Get(ErrorCode.BatchClosed).Summary), Json, statusCode: StatusCodes.Status409Conflict);
        }

        if (await engine.GetStateAsync(batch.Runs[^1].RunId, cancellationToken) is { Status: WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending })
        {
            return Results.Json(new ApiError("A run of this batch is still going on; re-run it when it has ended."), Json, statusCode: StatusCodes.Status409Conflict);
        }

        var run = new BatchRunRecord($"{id}-r{batch.Runs.Count + 1}", mode.Value, clock.GetUtcNow());
        await storage.SaveBatchAsync(batch with { Runs = [.. batch.Runs, run] }, cancellationToken);
        if (corrected is not null)
        {
            // The run's first activity folds it into the manifest: lines it fixes keep their mailbox's number.
            await storage.UploadCredentialsAsync(id, corrected, correctedIsJson, cancellationToken);
        }

        // The counts the run will see: the manifest as the corrected file leaves it (the merge has no side effects).
        var manifest = await storage.LoadManifestAsync(id, cancellationToken);
        if (correction is not null)
        {
            manifest = ManifestMerge.Merge(manifest, correction).Manifest;
        }

        await StartRunAsync(id, run, cancellationToken);
        return Results.Json(Started(request, id, run.RunId, manifest?.Entries.Count ?? 0, manifest?.Invalid.Count ?? 0), Json, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>POST /api/imports/{id}/schedule: turns the scheduled incremental re-runs on (JSON {"schedule": CRON in
    /// UTC or "default"}) or off ({"schedule": null}); answers the batch id and the schedule now in force.</summary>
    public async Task<IResult> SetScheduleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return NotFound();
        }

        const string shape = "{\"schedule\": \"0 3 * * *\" | \"default\" | null}";
        var (document, refusal) = await ReadJsonBodyAsync(request, shape, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        string? requested;
        using (document)
        {
            if (document is null || !document.RootElement.TryGetProperty("schedule", out var value) || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return BadRequest(new ApiError($"The body must be JSON: {shape}."));
            }

            requested = value.GetString();
        }

        var (schedule, problem) = ResolveSchedule(string.IsNullOrWhiteSpace(requested) ? null : requested, "schedule");
        if (problem is not null)
        {
            return BadRequest(new ApiError("The schedule was not changed.", [problem]));
        }

        if (batch.Closed)
        {
            return Results.Json(new ApiError(ErrorCatalog.Get(ErrorCode.BatchClosed).Summary), Json, statusCode: StatusCodes.Status409Conflict);
        }

        await storage.SaveBatchAsync(batch with { Options = batch.Options with { Schedule = schedule } }, cancellationToken);
        return Results.Json(new ScheduleChanged(id, schedule), Json);
    }

    /// <summary>POST /api/imports/{id}/close: stop any run, take no more, delete the batch's secrets.</summary>
    public async Task<IResult> CloseAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return NotFound();
        }

        if (await engine.GetStateAsync(batch.Runs[^1].RunId, cancellationToken) is { Status: WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Pending })
        {
            await engine.TerminateAsync(batch.Runs[^1].RunId, "The batch was closed.", cancellationToken);
        }

        var deleted = await batchSteps.CloseAsync(id, cancellationToken);
        return Results.Json(new { batchId = id, closed = true, secretsDeleted = deleted }, Json);
    }

    private Task StartRunAsync(string batchId, BatchRunRecord run, CancellationToken cancellationToken)
    {
        var settings = workflow.Value;
        return engine.StartAsync(WorkflowNames.ImportBatch,
            new BatchRunInput(batchId, run.RunId, run.Mode, settings.Concurrency, settings.ChunksPerGeneration), run.RunId, cancellationToken);
    }

    /// <summary>"default" becomes the service's default schedule; anything else must be CRON (five fields, UTC).</summary>
    private (string? Schedule, ApiProblem? Problem) ResolveSchedule(string? requested, string field)
    {
        if (requested is null)
        {
            return (null, null);
        }

        var schedule = requested.Equals("default", StringComparison.OrdinalIgnoreCase) ? workflow.Value.DefaultSchedule : requested.Trim();
        return ScheduledReruns.IsValid(schedule)
            ? (schedule, null)
            : (schedule, new ApiProblem(field, nameof(ErrorCode.SettingsInvalidSchedule), "Give a CRON expression of five fields in UTC, such as \"0 3 * * *\" (daily at 03:00), or \"default\"."));
    }

    private static StartedImport Started(HttpRequest request, string batchId, string runId, int mailboxes, int invalid)
    {
        var status = $"{request.Scheme}://{request.Host}{request.PathBase}/api/imports/{batchId}";
        return new StartedImport(batchId, runId, status, status + "/report", mailboxes, invalid);
    }

    private async Task<BatchDefinition?> LoadAsync(string id, CancellationToken cancellationToken) =>
        BatchStorage.IsBatchId(id) ? await storage.LoadBatchAsync(id, cancellationToken) : null;

    private static async Task<(ImportSettings? Settings, byte[]? Credentials, bool IsJson, IResult? Refusal)> ReadStartRequestAsync(HttpRequest request, CancellationToken cancellationToken, bool fileRequired = true)
    {
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = MaxBodyBytes }, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                return (null, null, false, BadRequest(new ApiError($"The multipart body could not be read: {e.Message}")));
            }

            if (form.Files["file"] is not { } file)
            {
                return fileRequired
                    ? (null, null, false, BadRequest(new ApiError("Attach the credential file as the form field \"file\".")))
                    : (null, null, false, null);
            }

            if (file.Length > CredentialFile.MaxBytes)
            {
                return (null, null, false, BadRequest(new ApiError($"The file is larger than {CredentialFile.MaxBytes / (1024 * 1024)} MB.")));
            }

            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            try
            {
                var settings = JsonSerializer.Deserialize<ImportSettings>(form["settings"].FirstOrDefault() ?? "{}", Json);
                return (settings, buffer.ToArray(), false, null);
            }
            catch (JsonException)
            {
                return (null, null, false, BadRequest(new ApiError("The form field \"settings\" must be JSON: {\"domain\": ..., \"source\": {...}, \"options\": {...}}.")));
            }
        }

        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            const string shape = "{\"domain\", \"source\", \"options\", \"entries\": [{\"login\", \"password\", ...}]}";
            var (document, refusal) = await ReadJsonBodyAsync(request, shape, cancellationToken);
            if (refusal is not null || document is null)
            {
                return (null, null, false, refusal ?? BadRequest(new ApiError($"The body is empty: send {shape}.")));
            }

            using (document)
            {
                try
                {
                    var settings = document.RootElement.Deserialize<ImportSettings>(Json);
                    var entries = document.RootElement.TryGetProperty("entries", out var e) ? Encoding.UTF8.GetBytes(e.GetRawText()) : Encoding.UTF8.GetBytes("[]");
                    return (settings, entries, true, null);
                }
                catch (JsonException)
                {
                    // The serializer's message may quote a password: give the shape instead.
                    return (null, null, false, BadRequest(new ApiError("The body's fields have the wrong types: send {\"domain\": \"...\", \"source\": {...}, \"options\": {...}, \"entries\": [{\"login\", \"password\", ...}]}.")));
                }
            }
        }

        return (null, null, false, BadRequest(new ApiError("Send multipart/form-data (file + settings) or application/json (settings + entries).")));
    }

    /// <summary>Reads a JSON object body of at most <see cref="MaxBodyBytes"/>, chunked or not, without trusting its
    /// Content-Length; null when there is no body. The parser's own messages may quote a password, so a refusal
    /// gives the expected shape instead.</summary>
    private static async Task<(JsonDocument? Document, IResult? Refusal)> ReadJsonBodyAsync(HttpRequest request, string shape, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return (null, TooLarge());
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }

        if (buffer.Length == 0)
        {
            return (null, null);
        }

        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        // JsonDocument checks UTF-8 inside a string only when the string is read, and then throws.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            return (null, BadRequest(new ApiError($"The body is not UTF-8 text: send {shape} as UTF-8 JSON.")));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return (null, BadRequest(new ApiError($"The body is not well-formed JSON: send {shape}.")));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, BadRequest(new ApiError($"The body must be a JSON object: send {shape}.")));
        }

        return (document, null);
    }

    private static IResult TooLarge() =>
        Results.Json(new ApiError($"The request is larger than {MaxBodyBytes / (1024 * 1024)} MB."), Json, statusCode: StatusCodes.Status413PayloadTooLarge);

    private static IResult BadRequest(ApiError error) => Results.Json(error, Json, statusCode: StatusCodes.Status400BadRequest);

    private static IResult NotFound() => Results.Json(new ApiError("There is no import with that id."), Json, statusCode: StatusCodes.Status404NotFound);
}
