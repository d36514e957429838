using System.Reflection;
using MailImport.Workflow.Api;
using Microsoft.Azure.Functions.Worker;

namespace MailImport.Functions.Tests;

/// <summary>The Functions app's HTTP triggers spell the routes of the shared table (attribute arguments must be
/// constants, so they cannot be read from it): each route of the table has its trigger with its method, and the app
/// has no other API trigger than the OpenAPI description and the page.</summary>
public sealed class ApiRouteTableTests
{
    [Fact]
    public void HttpTriggers_AreTheRouteTable_PlusTheOpenApiDescriptionAndThePage()
    {
        var triggers = typeof(ApiFunctions).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
            .OfType<HttpTriggerAttribute>()
            .SelectMany(t => t.Methods!.Select(m => $"{m.ToUpperInvariant()} {t.Route}"))
            .Order()
            .ToList();

        var expected = ImportApiRoutes.Table.Select(r => $"{r.Method} {r.Route}")
            .Append($"GET {ImportApiRoutes.OpenApiRoute}")
            .Append("GET page/{*file}")
            .Order()
            .ToList();
        Assert.Equal(expected, triggers);
    }
}
