using System.Net;
using System.Text;
using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.StandIns.EntraId;
using MailImport.Testing;
using MailImport.Workflow;
using MailImport.Workflow.Orchestrations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Functions.Tests;

/// <summary>An Azurite of the Functions tests' own.</summary>
public sealed class FunctionsAzuriteFixture
{
    public AzuriteServer Azurite { get; } = AzuriteServer.Start("mi-func-tests", 19000);
}

/// <summary>The HTTP triggers hand each request to the shared handler and start orchestrations through the
/// invocation's Durable client: called here as the Functions host calls them, with a recording client.</summary>
public sealed class ApiFunctionsTests(FunctionsAzuriteFixture fixture) : IClassFixture<FunctionsAzuriteFixture>
{
    private const string Canary = "CanaryFunc77";
    private const string Key = "functions-test-key";

    private ServiceProvider Services(EntraIdStandIn? entra = null, string key = Key)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MailImport:StorageConnectionString"] = fixture.Azurite.ConnectionString,
            ["MailImport:LocalSecretKey"] = Convert.ToBase64String(new byte[32]),
            ["MailImport:Directory"] = "Dovecot",
            ["MailImport:Destination:ImapHost"] = "127.0.0.1",
            ["MailImport:Api:Key"] = key,
            ["MailImport:Api:Entra:Authority"] = entra?.ProductAuthority.AbsoluteUri,
            ["MailImport:Api:Entra:Audience"] = entra?.ApiClientId ?? "",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddMailImportWorkflow();
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<Infrastructure.Storage.BatchStorage>().EnsureContainersAsync(CancellationToken.None).GetAwaiter().GetResult();
        return provider;
    }

    private static async Task<(int Status, JsonElement Body)> InvokeAsync(IServiceProvider services, Func<HttpRequest, Task<IActionResult>> call, HttpContext context)
    {
        context.RequestServices = services;
        context.Response.Body = new MemoryStream();
        var result = await call(context.Request);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
        return (context.Response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static HttpContext Upload(string file, string settings)
    {
        var boundary = "mi-" + Guid.NewGuid().ToString("N");
        var body = $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.txt\"\r\nContent-Type: text/plain\r\n\r\n{file}\r\n"
            + $"--{boundary}\r\nContent-Disposition: form-data; name=\"settings\"\r\n\r\n{settings}\r\n--{boundary}--\r\n";
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("mailimport.example");
        context.Request.Path = "/api/imports";
        context.Request.ContentType = $"multipart/form-data; boundary={boundary}";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.ContentLength = context.Request.Body.Length;
        return WithKey(context);
    }

    /// <summary>The API key, as automation sends it.</summary>
    private static HttpContext WithKey(HttpContext context)
    {
        context.Request.Headers["x-functions-key"] = Key;
        return context;
    }

    [Fact]
    public async Task StartImport_ValidFile_StoresTheBatchAndSchedulesTheBatchOrchestrationByName()
    {
        await using var services = Services();
        var functions = new ApiFunctions(services);
        var client = new RecordingClient();

        var (status, body) = await InvokeAsync(services, r => functions.StartImport(r, client, CancellationToken.None),
            Upload($"ivan {Canary}\nbad_name {Canary}\n", """{"domain":"example.org","source":{"preset":"gmail"}}"""));

        Assert.Equal((int)HttpStatusCode.Accepted, status);
        var batchId = body.GetProperty("batchId").GetString()!;
        var started = Assert.Single(client.Scheduled);
        Assert.Equal(WorkflowNames.ImportBatch, started.Name);
        Assert.Equal($"{batchId}-r1", started.InstanceId);
        var input = Assert.IsType<BatchRunInput>(started.Input);
        Assert.Equal(batchId, input.BatchId);
        Assert.DoesNotContain(Canary, JsonSerializer.Serialize(input), StringComparison.Ordinal);

        // The same batch through the status trigger: stored, its run not yet picked up by a worker.
        var (statusCode, state) = await InvokeAsync(services, r => functions.GetImport(r, batchId, client, CancellationToken.None), WithKey(new DefaultHttpContext()));
        Assert.Equal(200, statusCode);
        Assert.Equal(batchId, state.GetProperty("batchId").GetString());
        Assert.Equal("Pending", state.GetProperty("status").GetString());
    }

    [Fact]
    public async Task StartImport_BadSettings_Answers400NamingTheFieldAndStartsNothing()
    {
        await using var services = Services();
        var client = new RecordingClient();

        var (status, body) = await InvokeAsync(services, r => new ApiFunctions(services).StartImport(r, client, CancellationToken.None),
            Upload($"ivan {Canary}\n", """{"domain":"example.org","source":{"host":"mail.example.net","port":70000}}"""));

        Assert.Equal(400, status);
        Assert.Contains(body.GetProperty("problems").EnumerateArray(), p => p.GetProperty("field").GetString() == "source.port");
        Assert.Empty(client.Scheduled);
    }

    [Fact]
    public async Task GetImport_UnknownBatch_Answers404()
    {
        await using var services = Services();

        var (status, _) = await InvokeAsync(services, r => new ApiFunctions(services).GetImport(r, Guid.NewGuid().ToString("N"), new RecordingClient(), CancellationToken.None), WithKey(new DefaultHttpContext()));

        Assert.Equal(404, status);
    }

    [Fact]
    public async Task ApiTriggers_WithoutKeyOrToken_Answer401_AndStartNothing()
    {
        // The triggers are Anonymous, so this is the only check a call meets on Azure.
        await using var services = Services();
        var functions = new ApiFunctions(services);
        var client = new RecordingClient();
        var id = Guid.NewGuid().ToString("N");
        var calls = new (string Name, Func<HttpRequest, Task<IActionResult>> Call, HttpContext Context)[]
        {
            ("StartImport", r => functions.StartImport(r, client, CancellationToken.None), Upload($"ivan {Canary}\n", """{"domain":"example.org","source":{"preset":"gmail"}}""")),
            ("GetImport", r => functions.GetImport(r, id, client, CancellationToken.None), new DefaultHttpContext()),
            ("GetReport", r => functions.GetReport(r, id, client, CancellationToken.None), new DefaultHttpContext()),
            ("RerunImport", r => functions.RerunImport(r, id, client, CancellationToken.None), new DefaultHttpContext()),
            ("ScheduleImport", r => functions.ScheduleImport(r, id, client, CancellationToken.None), new DefaultHttpContext()),
            ("CloseImport", r => functions.CloseImport(r, id, client, CancellationToken.None), new DefaultHttpContext()),
        };

        foreach (var (name, call, context) in calls)
        {
            context.Request.Headers.Remove("x-functions-key");
            var (status, _) = await InvokeAsync(services, call, context);
            Assert.True(status == 401, $"{name}: {status}");
        }

        Assert.Empty(client.Scheduled);
    }

    [Fact]
    public async Task ApiTriggers_KeyIsAKeyVaultReferenceThatDidNotResolve_TheReferenceTextOpensNothing()
    {
        // infra/main.bicep sets the key as a Key Vault reference; until the secret is stored the platform leaves the
        // reference text in the setting, and whoever read the template knows it.
        const string reference = "@Microsoft.KeyVault(VaultName=kv-mailimport;SecretName=mailimport-api-key)";
        await using var services = Services(key: reference);
        var context = new DefaultHttpContext();
        context.Request.Headers["x-functions-key"] = reference;

        var (status, _) = await InvokeAsync(services, r => new ApiFunctions(services).GetImport(r, Guid.NewGuid().ToString("N"), new RecordingClient(), CancellationToken.None), context);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task ApiTriggers_TakeAnEntraTokenFromMsal_WithItsAppRoles()
    {
        await using var entra = new EntraIdStandIn();
        await entra.StartAsync();
        var reader = entra.AddClient(Workflow.Api.ApiRoles.Read);
        var runner = entra.AddClient(Workflow.Api.ApiRoles.Run);
        await using var services = Services(entra);
        var functions = new ApiFunctions(services);
        var client = new RecordingClient();
        var readToken = await MsalTokens.ForClientAsync(entra.MsalAuthority, reader.ClientId, reader.Secret.Reveal(), entra.ApiAppIdUri, entra.CertificateSha256);
        var runToken = await MsalTokens.ForClientAsync(entra.MsalAuthority, runner.ClientId, runner.Secret.Reveal(), entra.ApiAppIdUri, entra.CertificateSha256);

        var (started, body) = await InvokeAsync(services, r => functions.StartImport(r, client, CancellationToken.None),
            WithBearer(Upload($"ivan {Canary}\n", """{"domain":"example.org","source":{"preset":"gmail"}}"""), runToken));
        var batchId = body.GetProperty("batchId").GetString()!;
        var (read, state) = await InvokeAsync(services, r => functions.GetImport(r, batchId, client, CancellationToken.None), WithBearer(new DefaultHttpContext(), readToken));
        var (refused, error) = await InvokeAsync(services, r => functions.CloseImport(r, batchId, client, CancellationToken.None), WithBearer(new DefaultHttpContext(), readToken));

        Assert.Equal(202, started);
        Assert.Equal(200, read);
        Assert.Equal(batchId, state.GetProperty("batchId").GetString());
        Assert.Equal(403, refused);
        Assert.Contains(Workflow.Api.ApiRoles.Run, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(client.Scheduled);
    }

    [Fact]
    public async Task ApiTriggers_TokenServiceAway_Answer503_NotATokenRefusal()
    {
        // The metadata cannot be read: the caller is told to try again, not that its token is bad.
        var entra = new EntraIdStandIn();
        await entra.StartAsync();
        var token = entra.CreateAccessToken(entra.AddClient(Workflow.Api.ApiRoles.Read));
        await entra.DisposeAsync();
        await using var services = Services(entra);

        var (status, body) = await InvokeAsync(services, r => new ApiFunctions(services).GetImport(r, Guid.NewGuid().ToString("N"), new RecordingClient(), CancellationToken.None),
            WithBearer(new DefaultHttpContext(), token));

        Assert.Equal(503, status);
        Assert.Contains("signing keys", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static HttpContext WithBearer(HttpContext context, string token)
    {
        context.Request.Headers.Remove("x-functions-key");
        context.Request.Headers.Authorization = "Bearer " + token;
        return context;
    }

    [Theory]
    [InlineData("/api/page", null, 302, null)]
    [InlineData("/api/page/", null, 200, "text/html")]
    [InlineData("/api/page/app.js", "app.js", 200, "text/javascript")]
    [InlineData("/api/page/..%2Fhost.json", "../host.json", 404, null)]
    public async Task Page_ServesThePagesFilesWithItsPolicy(string path, string? file, int status, string? contentType)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
        context.Response.Body = new MemoryStream();

        await ApiFunctions.Page(context.Request, file).ExecuteResultAsync(new ActionContext(context, new RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));

        Assert.Equal(status, context.Response.StatusCode);
        if (status == 302)
        {
            Assert.Equal("/api/page/", context.Response.Headers.Location.ToString());
        }

        if (contentType is not null)
        {
            Assert.StartsWith(contentType, context.Response.ContentType, StringComparison.Ordinal);
            Assert.Equal(Workflow.Api.ImportPage.ContentSecurityPolicy, context.Response.Headers.ContentSecurityPolicy.ToString());
        }
    }

    /// <summary>A Durable client that records what it is asked to schedule and knows no instance.</summary>
    internal sealed class RecordingClient() : DurableTaskClient("recording")
    {
        public List<(string Name, string InstanceId, object? Input)> Scheduled { get; } = [];

        public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
        {
            Scheduled.Add((orchestratorName.Name, options!.InstanceId!, input));
            return Task.FromResult(options.InstanceId!);
        }

        public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            Task.FromResult<OrchestrationMetadata?>(null);

        public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) => throw new NotSupportedException();

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
