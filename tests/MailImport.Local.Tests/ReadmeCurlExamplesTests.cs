using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailImport.Local;
using MailImport.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Local.Tests;

/// <summary>README.md's curl examples, read from the README at test time and run with the curl binary against the
/// local host: each answers what the README says it does.</summary>
public sealed partial class ReadmeCurlExamplesTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Key = "readme-test-key";

    /// <summary>curl examples of the README that cannot run here, by their text, with why.</summary>
    private static readonly Dictionary<string, string> Skipped = new(StringComparer.Ordinal)
    {
        ["curl -H \"Authorization: Bearer $TOKEN\" $API/$BATCH"] =
            "needs an access token of a real Microsoft Entra ID tenant; EntraAccessTests runs bearer tokens against the OpenID Connect stand-in",
    };

    [Fact]
    public void Readme_EveryCurlExample_IsRunByTheTestOrSkippedByName()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var run = ApiSectionExamples(readme);
        var inline = InlineCurl().Matches(readme).Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(run);
        Assert.All(run, example => Assert.NotNull(Expectation(example)));
        Assert.All(inline, example => Assert.True(Skipped.ContainsKey(example) || run.Contains(example), $"README's `{example}` is neither run nor skipped by name"));
        Assert.All(Skipped.Keys, example => Assert.Contains(example, readme, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readme_ApiExamples_RunWithCurl_AnswerAsDocumented()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var examples = ApiSectionExamples(readme);
        var good = servers.Source.AddUser($"rdg{Guid.NewGuid():N}"[..15], "GoodPass12");
        var retry = servers.Source.AddUser($"rdr{Guid.NewGuid():N}"[..15], "RightPass12");
        var work = Directory.CreateTempSubdirectory("mi-readme-").FullName;
        await File.WriteAllTextAsync(Path.Combine(work, "credentials.txt"), $"{good.Login} GoodPass12\n{retry.Login} WrongPass12\n");
        await File.WriteAllTextAsync(Path.Combine(work, "fixed-lines.txt"), $"{retry.Login} RightPass12\n");

        await using var app = LocalHost.Build([], configuration => configuration.AddInMemoryCollection(WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Local:Urls", "http://127.0.0.1:0"),
            ("MailImport:TaskHub", "Readme" + Guid.NewGuid().ToString("N")[..8]),
            ("MailImport:Api:Key", Key),
            ("Logging:LogLevel:Default", "Warning"))));
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add("x-functions-key", Key);

        // The README's source servers (a Gmail preset, a made-up host) become the test's Dovecot; nothing else changes.
        var source = JsonSerializer.Serialize(new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 });
        var session = new CurlSession(work, new Uri(http.BaseAddress, "/api/imports").ToString());
        foreach (var example in examples)
        {
            var command = SourceObject().Replace(example, "\"source\":" + source);
            var expectation = Expectation(example)!;
            foreach (var variant in Variants(command))
            {
                var answer = await session.RunAsync(variant);
                Assert.True(answer.Status == expectation.Status, $"`{example}` answered {answer.Status}, not {expectation.Status}: {answer.Body}\n{answer.Errors}");
                await expectation.Check(new ExampleRun(variant, answer, session, http));
            }
        }

        await app.StopAsync();
    }

    /// <summary>The curl commands of the fenced shell blocks of README's "## HTTP API" section, continuation lines joined.</summary>
    internal static List<string> ApiSectionExamples(string readme)
    {
        var section = readme[readme.IndexOf("\n## HTTP API\n", StringComparison.Ordinal)..];
        section = section[..(section.IndexOf("\n## ", 1, StringComparison.Ordinal) is var end and > 0 ? end : section.Length)];
        var examples = new List<string>();
        foreach (Match block in ShellBlock().Matches(section))
        {
            var joined = Regex.Replace(block.Groups[1].Value, @"\\\r?\n\s*", " ");
            examples.AddRange(joined.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("curl ", StringComparison.Ordinal)));
        }

        return examples;
    }

    /// <summary>The example as written and, when its comment says `# or "X"`, with its quoted mode replaced by X.</summary>
    private static IEnumerable<string> Variants(string command)
    {
        yield return command;
        if (OrMode().Match(command) is { Success: true } or)
        {
            yield return Regex.Replace(command, "\"mode\":\"[A-Za-z]+\"", $"\"mode\":\"{or.Groups[1].Value}\"");
        }
    }

    /// <summary>What README says each example does; null for an example this test does not know (a new one: add it).</summary>
    private static Example? Expectation(string example) => example switch
    {
        _ when example.Contains("-F file=@credentials.txt", StringComparison.Ordinal) => new(202, async run =>
        {
            run.Session.Batch = run.Answer.Json.GetProperty("batchId").GetString()!;
            var status = await run.WaitForRunsAsync(1);
            Assert.Equal(["Done", "Failed"], status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        }),
        _ when example.Contains("\"entries\":", StringComparison.Ordinal) => new(202, async run =>
        {
            var batch = run.Answer.Json.GetProperty("batchId").GetString()!;
            Assert.NotEqual(run.Session.Batch, batch);
            Assert.Equal(1, run.Answer.Json.GetProperty("mailboxes").GetInt32());
            await WaitAsync(run.Http, batch, 1);
        }),
        _ when example.Contains("/report?format=csv", StringComparison.Ordinal) => new(200, run =>
        {
            Assert.StartsWith("text/csv", run.Answer.ContentType, StringComparison.Ordinal);
            Assert.True(3 <= run.Answer.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, run.Answer.Body);
            return Task.CompletedTask;
        }),
        _ when example.Contains("-d '{\"mode\":", StringComparison.Ordinal) => new(202, async run =>
        {
            var mode = OrModeValue().Match(run.Command).Groups[1].Value;
            var runs = (await run.WaitForRunsAsync(run.Session.Runs + 1)).GetProperty("runs");
            Assert.Equal(mode, runs[runs.GetArrayLength() - 1].GetProperty("mode").GetString(), StringComparer.OrdinalIgnoreCase);
        }),
        _ when example.Contains("-F file=@fixed-lines.txt", StringComparison.Ordinal) => new(202, async run =>
        {
            var status = await run.WaitForRunsAsync(run.Session.Runs + 1);
            var runs = status.GetProperty("runs");
            Assert.Equal("RetryFailed", runs[runs.GetArrayLength() - 1].GetProperty("mode").GetString());
            Assert.Equal(["Done", "Done"], status.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("status").GetString()));
        }),
        // The README's batch logs in with passwords: MailImport generated none, so there is nothing to hand out (yet).
        _ when example.Contains("$API/$BATCH/passwords", StringComparison.Ordinal) => new(404, run =>
        {
            Assert.Contains("generated no password", run.Answer.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
            return Task.CompletedTask;
        }),
        _ when example.Contains("$API/$BATCH?state=failed&limit=100", StringComparison.Ordinal) => new(200, run =>
        {
            var answer = run.Answer.Json;
            var failed = answer.GetProperty("counts").EnumerateObject().Single(p => string.Equals(p.Name, "Failed", StringComparison.OrdinalIgnoreCase)).Value.GetInt32();
            Assert.Equal((failed, 100), (answer.GetProperty("page").GetProperty("matched").GetInt32(), answer.GetProperty("page").GetProperty("limit").GetInt32()));
            Assert.All(answer.GetProperty("mailboxes").EnumerateArray(), m => Assert.Equal("Failed", m.GetProperty("status").GetString()));
            return Task.CompletedTask;
        }),
        _ when example.Contains("$API/$BATCH/close", StringComparison.Ordinal) => new(202, async run =>
        {
            Assert.True(run.Answer.Json.GetProperty("closed").GetBoolean());
            Assert.Equal("Closing", run.Answer.Json.GetProperty("closeState").GetString());
            // Marked at once; the run's end and the secrets' deletion follow: the status says Closed once done.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while ((await run.Http.GetFromJsonAsync<JsonElement>($"/api/imports/{run.Session.Batch}")).GetProperty("closeState").GetString() != "Closed")
            {
                Assert.True(DateTime.UtcNow < deadline, "The close never finished.");
                await Task.Delay(200);
            }
        }),
        _ when example.EndsWith("$API/$BATCH", StringComparison.Ordinal) || example.Contains("$API/$BATCH  ", StringComparison.Ordinal) || example.Contains("$API/$BATCH #", StringComparison.Ordinal) => new(200, run =>
        {
            Assert.Equal(run.Session.Batch, run.Answer.Json.GetProperty("batchId").GetString());
            Assert.Equal(2, run.Answer.Json.GetProperty("mailboxes").GetArrayLength());
            return Task.CompletedTask;
        }),
        _ => null,
    };

    /// <summary>The batch's status once it has <paramref name="runs"/> runs and the last has ended.</summary>
    private static async Task<JsonElement> WaitAsync(HttpClient http, string batch, int runs)
    {
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            var status = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{batch}");
            if (status.GetProperty("runs").GetArrayLength() >= runs && status.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return status;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Batch {batch} did not end run {runs}.");
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"`(curl [^`]+)`")]
    private static partial Regex InlineCurl();

    [GeneratedRegex("\"source\":\\{[^{}]*\\}")]
    private static partial Regex SourceObject();

    [GeneratedRegex("# or \"([A-Za-z]+)\"")]
    private static partial Regex OrMode();

    [GeneratedRegex("\"mode\":\"([A-Za-z]+)\"")]
    private static partial Regex OrModeValue();

    /// <summary>What an example answers and what it must have done.</summary>
    private sealed record Example(int Status, Func<ExampleRun, Task> Check);

    /// <summary>One example as run, with what it answered.</summary>
    private sealed record ExampleRun(string Command, CurlAnswer Answer, CurlSession Session, HttpClient Http)
    {
        public async Task<JsonElement> WaitForRunsAsync(int runs)
        {
            var status = await WaitAsync(Http, Session.Batch, runs);
            Session.Runs = status.GetProperty("runs").GetArrayLength();
            return status;
        }
    }

    /// <summary>What curl printed: the status, the content type and the body.</summary>
    private sealed record CurlAnswer(int Status, string ContentType, string Body, string Errors)
    {
        public JsonElement Json => JsonSerializer.Deserialize<JsonElement>(Body);
    }

    /// <summary>The shell the examples run in: $KEY, $API and $BATCH set as README's first line sets them, the
    /// files in the working directory.</summary>
    private sealed class CurlSession(string directory, string api)
    {
        public string Batch { get; set; } = "";

        public int Runs { get; set; } = 1;

        public async Task<CurlAnswer> RunAsync(string command)
        {
            var body = Path.Combine(directory, "answer");
            // curl's own options go first; the example's follow unchanged (https://curl.se/docs/manpage.html#-w).
            var script = "curl -sS -o \"$ANSWER\" -w '%{http_code} %{content_type}' " + command["curl ".Length..];
            var start = new ProcessStartInfo("bash", ["-c", script])
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["KEY"] = Key, ["API"] = api, ["BATCH"] = Batch, ["ANSWER"] = body },
            };
            using var curl = Process.Start(start)!;
            var output = curl.StandardOutput.ReadToEndAsync();
            var errors = curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync();
            Assert.True(curl.ExitCode == 0, $"`{command}`: curl exited {curl.ExitCode}: {await errors}");
            var written = (await output).Split(' ', 2);
            return new CurlAnswer(int.Parse(written[0], System.Globalization.CultureInfo.InvariantCulture), written.ElementAtOrDefault(1) ?? "", await File.ReadAllTextAsync(body), await errors);
        }
    }
}
