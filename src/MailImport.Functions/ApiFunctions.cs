using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Functions;

/// <summary>The HTTP API's triggers: validate nothing, hand the request to the shared <see cref="ImportApi"/> handler,
/// answer what it answers. The Functions host checks the key (x-functions-key or code) before a call gets here.</summary>
public sealed class ApiFunctions(IServiceProvider services)
{
    /// <summary>POST /api/imports.</summary>
    [Function("StartImport")]
    public async Task<IActionResult> StartImport(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "imports")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).StartAsync(request, cancellationToken));

    /// <summary>GET /api/imports/{id}.</summary>
    [Function("GetImport")]
    public async Task<IActionResult> GetImport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "imports/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).GetStatusAsync(id, cancellationToken));

    /// <summary>GET /api/imports/{id}/report.</summary>
    [Function("GetReport")]
    public async Task<IActionResult> GetReport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "imports/{id}/report")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).GetReportAsync(request, id, cancellationToken));

    /// <summary>POST /api/imports/{id}/rerun.</summary>
    [Function("RerunImport")]
    public async Task<IActionResult> RerunImport(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "imports/{id}/rerun")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).RerunAsync(request, id, cancellationToken));

    /// <summary>POST /api/imports/{id}/close.</summary>
    [Function("CloseImport")]
    public async Task<IActionResult> CloseImport(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "imports/{id}/close")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).CloseAsync(id, cancellationToken));

    /// <summary>POST /api/imports/{id}/schedule.</summary>
    [Function("ScheduleImport")]
    public async Task<IActionResult> ScheduleImport(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "imports/{id}/schedule")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).SetScheduleAsync(request, id, cancellationToken));

    /// <summary>GET /api/page/...: the import page. Anonymous: the page holds no secret, and every API call it makes
    /// carries the key the admin types in.</summary>
    [Function("ImportPage")]
    public static IActionResult Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "page/{*file}")] HttpRequest request,
        string? file) =>
        new HandlerResult(ImportPage.Serve(request, file));

    // The Durable client is a binding of each invocation, not a service, so the handler and its run starter get their
    // engine per call.
    private ImportApi Api(DurableTaskClient client) => WorkflowClients.Create<ImportApi>(services, client);
}
