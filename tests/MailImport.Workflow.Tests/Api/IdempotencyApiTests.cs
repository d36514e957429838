using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MailImport.Workflow.Api;
using MailImport.Workflow.Tests.EndToEnd;

namespace MailImport.Workflow.Tests.Api;

/// <summary>POST /api/imports with an Idempotency-Key header
/// (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/), on Kestrel with the real workflow,
/// Azurite and Dovecot.</summary>
[Collection(WorkflowServers.Name)]
public sealed class IdempotencyApiTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Key = "test-key-idem";
    private ApiTestHost host = null!;

    public async Task InitializeAsync() => host = await ApiTestHost.StartAsync(servers, Key);

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task SameKeyTwice_AnswersTheSameBatch_AndStartsOne()
    {
        var before = await host.BatchIdsAsync();
        var key = $"\"{Guid.NewGuid()}\"";
        var body = Body("first");

        using var first = await StartAsync(body, key);
        using var second = await StartAsync(body, key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, second.StatusCode));
        var one = (await first.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        var two = (await second.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        Assert.Equal(one, two);
        Assert.Equal([one.BatchId], (await host.BatchIdsAsync()).Except(before));
        await host.WaitForAsync(one.BatchId);
    }

    [Fact]
    public async Task MultipartStart_SameKeyTwice_AnswersTheSameBatch_AndStartsOne()
    {
        var before = await host.BatchIdsAsync();
        var key = Guid.NewGuid().ToString();
        var file = $"{$"form{Guid.NewGuid():N}"[..12]} Wrong-pass1\n";

        // Each form is written anew, as a client retrying a lost answer does: with a boundary of its own.
        using var first = await StartFormAsync(file, key);
        using var second = await StartFormAsync(file, key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, second.StatusCode));
        var one = (await first.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        Assert.Equal(one, await second.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web));
        Assert.Equal([one.BatchId], (await host.BatchIdsAsync()).Except(before));
        // Another file under the same key is another request.
        using var other = await StartFormAsync($"other{file}", key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        await host.WaitForAsync(one.BatchId);
    }

    [Fact]
    public async Task SameKeyWithAnotherBody_Is422_AndStartsNothingMore()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await StartAsync(Body("first"), key);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var before = await host.BatchIdsAsync();

        using var other = await StartAsync(Body("other"), key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
        await host.WaitForAsync((await first.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId);
    }

    [Fact]
    public async Task SameKeyConcurrently_StartsOneBatch_EveryAcceptedAnswerNamesIt()
    {
        var before = await host.BatchIdsAsync();
        var key = Guid.NewGuid().ToString();
        var body = Body("concurrent");

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => StartAsync(body, key)));

        var created = Assert.Single((await host.BatchIdsAsync()).Except(before));
        // The draft's section 2.6: a repeat while the first is being handled is a 409.
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var accepted = answers.Where(a => a.StatusCode == HttpStatusCode.Accepted).ToList();
        Assert.NotEmpty(accepted);
        foreach (var answer in accepted)
        {
            Assert.Equal(created, (await answer.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!.BatchId);
        }

        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        await host.WaitForAsync(created);
    }

    [Fact]
    public async Task RefusedStart_FreesTheKey_ForTheCorrectedBody()
    {
        var key = Guid.NewGuid().ToString();
        var refusedBody = JsonSerializer.SerializeToUtf8Bytes(new { domain = "example.org", source = new { preset = "no-such-preset" }, entries = new[] { new { login = "ivan", password = "Secret12" } } }, JsonSerializerOptions.Web);
        using var refused = await StartAsync(refusedBody, key);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var before = await host.BatchIdsAsync();

        using var corrected = await StartAsync(Body("corrected"), key);

        Assert.Equal(HttpStatusCode.Accepted, corrected.StatusCode);
        var started = (await corrected.Content.ReadFromJsonAsync<StartedImport>(JsonSerializerOptions.Web))!;
        Assert.Equal([started.BatchId], (await host.BatchIdsAsync()).Except(before));
        await host.WaitForAsync(started.BatchId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"\"")]
    [InlineData("key with spaces")]
    public async Task BadKey_Is400NamingTheHeader_AndStartsNothing(string key)
    {
        var before = await host.BatchIdsAsync();

        using var response = await StartAsync(Body("bad"), key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = Assert.Single((await response.Content.ReadFromJsonAsync<ApiError>(JsonSerializerOptions.Web))!.Problems!);
        Assert.Equal(("Idempotency-Key", "IdempotencyKeyInvalid"), (problem.Field, problem.Code));
        Assert.Equal(before.Order(), (await host.BatchIdsAsync()).Order());
    }

    [Fact]
    public async Task KeyLongerThanTheLimit_Is400()
    {
        using var response = await StartAsync(Body("long"), new string('k', IdempotentStarts.MaxKeyLength + 1));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("IdempotencyKeyInvalid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A JSON start whose one line logs in with a wrong password: the batch runs quickly and touches no mail.</summary>
    private byte[] Body(string login) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        domain = "example.org",
        source = new { protocol = "imap", host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
        entries = new[] { new { login = $"{login}{Guid.NewGuid():N}"[..12], password = "Wrong-pass1" } },
    }, JsonSerializerOptions.Web);

    private async Task<HttpResponseMessage> StartFormAsync(string file, string idempotencyKey)
    {
        var settings = new
        {
            domain = "example.org",
            source = new { protocol = "imap", host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports")
        {
            Content = new MultipartFormDataContent
            {
                { new ByteArrayContent(Encoding.UTF8.GetBytes(file)), "file", "credentials.txt" },
                { new StringContent(JsonSerializer.Serialize(settings, JsonSerializerOptions.Web)), "settings" },
            },
        };
        request.Headers.Add("x-functions-key", Key);
        request.Headers.TryAddWithoutValidation(IdempotentStarts.Header, idempotencyKey);
        return await host.Http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> StartAsync(byte[] body, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.Add("x-functions-key", Key);
        request.Headers.TryAddWithoutValidation(IdempotentStarts.Header, idempotencyKey);
        return await host.Http.SendAsync(request);
    }
}
