using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Functions;

/// <summary>The HTTP API's triggers: validate nothing, hand the request to the shared <see cref="ImportApi"/> handler,
/// answer what it answers.</summary>
/// <remarks>
/// The API triggers are <see cref="AuthorizationLevel.Anonymous"/> on purpose: at Function level the Functions host
/// answers 401 to any call without one of its own keys before the worker sees it, so an Entra ID bearer token could
/// never get through (https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#http-auth:
/// "Anonymous: No access key is required"). The shared <see cref="ImportApi.HandleAsync"/> checks instead, as in the
/// local host: MailImport:Api:Key in x-functions-key or code, or an Entra ID token with the call's app role. The host's
/// function keys open nothing here; Microsoft advises against keys as the only guard of a production API anyway
/// (https://learn.microsoft.com/azure/azure-functions/security-concepts#function-access-keys), and App Service
/// authentication (Easy Auth) is not needed, though it may sit in front.
/// </remarks>
public sealed class ApiFunctions(IServiceProvider services)
{
    /// <summary>POST /api/imports.</summary>
    [Function("StartImport")]
    public async Task<IActionResult> StartImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "imports")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Start, request, null, cancellationToken));

    /// <summary>GET /api/imports/{id}.</summary>
    [Function("GetImport")]
    public async Task<IActionResult> GetImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "imports/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Status, request, id, cancellationToken));

    /// <summary>GET /api/imports/{id}/report.</summary>
    [Function("GetReport")]
    public async Task<IActionResult> GetReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "imports/{id}/report")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Report, request, id, cancellationToken));

    /// <summary>POST /api/imports/{id}/rerun.</summary>
    [Function("RerunImport")]
    public async Task<IActionResult> RerunImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "imports/{id}/rerun")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Rerun, request, id, cancellationToken));

    /// <summary>POST /api/imports/{id}/close.</summary>
    [Function("CloseImport")]
    public async Task<IActionResult> CloseImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "imports/{id}/close")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Close, request, id, cancellationToken));

    /// <summary>POST /api/imports/{id}/schedule.</summary>
    [Function("ScheduleImport")]
    public async Task<IActionResult> ScheduleImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "imports/{id}/schedule")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Schedule, request, id, cancellationToken));

    /// <summary>GET /api/imports/{id}/passwords.</summary>
    [Function("TakeGeneratedPasswords")]
    public async Task<IActionResult> TakeGeneratedPasswords(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "imports/{id}/passwords")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new HandlerResult(await Api(client).HandleAsync(ApiAction.Passwords, request, id, cancellationToken));

    /// <summary>GET /api/openapi.json: the API's OpenAPI description, from the route table both hosts bind.</summary>
    [Function("OpenApiDescription")]
    public static IActionResult OpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ImportApiRoutes.OpenApiRoute)] HttpRequest request) =>
        new HandlerResult(ImportApiDescription.Serve());

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
