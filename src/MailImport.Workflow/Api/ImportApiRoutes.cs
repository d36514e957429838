using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailImport.Workflow.Api;

/// <summary>The HTTP API's routes for a host that runs ASP.NET Core directly (the local host); the Functions app
/// binds the same handlers through its triggers.</summary>
public static class ImportApiRoutes
{
    /// <summary>Maps /api/imports and its sub-routes; every call needs the API key.</summary>
    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/imports").AddEndpointFilter(async (context, next) =>
        {
            var api = context.HttpContext.RequestServices.GetService(typeof(ImportApi)) as ImportApi;
            return api is not null && api.IsAuthorized(context.HttpContext.Request)
                ? await next(context)
                : Results.Json(new ApiError("Give the API key in the x-functions-key header or the code query parameter."), statusCode: StatusCodes.Status401Unauthorized);
        });
        group.MapPost("", (HttpRequest request, ImportApi api, CancellationToken ct) => api.StartAsync(request, ct));
        group.MapGet("{id}", (string id, ImportApi api, CancellationToken ct) => api.GetStatusAsync(id, ct));
        group.MapGet("{id}/report", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.GetReportAsync(request, id, ct));
        group.MapPost("{id}/rerun", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.RerunAsync(request, id, ct));
        group.MapPost("{id}/schedule", (HttpRequest request, string id, ImportApi api, CancellationToken ct) => api.SetScheduleAsync(request, id, ct));
        group.MapPost("{id}/close", (string id, ImportApi api, CancellationToken ct) => api.CloseAsync(id, ct));
        return endpoints;
    }
}
