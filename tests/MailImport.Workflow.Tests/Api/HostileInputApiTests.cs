using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.Api;

/// <summary>Servers of their own for the hostile-input and secret tests: Dovecot source and destination, and Azurite.</summary>
public sealed class HostileServersFixture() : ServerSet("mi-hostile", 5000);

/// <summary>One collection, so that no other class starts a batch while a test checks that nothing was stored.</summary>
[CollectionDefinition(Name)]
public sealed class HostileServers : ICollectionFixture<HostileServersFixture>
{
    public const string Name = "Hostile servers";
}

/// <summary>What an attacker or a careless export sends the HTTP API: every one gets a 4xx with a reason (or a 202 with
/// per-line errors when the file is still usable), never a 500, and the service goes on serving other batches.</summary>
[Collection(HostileServers.Name)]
public sealed class HostileInputApiTests(HostileServersFixture servers) : IAsyncLifetime
{
    private const string Key = "hostile-key-9e2d";
    private ApiTestHost host = null!;

    /// <summary>Hostile credential files by name: the bytes, the answer expected, and (for a 400) the field or code
    /// the answer must name, or (for a 202) how many lines are refused.</summary>
    private static readonly Dictionary<string, (Func<byte[]> Bytes, HttpStatusCode Status, string Names)> Files = new()
    {
        ["long line alone (1 MB)"] = (() => Utf8("ivan " + new string('x', 1024 * 1024)), HttpStatusCode.BadRequest, "line 1"),
        ["long line among good ones"] = (() => Utf8($"ann Secret12\n{new string('y', 512 * 1024)} Secret12\nbob Secret12\n"), HttpStatusCode.Accepted, "1"),
        ["NUL byte on line 2"] = (() => Utf8("ann Secret12\nbob Sec\0ret12\n"), HttpStatusCode.BadRequest, "FileNotText"),
        ["invalid UTF-8"] = (() => [.. Utf8("ann Secret12\nbob Sec"), 0xC3, 0x28, .. Utf8("ret12\n")], HttpStatusCode.BadRequest, "FileNotUtf8"),
        ["overlong UTF-8"] = (() => [.. Utf8("ann Secret"), 0xC0, 0xAF, .. Utf8("12\n")], HttpStatusCode.BadRequest, "FileNotUtf8"),
        ["UTF-8 encoded surrogate"] = (() => [.. Utf8("ann Secret"), 0xED, 0xA0, 0x80, .. Utf8("12\n")], HttpStatusCode.BadRequest, "FileNotUtf8"),
        ["UTF-16 with BOM"] = (() => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("ann Secret12\n")], HttpStatusCode.BadRequest, "FileNotUtf8"),
        ["100,000 lines"] = (() => Utf8(string.Concat(Enumerable.Range(0, 100_000).Select(i => $"user{i} Secret12\n"))), HttpStatusCode.BadRequest, "FileTooManyLines"),
        ["10 MB and one byte"] = (() => Utf8("ann Secret12\n" + new string('#', 10 * 1024 * 1024 - 12)), HttpStatusCode.BadRequest, "larger than 10 MB"),
        ["only a BOM"] = (() => [0xEF, 0xBB, 0xBF], HttpStatusCode.BadRequest, "FileEmpty"),
        ["quotes everywhere"] = (() => Utf8(string.Join("\n",
            "ann Secret12",
            "\"\"\"\" \"\"\"\"",
            "\"a\"b\" c",
            "\" \" \" \"",
            "\"bob\"\"\" \"Sec\"\"ret12\"",
            "\"unterminated Secret12",
            "cy\"ril Secret12",
            "\"dan\" \"pa ss \"\"q\"\"\"",
            "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
            "eve \"Secret12\"\"",
            "\"fay\"\"\"\"\"\"\" Secret12")), HttpStatusCode.Accepted, "10"),
        ["very long fields"] = (() => Utf8(string.Join("\n",
            "ann Secret12",
            new string('l', 5_000) + " Secret12",
            "bob " + new string('p', 100_000),
            $"cyd Secret12 {new string('n', 50_000)} Secret12",
            $"dan Secret12 dan {new string('q', 50_000)}",
            $"\"{new string(' ', 60_000)}\" Secret12")), HttpStatusCode.Accepted, "5"),
        ["Unicode look-alikes"] = (() => Utf8(string.Join("\n",
            "ivan Secret12",
            "\u0456van Secret12",          // Cyrillic і
            "iv\u0430n Secret12",          // Cyrillic а
            "\uFF49\uFF56\uFF41\uFF4E Secret12", // fullwidth ｉｖａｎ
            "iv\u200Ban Secret12",         // zero-width space
            "ivan\u0301 Secret12",         // combining acute
            "\u202Eivan Secret12",         // right-to-left override
            "\u0456van@old.example Secret12",
            "ivan Secret12 iv\u0430n Secret12")), HttpStatusCode.Accepted, "8"),
        ["CR, LF and CRLF mixed"] = (() => Utf8("ann Secret12\r\nbob Secret12\rcyd Secret12\ndan Secret12\r\n\r\r\n\n\reve Secret12"), HttpStatusCode.Accepted, "0"),
        ["terminal escapes and controls"] = (() => Utf8("ann Secret12\n\u001b[31mbob Secret12\ncyd Sec\u007Fret12\ndan\u000BSecret12\n"), HttpStatusCode.Accepted, "3"),
    };

    public static TheoryData<string> FileNames() => new(Files.Keys);

    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, Key);

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static MultipartFormDataContent Upload(byte[] file, string settings)
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(file), "file", "credentials.txt");
        form.Add(new StringContent(settings), "settings");
        return form;
    }

    private string Settings(bool dryRun = true, string source = "") => JsonSerializer.Serialize(new
    {
        domain = WorkflowSettings.Domain,
        source = source.Length > 0
            ? JsonSerializer.Deserialize<JsonElement>(source)
            : JsonSerializer.SerializeToElement(new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 }),
        options = new { dryRun },
    });

    /// <summary>Checks the shape of every refusal: a 4xx in JSON with a sentence, short, naming what it expects.</summary>
    private static async Task<ApiError> AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string? names = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        Assert.True(body.Length < 64 * 1024, $"the answer is {body.Length} characters: it echoes the input");
        var error = JsonSerializer.Deserialize<ApiError>(body, JsonSerializerOptions.Web)!;
        Assert.False(string.IsNullOrWhiteSpace(error.Error));
        if (names is not null)
        {
            Assert.True(body.Contains(names, StringComparison.Ordinal), $"the answer does not name {names}: {body}");
        }

        return error;
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public async Task Start_HostileCredentialFile_ClearAnswerNever500(string name)
    {
        var (bytes, status, names) = Files[name];
        var before = await host.BatchIdsAsync();
        var clock = Stopwatch.StartNew();

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(bytes(), Settings()));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"answered in {clock.Elapsed}");
        if (status == HttpStatusCode.Accepted)
        {
            Assert.True(response.StatusCode == status, await response.Content.ReadAsStringAsync());
            var started = (await response.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
            Assert.Equal(int.Parse(names, System.Globalization.CultureInfo.InvariantCulture), started.InvalidLines);
        }
        else
        {
            await AssertRefusedAsync(response, status, names);
            Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
        }
    }

    [Fact]
    public async Task HostileFilesWhileABatchRuns_TheBatchFinishesAndANewOneStartsAndFinishes()
    {
        var accounts = new[] { servers.Source.AddUniqueUser("hb", "Secret-hb1"), servers.Source.AddUniqueUser("hc", "Secret-hb1") };
        foreach (var account in accounts)
        {
            await MailCorpus.SeedAsync(servers.Source, account, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        }

        using var first = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8($"{accounts[0].Login} Secret-hb1\n"), Settings(dryRun: false)));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var running = (await first.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;

        // Everything at once, while the batch copies.
        var answers = await Task.WhenAll(Files.Values.Select(async f =>
        {
            using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(f.Bytes(), Settings()));
            return response.StatusCode;
        }));
        Assert.All(answers, a => Assert.True(a is HttpStatusCode.BadRequest or HttpStatusCode.Accepted, $"{a}"));

        using var second = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8($"{accounts[1].Login} Secret-hb1\n"), Settings(dryRun: false)));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var next = (await second.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        foreach (var (batch, account) in new[] { (running, accounts[0]), (next, accounts[1]) })
        {
            var status = await host.WaitForAsync(batch.BatchId);
            Assert.Equal("Done", Assert.Single(status.GetProperty("mailboxes").EnumerateArray()).GetProperty("status").GetString());
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                await MailCorpus.SnapshotAsync(servers.Destination, new Mail.Connections.MailAccount($"{account.Login}@{WorkflowSettings.Domain}", account.Password)));
        }
    }

    public static TheoryData<string, string> Routes() => new()
    {
        { "POST", "/api/imports" },
        { "GET", "/api/imports/0123456789abcdef0123456789abcdef" },
        { "GET", "/api/imports/0123456789abcdef0123456789abcdef/report" },
        { "GET", "/api/imports/0123456789abcdef0123456789abcdef/report?format=csv" },
        { "POST", "/api/imports/0123456789abcdef0123456789abcdef/rerun" },
        { "POST", "/api/imports/0123456789abcdef0123456789abcdef/close" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task AnyRoute_NoKeyOrAWrongOne_Is401AndNothingIsStored(string method, string path)
    {
        var before = await host.BatchIdsAsync();
        // (A trailing space is no test: HTTP drops whitespace around a header value, so "key " arrives as "key".)
        foreach (var key in new[] { null, "wrong", Key.ToUpperInvariant(), Key[..^1], Key + "x", " ", new string('k', 10_000) })
        {
            using var response = await host.SendAsync(new HttpMethod(method), path, Upload(Utf8("ann Secret12\n"), Settings()), key);
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized);
        }

        using var wrongCode = await host.SendAsync(new HttpMethod(method), path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "code=wrong", Upload(Utf8("ann Secret12\n"), Settings()), key: null);
        await AssertRefusedAsync(wrongCode, HttpStatusCode.Unauthorized);
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Theory]
    [InlineData("..%2F..%2Fmailimport-secrets")]
    [InlineData("%2e%2e")]
    [InlineData("..")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef0123456789abcdef-r1")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("%200123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    public async Task AnyRoute_IdNotOurs_Is404(string id)
    {
        foreach (var (method, suffix) in new[] { ("GET", ""), ("GET", "/report"), ("POST", "/rerun"), ("POST", "/close") })
        {
            using var response = await host.SendAsync(new HttpMethod(method), $"/api/imports/{id}{suffix}");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {id}{suffix}: {(int)response.StatusCode}");
        }
    }

    [Theory]
    [InlineData("{\"port\": 0, \"host\": \"127.0.0.1\"}", "source.port")]
    [InlineData("{\"port\": 70000, \"host\": \"127.0.0.1\"}", "source.port")]
    [InlineData("{\"port\": -1, \"host\": \"127.0.0.1\"}", "source.port")]
    [InlineData("{\"host\": \"mail server.example\"}", "source.host")]
    [InlineData("{\"host\": \"mail.example\\n.org\"}", "source.host")]
    [InlineData("{\"host\": \"../../etc/passwd\"}", "source.host")]
    [InlineData("{\"host\": \"\"}", "source.host")]
    [InlineData("{\"host\": \"127.0.0.1\", \"security\": \"plaintext\"}", "source.security")]
    [InlineData("{\"host\": \"127.0.0.1\", \"security\": \"none\", \"trustedCertificateSha256\": \"AB\"}", "source.trustedCertificateSha256")]
    [InlineData("{\"preset\": \"gmail\", \"security\": \"none\"}", "source.security")]
    [InlineData("{\"preset\": \"gmail\", \"host\": \"evil.example\"}", "source.host")]
    [InlineData("{\"protocol\": \"smtp\", \"host\": \"127.0.0.1\"}", "source.protocol")]
    public async Task Start_BadSourceSetting_Is400NamingTheField(string source, string field)
    {
        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("ann Secret12\n"), Settings(source: source)));

        var error = await AssertRefusedAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(field, error.Problems!.Select(p => p.Field));
    }

    public static TheoryData<string, string?, string> MalformedBodies() => new()
    {
        { "missing boundary", "multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nann Secret12\r\n--x--\r\n" },
        { "boundary that never comes", "multipart/form-data; boundary=zzz", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nann Secret12\r\n--x--\r\n" },
        { "truncated part", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nann Secr" },
        { "part without headers end", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"" },
        { "header line of 100 KB", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + new string('a', 100_000) + "\"\r\n\r\nann Secret12\r\n--x--\r\n" },
        { "settings not JSON", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nann Secret12\r\n--x\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n{domain:\r\n--x--\r\n" },
        { "settings an array", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nann Secret12\r\n--x\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n[1,2]\r\n--x--\r\n" },
        { "file as a plain field", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nann Secret12\r\n--x--\r\n" },
        { "JSON truncated", "application/json", "{\"domain\": \"example.org\", \"entries\": [{\"login\": \"ann\"" },
        { "JSON null", "application/json", "null" },
        { "JSON array", "application/json", "[{\"login\": \"ann\", \"password\": \"Secret12\"}]" },
        { "JSON string", "application/json", "\"ann Secret12\"" },
        { "JSON number", "application/json", "42" },
        { "JSON empty", "application/json", "" },
        { "JSON entries a number", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\"}, \"entries\": 5}" },
        { "JSON entries null", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\"}, \"entries\": null}" },
        { "JSON source a string", "application/json", "{\"domain\": \"example.org\", \"source\": \"imap.example.org\"}" },
        { "JSON port a string", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\", \"port\": \"993\"}}" },
        { "JSON port too big for int", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\", \"port\": 99999999999}}" },
        { "JSON options an array", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\"}, \"options\": []}" },
        { "JSON nested 10,000 deep", "application/json", new string('[', 10_000) + new string(']', 10_000) },
        { "JSON entries nested 100 deep", "application/json", "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\"}, \"entries\": " + new string('[', 60) + new string(']', 60) + "}" },
        { "JSON duplicate keys", "application/json", "{\"domain\": \"example.org\", \"domain\": \"evil.example\", \"source\": {\"host\": \"127.0.0.1\"}, \"entries\": []}" },
    };

    /// <summary>Bodies of a type a start does not take: refused by type, never read as a default.</summary>
    public static TheoryData<string, string?, string> UnsupportedBodies() => new()
    {
        { "url-encoded form", "application/x-www-form-urlencoded", "file=ann+Secret12" },
        { "no content type", null, "ann Secret12" },
        { "text/plain", "text/plain", "ann Secret12" },
        { "XML", "application/xml", "<entries><entry login=\"ann\" password=\"Secret12\"/></entries>" },
        { "JSON as text/plain", "text/plain", "{\"domain\": \"example.org\", \"entries\": []}" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedBodies))]
    public async Task Start_BodyOfAnotherType_Is415NamingTheTypesItTakes_AndNothingStored(string name, string? contentType, string body)
    {
        var before = await host.BatchIdsAsync();
        var content = new ByteArrayContent(Utf8(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", content);

        var error = await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
        Assert.True(error.Error.Contains("application/json", StringComparison.Ordinal), name);
        Assert.DoesNotContain("Secret12", error.Error, StringComparison.Ordinal);
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Start_MalformedBody_Is400WithAReasonAndNothingStored(string name, string? contentType, string body)
    {
        var before = await host.BatchIdsAsync();
        var content = new ByteArrayContent(Utf8(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", content);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Fact]
    public async Task AnyRoute_IdWithAnEncodedNul_IsRefusedByKestrelNot500()
    {
        using var response = await host.SendAsync(HttpMethod.Get, "/api/imports/0123456789abcdef0123456789abcdef%00");

        // Kestrel refuses a %00 in the path itself (400) before any route runs; no id with it can be ours.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Start_JsonWithInvalidUtf8_Is400()
    {
        var content = new ByteArrayContent([.. Utf8("{\"domain\": \"example.org\", \"entries\": [{\"login\": \"ann\", \"password\": \"Sec"), 0xFF, 0xFE, .. Utf8("\"}]}")]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await host.SendAsync(HttpMethod.Post, "/api/imports", content);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest);
    }

    /// <summary>A body sent in chunks (no Content-Length) cannot be refused from its header: the limit must hold while
    /// it is read, and answer before the whole of it has been taken in.</summary>
    [Theory]
    [InlineData("application/json")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Start_ChunkedBodyOverTheLimit_IsRefusedNot500(string contentType)
    {
        var before = await host.BatchIdsAsync();
        var content = new StreamContent(new EndlessBody(contentType.StartsWith("application/json", StringComparison.Ordinal)
            ? "{\"domain\": \"example.org\", \"entries\": [" : "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n", ImportApi.MaxBodyBytes * 3));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var clock = Stopwatch.StartNew();

        HttpResponseMessage response;
        try
        {
            response = await host.SendAsync(HttpMethod.Post, "/api/imports", content);
        }
        catch (HttpRequestException)
        {
            // Kestrel may answer and close while the client still writes; then the answer is lost to HttpClient, which
            // is the point: the server stopped reading. What it answered is checked in its own log below.
            Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
            return;
        }

        using (response)
        {
            Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest,
                $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"answered in {clock.Elapsed}");
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Fact]
    public async Task Rerun_MalformedBody_Is400WithAReason()
    {
        using var started = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("nobody Secret12\n"), Settings()));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var batch = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;

        foreach (var body in new[] { "null", "[1]", "\"retryFailed\"", "7", "{\"mode\": 5}", "{\"mode\": \"everything\"}", "{\"entries\": 5}", "{\"mode\": \"incremental\"", new string('[', 5_000) })
        {
            using var response = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body[..Math.Min(body.Length, 40)]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest);
        }

        var chunked = new StreamContent(new EndlessBody("{\"mode\": \"incremental\", \"entries\": [", ImportApi.MaxBodyBytes * 3));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun", chunked);
            Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}");
        }
        catch (HttpRequestException)
        {
            // The server answered and closed while the client still wrote: it did not read it all.
        }

        var status = await host.WaitForAsync(batch);
        Assert.Single(status.GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public async Task Upload_LargerThanTheFormBufferDefault_NeverTouchesTheDisk()
    {
        // ASP.NET Core spools to ASPNETCORE_<guid>.tmp in its temp directory (ASPNETCORE_TEMP, else the system's) and
        // deletes the file when the request ends: look for one all the time a 1 MB credential file is uploaded.
        var temp = Environment.GetEnvironmentVariable("ASPNETCORE_TEMP") is { Length: > 0 } t ? t : Path.GetTempPath();
        var before = Directory.GetFiles(temp, "ASPNETCORE_*.tmp").ToHashSet();
        var spools = new HashSet<string>();
        using var uploaded = new CancellationTokenSource();
        var looking = Task.Run(async () =>
        {
            while (!uploaded.IsCancellationRequested)
            {
                spools.UnionWith(Directory.GetFiles(temp, "ASPNETCORE_*.tmp").Where(f => !before.Contains(f)));
                await Task.Delay(2);
            }
        });
        var file = string.Join('\n', Enumerable.Range(1, 30_000).Select(i => $"user{i:00000}@old.example \"Spool pw {i:00000}\""));

        using (var response = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8(file), Settings())))
        {
            // More lines than one import takes: refused after the form was read, so no run loads the test host.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        await uploaded.CancelAsync();
        await looking;
        Assert.True(Encoding.UTF8.GetByteCount(file) > 1_000_000);
        Assert.Empty(spools);
    }

    [Fact]
    public async Task Rerun_JsonSentAsAForm_Is400NamingTheContentType_AndStartsNoRun()
    {
        using var started = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("nobody Secret12\n"), Settings()));
        var batch = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        await host.WaitForAsync(batch);

        // What curl -d '{"mode":"incremental"}' sends without -H 'Content-Type: application/json'.
        using var asForm = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun",
            new StringContent("{\"mode\":\"incremental\"}", Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var unknownField = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["mdoe"] = "incremental" }));
        using var credentialLine = await host.SendAsync(HttpMethod.Post, $"/api/imports/{batch}/rerun",
            new StringContent("ivan Secret12", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Contains("Content-Type: application/json", (await AssertRefusedAsync(asForm, HttpStatusCode.BadRequest)).Error, StringComparison.Ordinal);
        Assert.Contains("\"mdoe\", which this call does not take", (await AssertRefusedAsync(unknownField, HttpStatusCode.BadRequest)).Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret12", (await AssertRefusedAsync(credentialLine, HttpStatusCode.BadRequest)).Error, StringComparison.Ordinal);
        var status = await host.WaitForAsync(batch);
        Assert.Single(status.GetProperty("runs").EnumerateArray());
    }

    [Fact]
    public async Task Rerun_BodyOfAnotherTypeOrUnknownField_IsRefusedNamingIt_NoBodyIsRetryFailed()
    {
        using var started = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("nobody Secret12\n"), Settings()));
        var batch = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        await host.WaitForAsync(batch);
        var rerun = $"/api/imports/{batch}/rerun";

        // JSON claimed as text, JSON with no Content-Type, a misspelt JSON field, a mode that is none, an empty form mode.
        using var asText = await host.SendAsync(HttpMethod.Post, rerun, new StringContent("{\"mode\":\"incremental\"}", Encoding.UTF8, "text/plain"));
        var untyped = new ByteArrayContent(Utf8("{\"mode\":\"incremental\"}"));
        using var noType = await host.SendAsync(HttpMethod.Post, rerun, untyped);
        using var misspelt = await host.SendAsync(HttpMethod.Post, rerun, JsonContent.Create(new { mdoe = "incremental" }));
        using var badMode = await host.SendAsync(HttpMethod.Post, rerun, JsonContent.Create(new { mode = "full" }));
        using var emptyMode = await host.SendAsync(HttpMethod.Post, rerun, new FormUrlEncodedContent(new Dictionary<string, string> { ["mode"] = "" }));

        await AssertRefusedAsync(asText, HttpStatusCode.UnsupportedMediaType, "Content-Type text/plain; this call takes application/json");
        await AssertRefusedAsync(noType, HttpStatusCode.UnsupportedMediaType, "no Content-Type");
        await AssertRefusedAsync(misspelt, HttpStatusCode.BadRequest, "the field \\u0022mdoe\\u0022");
        await AssertRefusedAsync(badMode, HttpStatusCode.BadRequest, "mode");
        await AssertRefusedAsync(emptyMode, HttpStatusCode.BadRequest, "mode");
        Assert.Single((await host.WaitForAsync(batch)).GetProperty("runs").EnumerateArray());

        // A url-encoded mode is taken as it says; no body at all is the documented default, retryFailed.
        using var asForm = await host.SendAsync(HttpMethod.Post, rerun, new FormUrlEncodedContent(new Dictionary<string, string> { ["mode"] = "incremental" }));
        Assert.Equal(HttpStatusCode.Accepted, asForm.StatusCode);
        await host.WaitForAsync(batch);
        using var noBody = await host.SendAsync(HttpMethod.Post, rerun);
        Assert.Equal(HttpStatusCode.Accepted, noBody.StatusCode);
        var runs = (await host.WaitForAsync(batch)).GetProperty("runs").EnumerateArray().Skip(1).Select(r => r.GetProperty("mode").GetString()).ToList();
        Assert.Equal(["Incremental", "RetryFailed"], runs);
    }

    [Fact]
    public async Task Schedule_BodyOfAnotherTypeOrUnknownField_IsRefusedNamingIt()
    {
        using var started = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("nobody Secret12\n"), Settings()));
        var batch = (await started.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId;
        var path = $"/api/imports/{batch}/schedule";

        using var asForm = await host.SendAsync(HttpMethod.Post, path, new StringContent("{\"schedule\":\"default\"}", Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var misspelt = await host.SendAsync(HttpMethod.Post, path, JsonContent.Create(new { schedule = "default", when = "now" }));

        await AssertRefusedAsync(asForm, HttpStatusCode.UnsupportedMediaType, "application/json");
        await AssertRefusedAsync(misspelt, HttpStatusCode.BadRequest, "the field \\u0022when\\u0022");
        Assert.False((await host.WaitForAsync(batch)).TryGetProperty("schedule", out _));
    }

    [Fact]
    public async Task Start_UnknownSettingsField_Is400NamingItsPath()
    {
        var before = await host.BatchIdsAsync();
        using var json = await host.SendAsync(HttpMethod.Post, "/api/imports", new StringContent(
            "{\"domain\": \"example.org\", \"source\": {\"host\": \"127.0.0.1\", \"sercurity\": \"ssl\"}, \"entries\": [{\"login\": \"ann\", \"password\": \"Secret12\"}]}", Encoding.UTF8, "application/json"));
        using var topLevel = await host.SendAsync(HttpMethod.Post, "/api/imports", new StringContent(
            "{\"domain\": \"example.org\", \"dryrun\": true, \"entries\": [{\"login\": \"ann\", \"password\": \"Secret12\"}]}", Encoding.UTF8, "application/json"));
        using var form = await host.SendAsync(HttpMethod.Post, "/api/imports", Upload(Utf8("ann Secret12\n"), JsonSerializer.Serialize(new { domain = "example.org", options = new { dryRun = true, shedule = "default" } })));

        await AssertRefusedAsync(json, HttpStatusCode.BadRequest, "$.source.sercurity");
        await AssertRefusedAsync(topLevel, HttpStatusCode.BadRequest, "$.dryrun");
        await AssertRefusedAsync(form, HttpStatusCode.BadRequest, "$.options.shedule");
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    /// <summary>A request body of the given length that is never buffered by the client: a prefix, then filler.</summary>
    private sealed class EndlessBody(string prefix, long length) : Stream
    {
        private readonly byte[] head = Encoding.UTF8.GetBytes(prefix);
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = position + i < head.Length ? head[position + i] : (byte)'a';
            }

            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
