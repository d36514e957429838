using System.Collections.Concurrent;
using MailImport.Workflow.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MailImport.Page.Tests;

/// <summary>The same page files under the route the Functions app gives them (/api/page/): assets load, the strict
/// policy holds (no violation in the console), and the API is called at the host's root with the key in a header.</summary>
[Collection(PageFixture.Collection)]
public sealed class PageRouteTests(PageFixture servers)
{
    [Fact]
    public async Task PageUnderApiPage_LoadsItsFilesAndCallsTheApiAtTheRoot()
    {
        var calls = new ConcurrentQueue<(string Path, string? Key)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapImportPage("/api/page");
        // A stand-in for the API's status call: 404 for the right key, as the real one answers for an unknown id.
        app.MapGet("/api/imports/{id}", (HttpRequest request) =>
        {
            var key = request.Headers["x-functions-key"].FirstOrDefault();
            calls.Enqueue((request.Path.Value!, key));
            return key == PageFixture.Key ? Results.NotFound() : Results.Unauthorized();
        });
        await app.StartAsync();
        var root = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var context = await servers.Browser.NewContextAsync();
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var console = new ConcurrentQueue<string>();
        page.Console += (_, message) => console.Enqueue($"{message.Type}: {message.Text} at {message.Location}");
        var response = await page.GotoAsync(root + "/api/page");

        Assert.EndsWith("/api/page/", page.Url, StringComparison.Ordinal);
        Assert.Equal(ImportPage.ContentSecurityPolicy, response!.Headers["content-security-policy"]);
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync(PageFixture.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New import" })).ToBeVisibleAsync();
        // The stylesheet was applied (the primary button is filled), so app.css came from beside the page.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" })).ToHaveCSSAsync("color", "rgb(255, 255, 255)");

        Assert.Equal([("/api/imports/" + new string('0', 32), PageFixture.Key)], calls);
        // The one error the browser reports is the key check's 404, which is the answer the page expects.
        var errors = console.Where(m => m.StartsWith("error", StringComparison.Ordinal) && !m.Contains("/api/imports/" + new string('0', 32), StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", console));
        await context.CloseAsync();
        await app.StopAsync();
    }
}
