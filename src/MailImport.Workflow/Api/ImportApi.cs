using System.Globalization;
using System.Text.Json;
using Azure;
using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>The HTTP API's handlers, shared by the Functions app and the local host: validate, hand off, answer.</summary>
/// <remarks>
/// POST /api/imports (multipart: file + settings JSON; or JSON with entries), GET /api/imports/{id},
/// GET /api/imports/{id}/report (JSON, or CSV by Accept or ?format=csv), POST /api/imports/{id}/rerun,
/// POST /api/imports/{id}/schedule, POST /api/imports/{id}/close, GET /api/imports/{id}/passwords. File-level problems answer 400 at once; nothing is stored for them.
/// Every call comes in through <see cref="HandleAsync"/>: it tells who called (<see cref="ApiCallers"/>), checks their
/// app role, runs the handler and writes the audit line.
/// </remarks>
public sealed partial class ImportApi(
    BatchStorage storage,
    IWorkflowEngine engine,
    BatchRuns runs,
    BatchSteps batchSteps,
    BatchSecrets secrets,
    IOptions<WorkflowOptions> workflow,
    ApiCallers callers,
    ApiRateLimits limits,
    SourceAccessPolicy sourceAccess,
    TimeProvider time,
    ILogger<ImportApi> logger)
{
    /// <summary>The largest request body: the credential file's limit plus room for the settings.</summary>
    public const long MaxBodyBytes = CredentialFile.MaxBytes + 64 * 1024;

    private static readonly JsonSerializerOptions Json = ApiAnswers.Json;

    /// <summary>Answers one call: 401 without a good key or token, 403 when the caller lacks the action's app role,
    /// else the handler's answer; either way one audit line, in the log and (for a batch that exists) in the batch's
    /// audit trail. <paramref name="id"/> is the batch of the route; null for a start.</summary>
    public async Task<IResult> HandleAsync(ApiAction action, HttpRequest request, string? id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (caller, refusal) = await callers.IdentifyAsync(request, cancellationToken);
        var result = refusal
            ?? (caller!.May(action)
                ? await RunAsync(action, request, id!, caller, cancellationToken)
                : Results.Json(new ApiError($"This call needs the app role {ApiRoles.For(action)}, which the token does not carry."), Json, statusCode: StatusCodes.Status403Forbidden));
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        var batchId = id ?? (result as IValueHttpResult)?.Value switch { StartedImport started => started.BatchId, _ => null };
        var name = ApiRoles.Name(action);
        logger.ApiCalled(name, batchId ?? "-", caller?.Id ?? "anonymous", caller?.AppId, status);
        if (caller is not null && batchId is not null)
        {
            try
            {
                await storage.AppendAuditAsync(new AuditEntry(time.GetUtcNow(), caller.Id, caller.AppId, name, batchId, status), cancellationToken);
            }
            catch (RequestFailedException e)
            {
                // The call is done and its log line written; a storage fault does not change its answer.
                logger.AuditNotStored(name, batchId, e.Status);
            }
        }

        return result;
    }

    private Task<IResult> RunAsync(ApiAction action, HttpRequest request, string id, ApiCaller caller, CancellationToken cancellationToken) => action switch
    {
        ApiAction.Start => StartAsync(request, caller, cancellationToken),
        ApiAction.Rerun => RerunAsync(request, id, caller, cancellationToken),
        ApiAction.Schedule => SetScheduleAsync(request, id, cancellationToken),
        ApiAction.Close => CloseAsync(request, id, cancellationToken),
        ApiAction.Status => GetStatusAsync(request, id, cancellationToken),
        ApiAction.Report => GetReportAsync(request, id, cancellationToken),
        ApiAction.Passwords => TakePasswordsAsync(request, id, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>Takes a run from the caller's allowance, or answers 429 with Retry-After (RFC 9110 §10.2.3) in seconds.</summary>
    private IResult? Throttle(HttpRequest request, ApiCaller caller, bool dryRun)
    {
        if (limits.TryTake(caller, dryRun) is not { } retryAfter)
        {
            return null;
        }

        var seconds = (int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds));
        request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Json(new ApiError($"Too many {(dryRun ? "dry runs" : "runs")} from this caller; try again in {seconds} seconds."), Json, statusCode: StatusCodes.Status429TooManyRequests);
    }

    private async Task<BatchDefinition?> LoadAsync(string id, CancellationToken cancellationToken) =>
        BatchStorage.IsBatchId(id) ? await storage.LoadBatchAsync(id, cancellationToken) : null;
}
