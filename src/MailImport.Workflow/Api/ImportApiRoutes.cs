using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailImport.Workflow.Api;

/// <summary>The HTTP API's routes for a host that runs ASP.NET Core directly (the local host); the Functions app
/// binds the same handlers through its triggers.</summary>
public static class ImportApiRoutes
{
    /// <summary>Maps /api/imports and its sub-routes; <see cref="ImportApi.HandleAsync"/> tells who called and whether
    /// they may.</summary>
    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/imports");
        group.MapPost("", (HttpRequest request, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Start, request, null, ct));
        group.MapGet("{id}", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Status, request, id, ct));
        group.MapGet("{id}/report", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Report, request, id, ct));
        group.MapPost("{id}/rerun", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Rerun, request, id, ct));
        group.MapPost("{id}/schedule", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Schedule, request, id, ct));
        group.MapPost("{id}/close", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.HandleAsync(ApiAction.Close, request, id, ct));
        return endpoints;
    }
}
