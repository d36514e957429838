using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MailImport.StandIns;

/// <summary>One RFC 7662 introspection endpoint for a Dovecot's oauth2 passdb (<c>introspection_mode = post</c>) that
/// asks each token service stand-in about a token in turn: a Dovecot takes one introspection URL, and a source that
/// stands for both Gmail and Exchange Online must accept the tokens of both.</summary>
/// <remarks>The port is fixed (the URL is part of the Dovecot instance's configuration, the same on every run).</remarks>
public sealed class SourceTokenIntrospection(int port, params Func<string, IReadOnlyDictionary<string, object>?>[] services) : IAsyncDisposable
{
    private WebApplication? app;
    private int asked;

    /// <summary>Where Dovecot posts tokens.</summary>
    public string Url { get; } = $"http://127.0.0.1:{port}/introspect";

    /// <summary>How many tokens were posted so far.</summary>
    public int Asked => asked;

    /// <summary>Starts listening.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        app = builder.Build();
        app.MapPost("/introspect", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref asked);
            var token = request.HasFormContentType ? (await request.ReadFormAsync(request.HttpContext.RequestAborted))["token"].ToString() : "";
            var answer = services.Select(s => s(token)).FirstOrDefault(a => a is not null) ?? new Dictionary<string, object> { ["active"] = false };
            return Results.Text(JsonSerializer.Serialize(answer), "application/json");
        });
        await app.StartAsync();
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }
}
