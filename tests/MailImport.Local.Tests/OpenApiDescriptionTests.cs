using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailImport.Local;
using MailImport.Workflow.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Local.Tests;

/// <summary>GET /api/openapi.json on the local host lists exactly the routes of the table, and the host binds no
/// other API route.</summary>
public sealed class OpenApiDescriptionTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    [Fact]
    public async Task OpenApi_ListsEveryRouteOfTheTableWithItsMethod_AndNothingElse()
    {
        await using var app = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(MailImport.Testing.WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "OpenApi" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", "openapi-test-key"),
            ("Logging:LogLevel:Default", "Warning"))));
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        // No key: the description holds no secret.
        using var answer = await http.GetAsync("/api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        var document = await answer.Content.ReadFromJsonAsync<JsonElement>();
        var bound = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/imports", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();
        await app.StopAsync();

        var table = ImportApiRoutes.Table.Select(r => $"{r.Method} /api/{r.Route}").Order().ToList();
        var described = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}"))
            .Order().ToList();
        Assert.Equal("3.1.0", document.GetProperty("openapi").GetString());
        Assert.Equal(7, table.Count);
        Assert.Equal(table, described);
        Assert.Equal(table, bound.Order().ToList());
        var rerun = document.GetProperty("paths").GetProperty("/api/imports/{id}/rerun").GetProperty("post");
        Assert.False(rerun.GetProperty("requestBody").GetProperty("required").GetBoolean());
        Assert.True(rerun.GetProperty("responses").TryGetProperty("415", out _));
        var passwords = document.GetProperty("paths").GetProperty("/api/imports/{id}/passwords").GetProperty("get");
        Assert.True(passwords.GetProperty("responses").TryGetProperty("410", out _));
    }
}
