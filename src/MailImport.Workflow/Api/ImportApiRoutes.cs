using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailImport.Workflow.Api;

/// <summary>One route of the HTTP API: what both hosts bind and what the OpenAPI description lists.</summary>
/// <param name="Action">The handler's action.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Route">The route under /api, as the Functions triggers spell it ("imports/{id}").</param>
/// <param name="Summary">One line for the OpenAPI description.</param>
/// <param name="Success">The status of a call that did what it asked.</param>
/// <param name="BodyTypes">The media types of the body it reads; empty for none.</param>
/// <param name="Query">The query parameters it reads; null for none.</param>
public sealed record ApiRoute(ApiAction Action, string Method, string Route, string Summary, int Success, IReadOnlyList<string> BodyTypes, IReadOnlyList<ApiQueryParameter>? Query = null);

/// <summary>One optional query parameter of a route, for the OpenAPI description.</summary>
/// <param name="Name">The parameter.</param>
/// <param name="Description">What it does.</param>
/// <param name="Type">Its JSON Schema type.</param>
public sealed record ApiQueryParameter(string Name, string Description, string Type);

/// <summary>The HTTP API's routes, one table for both hosts: the local host maps it here; the Functions app's trigger
/// attributes spell the same routes (attribute arguments are constants) and its tests hold them to this table.</summary>
public static class ImportApiRoutes
{
    /// <summary>Where both hosts serve the OpenAPI description, under /api.</summary>
    public const string OpenApiRoute = "openapi.json";

    /// <summary>Every route of the import API.</summary>
    public static IReadOnlyList<ApiRoute> Table { get; } =
    [
        new(ApiAction.Start, "POST", "imports", "Start an import: a credential file and settings, or JSON settings and entries.", StatusCodes.Status202Accepted, ["multipart/form-data", "application/json"]),
        new(ApiAction.Status, "GET", "imports/{id}", "A batch's status, its lines' counts per state, and its mailboxes' progress, filtered by state and paged.", StatusCodes.Status200OK, [], StatusQuery.Parameters),
        new(ApiAction.Report, "GET", "imports/{id}/report", "The batch's report: JSON, or CSV by Accept: text/csv or ?format=csv.", StatusCodes.Status200OK, []),
        new(ApiAction.Rerun, "POST", "imports/{id}/rerun", "Re-run failed mailboxes (retryFailed, also with no body) or all incrementally, with optional corrections.", StatusCodes.Status202Accepted, ["application/json", "multipart/form-data", "application/x-www-form-urlencoded"]),
        new(ApiAction.Schedule, "POST", "imports/{id}/schedule", "Set or clear the schedule of incremental re-runs.", StatusCodes.Status200OK, ["application/json"]),
        new(ApiAction.Close, "POST", "imports/{id}/close", "Close the batch: no more runs from now on; its run ended and its secrets deleted in the background (follow closeState in the status).", StatusCodes.Status202Accepted, []),
        new(ApiAction.Passwords, "GET", "imports/{id}/passwords", "The destination passwords MailImport generated (CSV line,login,password), once: deleted as they are answered; 410 after that.", StatusCodes.Status200OK, []),
    ];

    /// <summary>Maps every route of <see cref="Table"/> under /api, and the OpenAPI description;
    /// <see cref="ImportApi.HandleAsync"/> tells who called and whether they may.</summary>
    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var route in Table)
        {
            var action = route.Action;
            endpoints.MapMethods("/api/" + route.Route, [route.Method], (HttpRequest request, ImportApi api, CancellationToken ct) =>
                api.HandleAsync(action, request, request.RouteValues["id"] as string, ct));
        }

        endpoints.MapGet("/api/" + OpenApiRoute, () => ImportApiDescription.Serve());
        return endpoints;
    }
}
