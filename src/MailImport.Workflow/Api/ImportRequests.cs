using System.Text;
using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MailImport.Workflow.Api;

/// <summary>Reads the API's request bodies (multipart with a credential file, or JSON) into checked requests. What it
/// cannot use is refused with a 400 (413 when too big) that names each field and line; nothing is stored for it.</summary>
internal static class ImportRequests
{
    private const string StartShape = "{\"domain\", \"source\", \"options\", \"entries\": [{\"login\", \"password\", ...}]}";
    private const string RerunShape = "{\"mode\": \"retryFailed\" | \"incremental\", \"entries\": [...]}";
    private const string ScheduleShape = "{\"schedule\": \"0 3 * * *\" | \"default\" | null}";

    /// <summary>The API's JSON that refuses a property no field takes, at any depth, instead of ignoring it
    /// (https://learn.microsoft.com/dotnet/standard/serialization/system-text-json/missing-members).</summary>
    private static readonly JsonSerializerOptions StrictJson = new(ApiAnswers.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    /// <summary>POST /api/imports: multipart (file + settings JSON) or JSON (settings + entries), every field checked.</summary>
    /// <param name="request">The request.</param>
    /// <param name="defaultSchedule">The service's schedule, for "default".</param>
    /// <param name="sourceAccess">Where a source may be.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<(NewImport? Import, IResult? Refusal)> ReadStartAsync(HttpRequest request, string defaultSchedule, SourceAccessPolicy sourceAccess, CancellationToken cancellationToken)
    {
        if (request.ContentLength > ImportApi.MaxBodyBytes)
        {
            return (null, ApiAnswers.TooLarge());
        }

        // A url-encoded form cannot carry the file: only multipart is a form here.
        var (body, refusal) = request.HasFormContentType && request.ContentType!.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
            ? await ReadFormAsync(request, fileRequired: true, "settings", cancellationToken)
            : RequestContentTypes.IsJson(request)
                ? await ReadStartJsonAsync(request, cancellationToken)
                : (null, RequestContentTypes.Unsupported(request, RequestContentTypes.StartTypes));
        return refusal is not null ? (null, refusal) : Check(body!, defaultSchedule, sourceAccess);
    }

    /// <summary>POST /api/imports/{id}/rerun: the mode and a corrected credential file, both optional (multipart: file +
    /// mode; url-encoded: mode; or JSON: mode + entries). No body at all (whatever its Content-Type) is a retryFailed
    /// re-run without corrections; so is a body without "mode". A body of another type is refused with 415.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <param name="authentication">The batch's source authentication: it decides the corrected file's grammar.</param>
    public static async Task<(RerunRequest? Rerun, IResult? Refusal)> ReadRerunAsync(HttpRequest request, SourceAuthenticationType authentication, CancellationToken cancellationToken)
    {
        var (body, refusal) = request.HasFormContentType
            ? await ReadRerunFormAsync(request, cancellationToken)
            : RequestContentTypes.IsJson(request)
                ? await ReadRerunJsonAsync(request, cancellationToken)
                : await RequestContentTypes.HasBodyAsync(request, cancellationToken)
                    ? (null, RequestContentTypes.Unsupported(request, RequestContentTypes.RerunTypes))
                    : (new RerunBody(null, null, false), null);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        if (RerunMode(body!.Mode) is not { } mode)
        {
            return (null, ApiAnswers.BadRequest(new ApiError("The field \"mode\" is \"retryFailed\" or \"incremental\" (none means retryFailed).")));
        }

        if (body.Corrected is null)
        {
            return (new RerunRequest(mode, null), null);
        }

        var parsed = Parse(body.Corrected, body.IsJson, authentication);
        return parsed.FileProblem is { } fileProblem
            ? (null, ApiAnswers.BadRequest(new ApiError("The corrected file cannot be used.", [ApiProblem.Of(fileProblem)])))
            : (new RerunRequest(mode, new CredentialUpload(body.Corrected, body.IsJson, parsed)), null);
    }

    /// <summary>POST /api/imports/{id}/schedule: {"schedule": CRON in UTC, "default", or null (off)}; the schedule to set.</summary>
    /// <param name="request">The request.</param>
    /// <param name="defaultSchedule">The service's schedule, for "default".</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<(string? Schedule, IResult? Refusal)> ReadScheduleAsync(HttpRequest request, string defaultSchedule, CancellationToken cancellationToken)
    {
        if (!RequestContentTypes.IsJson(request) && await RequestContentTypes.HasBodyAsync(request, cancellationToken))
        {
            return (null, RequestContentTypes.Unsupported(request, RequestContentTypes.ScheduleTypes));
        }

        var (document, refusal) = await BoundedJsonBody.ReadAsync(request, ScheduleShape, cancellationToken);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        string? requested;
        using (document)
        {
            if (document is not null && BoundedJsonBody.UnknownField(document.RootElement, "schedule") is { } unknown)
            {
                return (null, ApiAnswers.BadRequest(new ApiError($"The body has {unknown}, which this call does not take: send {ScheduleShape}.")));
            }

            if (document is null || !document.RootElement.TryGetProperty("schedule", out var value) || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return (null, ApiAnswers.BadRequest(new ApiError($"The body must be JSON: {ScheduleShape}.")));
            }

            requested = value.GetString();
        }

        var (schedule, problem) = ResolveSchedule(string.IsNullOrWhiteSpace(requested) ? null : requested, "schedule", defaultSchedule);
        return problem is null ? (schedule, null) : (null, ApiAnswers.BadRequest(new ApiError("The schedule was not changed.", [problem])));
    }

    /// <summary>Whether the report is asked for as CSV: Accept: text/csv or ?format=csv.</summary>
    public static bool WantsCsv(HttpRequest request) =>
        string.Equals(request.Query["format"], "csv", StringComparison.OrdinalIgnoreCase)
        || request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Every problem of a start request at once: domain, source, file and lines, schedule.</summary>
    private static (NewImport? Import, IResult? Refusal) Check(UploadBody body, string defaultSchedule, SourceAccessPolicy sourceAccess)
    {
        var problems = new List<ApiProblem>();
        var domain = body.Settings?.Domain?.Trim().TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(domain) || Uri.CheckHostName(domain) != UriHostNameType.Dns || !domain.Contains('.', StringComparison.Ordinal))
        {
            problems.Add(new ApiProblem("domain", "SettingsInvalidHost", "Give the destination domain, such as example.org."));
        }

        var source = SourceServerSettings.Resolve(body.Settings?.Source ?? new SourceServerRequest());
        problems.AddRange(source.Problems.Select(p => new ApiProblem("source." + p.Field, p.Code.ToString(), p.Message)));
        if (source.Server is { } server && sourceAccess.CheckSetting(server.Host, server.Port) is var (field, message))
        {
            problems.Add(new ApiProblem("source." + field, nameof(ErrorCode.SettingsSourceNotAllowed), message));
        }

        var authentication = SourceAuthenticationSettings.Resolve(body.Settings?.Source?.Authentication);
        problems.AddRange(authentication.Problems.Select(p => new ApiProblem("source." + p.Field, p.Code.ToString(), p.Message)));
        // A refused authentication still decides the grammar by the type it asked for, so the lines are not reported
        // against a form the admin did not mean.
        var parsed = Parse(body.Credentials!, body.IsJson, authentication.Authentication?.Type ?? RequestedType(body.Settings?.Source?.Authentication));
        problems.AddRange(FileProblems(parsed));
        var options = body.Settings?.Options ?? new ImportOptions();
        var (schedule, scheduleProblem) = ResolveSchedule(options.Schedule, "options.schedule", defaultSchedule);
        if (scheduleProblem is not null)
        {
            problems.Add(scheduleProblem);
        }

        if (options.DuplicatesProblem() is { } duplicatesProblem)
        {
            problems.Add(new ApiProblem("options.duplicates", nameof(ErrorCode.SettingsInvalidDuplicates), duplicatesProblem));
        }

        if (options.GmailProblem() is { } gmailProblem)
        {
            problems.Add(new ApiProblem("options.gmail", nameof(ErrorCode.SettingsInvalidGmailMode), gmailProblem));
        }

        if (options.DownloadBudgetProblem() is { } budgetProblem)
        {
            problems.Add(new ApiProblem("options.downloadBudgetMegabytes", nameof(ErrorCode.SettingsInvalidDownloadBudget), budgetProblem));
        }

        return problems.Count > 0
            ? (null, ApiAnswers.BadRequest(new ApiError("The import was not started.", problems)))
            : (new NewImport(domain!, source.Server!, options with { Schedule = schedule }, new CredentialUpload(body.Credentials!, body.IsJson, parsed))
            {
                Authentication = authentication.Authentication!,
                SourceCredential = authentication.Credential,
            }, null);
    }

    /// <summary>A file the parser refused as a whole, or one without a single good line (then each line's problem).</summary>
    private static IEnumerable<ApiProblem> FileProblems(CredentialParseResult parsed)
    {
        if (parsed.FileProblem is { } fileProblem)
        {
            return [ApiProblem.Of(fileProblem)];
        }

        if (parsed.Entries.Count > 0)
        {
            return [];
        }

        // A file without a single mailbox line already carries FileEmpty; one whose every line is wrong says so once,
        // then names each line's problem.
        return parsed.Problems.All(p => p.Code == ErrorCode.FileEmpty)
            ? parsed.Problems.Select(ApiProblem.Of)
            : [new ApiProblem("file", nameof(ErrorCode.FileNoUsableLine), $"None of the {parsed.Problems.Select(p => p.LineNumber).Distinct().Count()} mailbox lines can be imported; fix the lines below and upload the file again."), .. parsed.Problems.Select(ApiProblem.Of)];
    }

    /// <summary>"default" becomes the service's default schedule; anything else must be CRON (five fields, UTC).</summary>
    private static (string? Schedule, ApiProblem? Problem) ResolveSchedule(string? requested, string field, string defaultSchedule)
    {
        if (requested is null)
        {
            return (null, null);
        }

        var schedule = requested.Equals("default", StringComparison.OrdinalIgnoreCase) ? defaultSchedule : requested.Trim();
        return ScheduledReruns.IsValid(schedule)
            ? (schedule, null)
            : (schedule, new ApiProblem(field, nameof(ErrorCode.SettingsInvalidSchedule), "Give a CRON expression of five fields in UTC, such as \"0 3 * * *\" (daily at 03:00), or \"default\"."));
    }

    private static RunMode? RerunMode(string? mode) => mode?.ToLowerInvariant() switch
    {
        null or "retryfailed" => RunMode.RetryFailed,
        "incremental" => RunMode.Incremental,
        _ => null,
    };

    private static CredentialParseResult Parse(byte[] credentials, bool isJson, SourceAuthenticationType authentication) =>
        isJson ? CredentialJson.Parse(credentials, authentication) : CredentialFile.Parse(credentials, authentication);

    /// <summary>The kind of login a request names, whether or not its other fields are right.</summary>
    private static SourceAuthenticationType RequestedType(SourceAuthenticationRequest? request) => request?.Type?.Trim() switch
    {
        { } type when type.Equals(SourceAuthenticationSettings.GoogleType, StringComparison.OrdinalIgnoreCase) => SourceAuthenticationType.GoogleServiceAccount,
        { } type when type.Equals(SourceAuthenticationSettings.MicrosoftType, StringComparison.OrdinalIgnoreCase) => SourceAuthenticationType.MicrosoftAppOnly,
        _ => SourceAuthenticationType.Password,
    };

    /// <summary>The multipart form: the file (required for a start, optional for a re-run) and the settings field.</summary>
    /// <summary>The form's file and its one text field (<paramref name="field"/>). A field the call does not take is
    /// refused, not ignored: ignoring it once ran a re-run in the default mode when the mode was sent as JSON with curl
    /// -d, which posts application/x-www-form-urlencoded.</summary>
    private static async Task<(UploadBody? Body, IResult? Refusal)> ReadFormAsync(HttpRequest request, bool fileRequired, string field, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            // Held in memory up to the size limit: past FormOptions' default 64 KB threshold ASP.NET Core spools a file
            // section to a temporary file on disk, in clear text, and the upload is a list of passwords
            // (https://learn.microsoft.com/aspnet/core/mvc/models/file-uploads#file-upload-scenarios).
            form = await request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = ImportApi.MaxBodyBytes,
                MemoryBufferThreshold = (int)ImportApi.MaxBodyBytes,
                BufferBodyLengthLimit = ImportApi.MaxBodyBytes,
            }, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return (null, ApiAnswers.BadRequest(new ApiError($"The multipart body could not be read: {e.Message}")));
        }

        if (form.Keys.FirstOrDefault(k => !string.Equals(k, field, StringComparison.Ordinal)) is { } unknown)
        {
            return (null, ApiAnswers.BadRequest(new ApiError(unknown.TrimStart().StartsWith('{')
                ? $"The body is JSON but was sent as a form ({request.ContentType}); send it with Content-Type: application/json (curl: -H 'Content-Type: application/json')."
                : $"The form has {BoundedJsonBody.FieldName(unknown)}, which this call does not take; it takes \"file\" and \"{field}\".")));
        }

        if (form.Files.FirstOrDefault(f => !string.Equals(f.Name, "file", StringComparison.Ordinal)) is { } extra)
        {
            return (null, ApiAnswers.BadRequest(new ApiError($"The form has the file {BoundedJsonBody.FieldName(extra.Name)}; the credential file goes in \"file\".")));
        }

        if (form.Files["file"] is not { } file)
        {
            return fileRequired
                ? (null, ApiAnswers.BadRequest(new ApiError("Attach the credential file as the form field \"file\".")))
                : (new UploadBody(null, null, false), null);
        }

        return file.Length > CredentialFile.MaxBytes
            ? (null, ApiAnswers.BadRequest(new ApiError($"The file is larger than {CredentialFile.MaxBytes / (1024 * 1024)} MB.")))
            : await ReadUploadAsync(file, field == "settings" ? form["settings"].FirstOrDefault() : null, cancellationToken);
    }

    /// <summary>The form's file and its settings field (JSON; none means all defaults).</summary>
    private static async Task<(UploadBody? Body, IResult? Refusal)> ReadUploadAsync(IFormFile file, string? settingsJson, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        try
        {
            var settings = JsonSerializer.Deserialize<ImportSettings>(settingsJson ?? "{}", StrictJson);
            return (new UploadBody(settings, buffer.ToArray(), false), null);
        }
        catch (JsonException e)
        {
            return (null, ApiAnswers.BadRequest(new ApiError($"The form field \"settings\" must be JSON with known fields of the right types ({BoundedJsonBody.PathName(e.Path)} is not): {{\"domain\": ..., \"source\": {{...}}, \"options\": {{...}}}}.")));
        }
    }

    private static async Task<(UploadBody? Body, IResult? Refusal)> ReadStartJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (document, refusal) = await BoundedJsonBody.ReadAsync(request, StartShape, cancellationToken);
        if (refusal is not null || document is null)
        {
            return (null, refusal ?? ApiAnswers.BadRequest(new ApiError($"The body is empty: send {StartShape}.")));
        }

        using (document)
        {
            try
            {
                var start = document.RootElement.Deserialize<StartJson>(StrictJson)!;
                var entries = start.Entries is { } e ? Encoding.UTF8.GetBytes(e.GetRawText()) : Encoding.UTF8.GetBytes("[]");
                return (new UploadBody(new ImportSettings(start.Domain, start.Source, start.Options), entries, true), null);
            }
            catch (JsonException e)
            {
                // The serializer's message may quote a password: give the field's path and the shape instead.
                return (null, ApiAnswers.BadRequest(new ApiError($"The body's {BoundedJsonBody.PathName(e.Path)} is not a field this call takes or has the wrong type: send {{\"domain\": \"...\", \"source\": {{...}}, \"options\": {{...}}, \"entries\": [{{\"login\", \"password\", ...}}]}}.")));
            }
        }
    }

    private static async Task<(RerunBody? Body, IResult? Refusal)> ReadRerunFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (upload, refusal) = await ReadFormAsync(request, fileRequired: false, "mode", cancellationToken);
        return refusal is not null ? (null, refusal) : (new RerunBody(request.Form["mode"].FirstOrDefault(), upload!.Credentials, false), null);
    }

    private static async Task<(RerunBody? Body, IResult? Refusal)> ReadRerunJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (document, refusal) = await BoundedJsonBody.ReadAsync(request, RerunShape, cancellationToken);
        if (refusal is not null || document is null)
        {
            return (refusal is null ? new RerunBody(null, null, false) : null, refusal);
        }

        using (document)
        {
            var root = document.RootElement;
            if (BoundedJsonBody.UnknownField(root, "mode", "entries") is { } unknown)
            {
                return (null, ApiAnswers.BadRequest(new ApiError($"The body has {unknown}, which this call does not take: send {RerunShape}.")));
            }

            var mode = root.TryGetProperty("mode", out var m) ? m.ValueKind == JsonValueKind.String ? m.GetString() : "?" : null;
            return root.TryGetProperty("entries", out var e)
                ? (new RerunBody(mode, Encoding.UTF8.GetBytes(e.GetRawText()), true), null)
                : (new RerunBody(mode, null, false), null);
        }
    }

    /// <summary>A start or re-run body as sent: the settings and the raw credentials, unchecked.</summary>
    private sealed record UploadBody(ImportSettings? Settings, byte[]? Credentials, bool IsJson);

    /// <summary>A JSON start body: the settings and the entries, which the credential parser reads.</summary>
    private sealed record StartJson(string? Domain, SourceServerRequest? Source, ImportOptions? Options, JsonElement? Entries);

    /// <summary>A re-run body as sent: the mode's text and the corrected credentials, unchecked.</summary>
    private sealed record RerunBody(string? Mode, byte[]? Corrected, bool IsJson);
}
