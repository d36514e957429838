using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using MailImport.Core;
using MailImport.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MailImport.Mail.Tests.Connections;

/// <summary>One POST the endpoint answered: its path, content type and form fields.</summary>
public sealed record IntrospectionRequest(string Path, string? ContentType, IReadOnlyDictionary<string, string> Form);

/// <summary>An OAuth 2.0 token introspection endpoint (RFC 7662) on Kestrel at 127.0.0.1, for Dovecot's oauth2 passdb
/// with <c>introspection_mode = post</c>: it knows which tokens are valid for which address and records every
/// question.</summary>
/// <remarks>Answers HTTP 200 with <c>{"active":true,"email":...,"scope":"mail:imap_full"}</c> for a token it issued and
/// <c>{"active":false}</c> for any other (RFC 7662 §2.2). The port is fixed (shifted by <see cref="TestPorts"/>): the
/// URL is part of the Dovecot instance's configuration, which must be the same on every run.</remarks>
public sealed class TokenIntrospectionEndpoint : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> emailsByToken = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<IntrospectionRequest> requests = new();
    private readonly CapturingLoggerProvider logs = new();
    private WebApplication? app;

    /// <summary>The endpoint on <paramref name="port"/> (not yet listening).</summary>
    public TokenIntrospectionEndpoint(int port) => Url = $"http://127.0.0.1:{port}/introspect";

    /// <summary>Where tokens are posted.</summary>
    public string Url { get; }

    /// <summary>Every request so far, oldest first.</summary>
    public IReadOnlyList<IntrospectionRequest> Requests => [.. requests];

    /// <summary>Kestrel's own log lines, for failure messages.</summary>
    public string KestrelLog => string.Join('\n', logs.Lines);

    /// <summary>A fresh token that the endpoint calls active and owned by <paramref name="email"/>.</summary>
    public Secret Issue(string email)
    {
        var token = "y0_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        emailsByToken[token] = email;
        return new Secret(token);
    }

    /// <summary>A fresh token the endpoint has never issued, so it answers "active": false.</summary>
    public static Secret Unknown() => new("y0_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));

    /// <summary>True when some request posted <paramref name="token"/> as its <c>token</c> field.</summary>
    public bool WasAskedAbout(Secret token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return requests.Any(r => r.Form.TryGetValue("token", out var value) && value == token.Reveal());
    }

    /// <summary>Starts listening.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(logs);
        app = builder.Build();
        app.Urls.Add(Url[..Url.LastIndexOf('/')]);
        app.MapPost("/introspect", IntrospectAsync);
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

        logs.Dispose();
    }

    private async Task IntrospectAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync(context.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        requests.Enqueue(new IntrospectionRequest(context.Request.Path.Value ?? "", context.Request.ContentType, form));
        var answer = form.TryGetValue("token", out var token) && emailsByToken.TryGetValue(token, out var email)
            ? new Dictionary<string, object> { ["active"] = true, ["email"] = email, ["scope"] = "mail:imap_full" }
            : new Dictionary<string, object> { ["active"] = false };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(answer), context.RequestAborted);
    }
}
