using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace MailImport.Bench;

/// <summary>What "scale-page" saw of the import page while a run went on.</summary>
/// <param name="Status">The batch's state when the watch ended.</param>
/// <param name="FirstRowsMs">From opening the batch's page to its first rows shown.</param>
/// <param name="Turns">Page turns made while the run went on.</param>
/// <param name="TurnP50Ms">From the click on Next (or First) to the new lines shown, median.</param>
/// <param name="TurnP95Ms">Its 95th percentile.</param>
/// <param name="TurnMaxMs">Its slowest.</param>
/// <param name="MaxLagMs">The page's largest event-loop delay: how late a 50 ms timer fired at worst, the time the
/// page could not have answered a key press or a click.</param>
/// <param name="LongTasks">Main-thread tasks over 50 ms (the Long Tasks API's threshold).</param>
/// <param name="LongestTaskMs">The longest of them.</param>
/// <param name="MaxRows">The most table rows the page held at once.</param>
internal sealed record PageWatchReport(string Status, double FirstRowsMs, int Turns, double TurnP50Ms, double TurnP95Ms, double TurnMaxMs,
    double MaxLagMs, int LongTasks, double LongestTaskMs, int MaxRows);

/// <summary>"scale-page": the import page in Debian's Chromium (driven by Playwright, as the page tests drive it) on a
/// batch whose run goes on, turning its pages of lines every few seconds until the run ends: how long the first rows
/// and each turn take, and how long the page's main thread was ever busy.</summary>
/// <remarks>The page is responsive when input gets an answer within 100 ms (web.dev, "Measure performance with the
/// RAIL model", https://web.dev/articles/rail); a task over 50 ms is a long task (W3C Long Tasks API,
/// https://w3c.github.io/longtasks/). A page turn is a status call, so it takes what the status takes, plus drawing.</remarks>
internal static class PageWatchCommand
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Kept by the page from its first script on: the Long Tasks API's entries, and a 50 ms timer's lateness.</summary>
    private const string Probe = """
        window.__watch = { lag: 0, longTasks: 0, longest: 0 };
        new PerformanceObserver(list => {
          for (const entry of list.getEntries()) {
            window.__watch.longTasks++;
            window.__watch.longest = Math.max(window.__watch.longest, entry.duration);
          }
        }).observe({ type: 'longtask', buffered: true });
        (function tick(expected) {
          setTimeout(() => {
            const now = performance.now();
            window.__watch.lag = Math.max(window.__watch.lag, now - expected);
            tick(now + 50);
          }, 50);
        })(performance.now() + 50);
        """;

    public static async Task<int> WatchAsync(CommandLine line)
    {
        var url = line.Required("--url").TrimEnd('/');
        var key = (await File.ReadAllTextAsync(line.Required("--key-file"))).Trim();
        var batch = line.Required("--batch");
        var chromium = line.Optional("--chromium") ?? "/usr/bin/chromium";
        var timeout = TimeSpan.FromSeconds(line.Number("--timeout", 7200, 1, 86_400));
        var every = TimeSpan.FromSeconds(line.Number("--turn-every", 3, 1, 600));
        line.RejectUnread();

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, Locale = "en-GB" });
        context.SetDefaultTimeout((float)TimeSpan.FromMinutes(5).TotalMilliseconds);
        await context.AddInitScriptAsync(Probe);
        var page = await context.NewPageAsync();

        // The key goes where the admin types it, into the tab's session storage; never into a URL.
        await page.GotoAsync(url + "/");
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New import" }).WaitForAsync();

        var clock = Stopwatch.StartNew();
        await page.GotoAsync($"{url}/#batch={batch}");
        var info = page.Locator("#page-info");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#mailbox-rows tr').length > 0");
        var firstRows = clock.Elapsed.TotalMilliseconds;

        var turns = new List<double>();
        var maxRows = 0;
        var watch = Stopwatch.StartNew();
        string status;
        while (true)
        {
            status = await page.Locator("#batch-state").GetAttributeAsync("data-status") ?? "";
            maxRows = Math.Max(maxRows, await page.Locator("#mailbox-rows tr").CountAsync());
            if (status is "Completed" or "Failed" or "Terminated")
            {
                break;
            }

            if (watch.Elapsed > timeout)
            {
                await Console.Error.WriteLineAsync($"scale-page: the run did not end within {timeout.TotalSeconds:N0} s (still {status})");
                return 3;
            }

            var before = await info.TextContentAsync() ?? "";
            var next = page.Locator("#page-next");
            var button = await next.IsEnabledAsync() ? next : page.Locator("#page-first");
            if (await button.IsEnabledAsync())
            {
                var turn = Stopwatch.StartNew();
                await button.ClickAsync();
                await page.WaitForFunctionAsync("before => document.querySelector('#page-info').textContent !== before", before);
                turns.Add(turn.Elapsed.TotalMilliseconds);
            }

            await Task.Delay(every);
        }

        using var probe = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.__watch)"));
        var root = probe.RootElement;
        turns.Sort();
        Console.WriteLine(JsonSerializer.Serialize(new PageWatchReport(status, Math.Round(firstRows, 1), turns.Count,
            turns.Count == 0 ? 0 : ScaleCommand.Percentile(turns, 0.50), turns.Count == 0 ? 0 : ScaleCommand.Percentile(turns, 0.95),
            turns.Count == 0 ? 0 : Math.Round(turns[^1], 1),
            Math.Round(root.GetProperty("lag").GetDouble(), 1), root.GetProperty("longTasks").GetInt32(),
            Math.Round(root.GetProperty("longest").GetDouble(), 1), maxRows), BenchJson.Default.PageWatchReport));
        return 0;
    }
}
