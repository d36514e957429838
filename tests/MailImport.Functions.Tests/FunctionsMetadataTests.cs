using System.Text.Json;
using MailImport.Testing;
using MailImport.Workflow;
using MailImport.Workflow.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;

namespace MailImport.Functions.Tests;

/// <summary>The functions.metadata the Functions SDK writes at build time is what the Functions host indexes: every
/// orchestration and activity the embedded engine registers, every route of the HTTP API and the schedule timer
/// must be in it, with the trigger each needs.</summary>
public class FunctionsMetadataTests
{
    private static readonly Lazy<IReadOnlyList<(string Name, JsonElement Trigger)>> Functions = new(Load);

    private static IReadOnlyList<(string Name, JsonElement Trigger)> Load()
    {
        // The app's own build output, of the same configuration as this test's (bin/<configuration>/net10.0).
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var file = Path.Combine(RepositoryPaths.Root, "src", "MailImport.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(file), $"{file} is missing: the Functions SDK did not index the app");
        using var json = JsonDocument.Parse(File.ReadAllBytes(file));
        return json.RootElement.EnumerateArray().Select(f => (
            f.GetProperty("name").GetString()!,
            f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).Clone())).ToList();
    }

    private static SortedSet<string> Named(string trigger) =>
        new(Functions.Value.Where(f => f.Trigger.GetProperty("type").GetString() == trigger).Select(f => f.Name), StringComparer.Ordinal);

    [Fact]
    public void Metadata_ListsEveryOrchestrationAndActivityTheEmbeddedEngineRegisters()
    {
        var registry = new DurableTaskRegistry().AddMailImportWorkflow();

        Assert.Equal(new SortedSet<string>(registry.GetOrchestrators().Select(o => o.Key.Name), StringComparer.Ordinal), Named("orchestrationTrigger"));
        Assert.Equal(new SortedSet<string>(registry.GetActivities().Select(a => a.Key.Name), StringComparer.Ordinal), Named("activityTrigger"));
    }

    [Fact]
    public void Metadata_ListsEveryRouteOfTheLocalHostsApi_WithItsMethod_AnonymousForTheSharedCheck()
    {
        // The routes as the local host maps them: the one list the Functions app must match.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddMailImportWorkflow().AddMailImportApi();
        var app = builder.Build();
        app.MapImportApi();
        var expected = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(m => $"{m.ToUpperInvariant()} /{e.RoutePattern.RawText!.Trim('/')}"))
            .ToHashSet(StringComparer.Ordinal);

        var http = Functions.Value.Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger").ToList();
        var actual = http.SelectMany(f => f.Trigger.GetProperty("methods").EnumerateArray()
                .Select(m => $"{m.GetString()!.ToUpperInvariant()} /api/{f.Trigger.GetProperty("route").GetString()}"))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Where(r => !r.Contains("/api/page/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        // At Function level the Functions host would refuse a bearer token before ImportApi.HandleAsync could check it.
        Assert.All(http.Where(f => f.Trigger.GetProperty("route").GetString()!.StartsWith("imports", StringComparison.Ordinal)),
            f => Assert.Equal("Anonymous", f.Trigger.GetProperty("authLevel").GetString()));
    }

    [Fact]
    public void Metadata_ServesTheImportPageWithoutAKey()
    {
        var page = Assert.Single(Functions.Value, f => f.Name == "ImportPage");

        Assert.Equal("page/{*file}", page.Trigger.GetProperty("route").GetString());
        Assert.Equal("Anonymous", page.Trigger.GetProperty("authLevel").GetString());
        Assert.Equal(["get"], page.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void Metadata_HasTheScheduleTimer()
    {
        var timer = Assert.Single(Functions.Value, f => f.Trigger.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("ScheduledReruns", timer.Name);
        Assert.Equal("0 */5 * * * *", timer.Trigger.GetProperty("schedule").GetString());
    }
}
