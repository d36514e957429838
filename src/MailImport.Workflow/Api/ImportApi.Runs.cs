using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Orchestrations;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>The handlers that start, re-run, schedule and close a batch: read the request, hand it to
/// <see cref="BatchRuns"/>, answer.</summary>
public sealed partial class ImportApi
{
    /// <summary>POST /api/imports; a request that passed every check counts against the caller's runs (or dry runs).
    /// With an Idempotency-Key, a repeat answers the batch the key started (<see cref="IdempotentStarts"/>).</summary>
    private async Task<IResult> StartAsync(HttpRequest request, ApiCaller caller, CancellationToken cancellationToken)
    {
        var (claim, replay, claimRefusal) = await IdempotentStarts.ClaimAsync(storage, time, request, caller, MaxBodyBytes, cancellationToken);
        if (claimRefusal is not null || replay is not null)
        {
            return claimRefusal ?? Accepted(request, replay!);
        }

        var (import, refusal) = await ImportRequests.ReadStartAsync(request, workflow.Value.DefaultSchedule, sourceAccess, cancellationToken);
        if ((refusal ?? Throttle(request, caller, import!.Options.DryRun)) is { } answer)
        {
            await (claim?.ReleaseAsync(cancellationToken) ?? Task.CompletedTask);
            return answer;
        }

        var run = await runs.StartFirstAsync(import!, cancellationToken);
        await (claim?.CompleteAsync(run, cancellationToken) ?? Task.CompletedTask);
        return Accepted(request, run);
    }

    /// <summary>POST /api/imports/{id}/rerun: failed and partial mailboxes again, or an incremental run of all.</summary>
    private async Task<IResult> RerunAsync(HttpRequest request, string id, ApiCaller caller, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return ApiAnswers.NotFound();
        }

        var (rerun, refusal) = await ImportRequests.ReadRerunAsync(request, batch.Authentication.Type, cancellationToken);
        if ((refusal ?? Throttle(request, caller, batch.Options.DryRun)) is { } answer)
        {
            return answer;
        }

        var start = await runs.StartNextAsync(batch, rerun!.Mode, rerun.Correction, cancellationToken);
        return start.Refusal switch
        {
            RunRefusal.BatchClosed => ApiAnswers.BatchClosed(),
            RunRefusal.RunGoing => ApiAnswers.Conflict("A run of this batch is still going on; re-run it when it has ended."),
            _ => Accepted(request, start.Run!),
        };
    }

    /// <summary>POST /api/imports/{id}/schedule: turns the scheduled incremental re-runs on (JSON {"schedule": CRON in
    /// UTC or "default"}) or off ({"schedule": null}); answers the batch id and the schedule now in force.</summary>
    private async Task<IResult> SetScheduleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return ApiAnswers.NotFound();
        }

        var (schedule, refusal) = await ImportRequests.ReadScheduleAsync(request, workflow.Value.DefaultSchedule, cancellationToken);
        if (refusal is not null || batch.Closed)
        {
            return refusal ?? ApiAnswers.BatchClosed();
        }

        // Applied to the record as it is when written: a close that came first wins, and the schedule never reopens it.
        var update = await storage.UpdateBatchAsync(id, current => current.Closed ? null : current with { Options = current.Options with { Schedule = schedule } }, cancellationToken);
        return update is { Changed: true }
            ? Results.Json(new ScheduleChanged(id, schedule), Json)
            : ApiAnswers.BatchClosed();
    }

    /// <summary>POST /api/imports/{id}/close: marks the batch closed at once (no run is started from then on), then
    /// starts the close orchestration that ends any run and deletes the batch's secrets; 202 with the status to follow
    /// (closeState Closing, then Closed).</summary>
    private async Task<IResult> CloseAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (!BatchStorage.IsBatchId(id) || !await batchSteps.MarkClosedAsync(id, cancellationToken))
        {
            return ApiAnswers.NotFound();
        }

        // The run it ends is the record's last after the mark: a run recorded before the mark (the schedule's) is
        // ended too, and none can be recorded after it (BatchRuns refuses a closed batch under If-Match).
        await engine.StartAsync(WorkflowNames.CloseImportBatch, id, CloseBatchOrchestration.InstanceId(id, Guid.NewGuid()), cancellationToken);
        var status = StatusUrl(request, id);
        request.HttpContext.Response.Headers.Location = status;
        return Results.Json(new ClosingBatch(id, true, BatchCloseState.Closing, status), Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static string StatusUrl(HttpRequest request, string batchId) => $"{request.Scheme}://{request.Host}{request.PathBase}/api/imports/{batchId}";

    /// <summary>202 with the batch, the run and where to follow them.</summary>
    private static IResult Accepted(HttpRequest request, StartedRun run)
    {
        var status = StatusUrl(request, run.BatchId);
        return Results.Json(new StartedImport(run.BatchId, run.RunId, status, status + "/report", run.Mailboxes, run.InvalidLines), Json, statusCode: StatusCodes.Status202Accepted);
    }
}
