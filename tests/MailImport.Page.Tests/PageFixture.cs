using MailImport.Local;
using MailImport.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MailImport.Page.Tests;

/// <summary>Servers of the page tests' own (Dovecot source and destination, Azurite), the local host on them, and
/// Debian's Chromium driven by Playwright: never a browser download.</summary>
public sealed class PageFixture() : ServerSet("mi-page", 11000), IAsyncLifetime
{
    /// <summary>The test collection that shares one fixture: one set of servers, one host, one browser.</summary>
    public const string Collection = "page";

    /// <summary>The API key the local host is started with.</summary>
    public const string Key = "page-test-key-7d2e";

    private const string Chromium = "/usr/bin/chromium";

    private WebApplication? app;
    private IPlaywright? playwright;

    /// <summary>The local host's address, such as http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: the test results, which CI keeps.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") is { Length: > 0 } run ? run : Path.Combine(RepositoryPaths.Root, ".run"),
        "test-results", "screenshots");

    public async Task InitializeAsync()
    {
        (app, BaseAddress) = await StartHostAsync();

        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: run scripts/chromium install.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A local host on the fixture's destination and Azurite (its own task hub), with <paramref name="extra"/>
    /// settings, at a free loopback port.</summary>
    public async Task<(WebApplication App, Uri BaseAddress)> StartHostAsync(params (string Name, string Value)[] extra)
    {
        var host = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(Destination, Azurite,
            [("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "PageTest" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", Key),
            ("Logging:LogLevel:Default", "Warning"), .. extra])));
        await LocalHost.PrepareAsync(host, CancellationToken.None);
        await host.StartAsync();
        return (host, new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/"));
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (its own sessionStorage) on the page, past the key form.</summary>
    public async Task<IPage> OpenPageAsync(List<string>? requestedUrls = null, Uri? host = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-GB",
        });
        // The machine is slow and shared: wait generously, never sleep.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        if (requestedUrls is not null)
        {
            page.Request += (_, request) => requestedUrls.Add(request.Url);
        }

        await page.GotoAsync((host ?? BaseAddress).ToString());
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync(Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New import" })).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Saves a full-page screenshot under <see cref="ScreenshotDirectory"/>.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
}

/// <summary>The browser tests share one <see cref="PageFixture"/> and run one after another.</summary>
[CollectionDefinition(PageFixture.Collection)]
public sealed class PageServers : ICollectionFixture<PageFixture>;
