using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MailImport.Core;
using MailImport.Core.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.StandIns.Yandex360;

/// <summary>A user as the stand-in holds it, without the password.</summary>
public sealed record StandInUser(string Id, string Nickname, string FirstName, string? LastName, long DepartmentId, bool PasswordChangeRequired, string? ExternalId = null);

/// <summary>One request the stand-in received. The body has its <c>password</c> replaced by <see cref="Secret.Mask"/>
/// and the token is not kept, only whether it was the right one.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, bool Authorized, string? Body);

/// <summary>One request the stand-in answered, with the status it answered; no body, no header.</summary>
public sealed record AnsweredRequest(string Method, string Path, string Query, int Status);

/// <summary>A local Yandex 360 on Kestrel at 127.0.0.1: one organisation's Directory API (v1), its domains and users;
/// with <see cref="WithMailStore"/> and <see cref="WithServiceApplication"/> also its mail (a Dovecot) and Yandex ID's
/// token exchange (Yandex360StandIn.YandexId.cs).</summary>
/// <remarks>
/// <para>It answers the parts of the documented contract MailImport uses, under both <see cref="CloudApiPrefix"/> and
/// <see cref="LegacyPrefix"/> (written ".../org/" below):</para>
/// <list type="bullet">
/// <item><c>GET .../org/{orgId}/domains?page=&amp;perPage=</c>: the domains, at most 10 a page, each with
/// <c>name, country, mx, delegated, master, verified, status</c>
/// (https://yandex.ru/dev/api360/doc/ru/ref/DomainService/DomainService_List).</item>
/// <item><c>GET .../org/{orgId}/domains/{domain}/status</c>: <c>{status, methods}</c>, the domain in Punycode
/// (https://yandex.ru/dev/api360/doc/ru/ref/DomainService/DomainService_Status).</item>
/// <item><c>GET .../org/{orgId}/users?page=&amp;perPage=</c>: <c>{users, page, pages, perPage, total}</c>,
/// at most 1000 a page (https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_List).</item>
/// <item><c>POST .../org/{orgId}/users</c>: <c>{nickname, password, passwordChangeRequired, name{first,last},
/// departmentId, externalId}</c>; 200 with the user, 400 when a rule is broken, 409 when the nickname is taken
/// (https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_Create).</item>
/// </list>
/// <para>Every request needs <c>Authorization: OAuth &lt;token&gt;</c> (401 otherwise) and the stand-in's org id (403
/// otherwise, as for a token without rights on that org). Errors carry the API's error body
/// <c>{"code": n, "message": "...", "details": []}</c> with the gRPC status number the gateway uses.</para>
/// <para>Assumptions where the public reference is silent, kept in one place so they are easy to revisit: a taken
/// nickname answers 409 (gRPC ALREADY_EXISTS); an empty first name is refused, a missing last name is not; the
/// nickname and password rules are the ones <see cref="DestinationRules"/> encodes.</para>
/// </remarks>
public sealed partial class Yandex360StandIn : IAsyncDisposable
{
    /// <summary>DomainService_List: "Максимальное значение — 10" for perPage.</summary>
    public const int MaxDomainsPerPage = 10;

    /// <summary>UserService_List: "Максимальное значение — 1000" for perPage.</summary>
    public const int MaxUsersPerPage = 1000;

    /// <summary>The root department every organisation has ("All employees").</summary>
    public const long RootDepartmentId = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly object gate = new();
    private readonly Dictionary<string, bool> domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(StandInUser User, Secret Password)> users = [];
    private readonly List<Fault> faults = [];
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private WebApplication? app;
    private long nextUserId = 1130000000000001;

    /// <summary>The scopes of the Directory API that MailImport's calls need (https://yandex.ru/dev/api360/doc/ru/access).</summary>
    public static readonly IReadOnlyList<string> DirectoryScopes = ["directory:read_domains", "directory:read_users", "directory:write_users"];

    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> adminTokens = new(StringComparer.Ordinal);

    /// <summary>Creates a stand-in for one organisation that accepts one admin token with every scope MailImport needs.</summary>
    public Yandex360StandIn(long orgId = 7654321, string token = "y0_stand-in-token")
    {
        OrgId = orgId;
        Token = token;
        adminTokens[token] = DirectoryScopes;
    }

    /// <summary>The organisation this stand-in is.</summary>
    public long OrgId { get; }

    /// <summary>The OAuth token it accepts.</summary>
    public string Token { get; }

    /// <summary>The v1 directory's path on cloud-api.yandex.net, the current host.</summary>
    public const string CloudApiPrefix = "/v1/api360/directory/org/";

    /// <summary>The v1 directory's path on api360.yandex.net, the legacy host.</summary>
    public const string LegacyPrefix = "/directory/v1/org/";

    /// <summary>Where it listens, once started.</summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1:1");

    /// <summary>The setting MailImport:Yandex360:DirectoryUrl for this stand-in, in the current host's form.</summary>
    public Uri DirectoryUrl => new(BaseUrl, CloudApiPrefix);

    /// <summary>Yandex ID's token endpoint on this stand-in (MailImport:Yandex360:TokenUrl).</summary>
    public Uri TokenUrl => new(BaseUrl, "/token");

    /// <summary>The requests received so far, passwords masked.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    /// <summary>Called once each request has been answered (from the request's thread), as the stand-in run as a
    /// process prints its calls.</summary>
    public Action<AnsweredRequest>? Answered { get; set; }

    /// <summary>The users, without passwords.</summary>
    public IReadOnlyList<StandInUser> Users
    {
        get
        {
            lock (gate)
            {
                return [.. users.Select(u => u.User)];
            }
        }
    }

    /// <summary>Connects a domain to the organisation, confirmed or not.</summary>
    public Yandex360StandIn WithDomain(string name, bool verified)
    {
        lock (gate)
        {
            domains[name] = verified;
        }

        return this;
    }

    /// <summary>Adds an existing employee, as an admin would in the console.</summary>
    public Yandex360StandIn WithUser(string nickname, string password)
    {
        lock (gate)
        {
            AddUser(nickname, nickname, null, RootDepartmentId, false, new Secret(password));
        }

        ProvisionMailboxAsync(nickname, new Secret(password), CancellationToken.None).GetAwaiter().GetResult();
        return this;
    }

    /// <summary>True when the user exists and has exactly this password.</summary>
    public bool HasPassword(string nickname, Secret password)
    {
        lock (gate)
        {
            return users.Any(u => string.Equals(u.User.Nickname, nickname, StringComparison.OrdinalIgnoreCase) && u.Password.Equals(password));
        }
    }

    /// <summary>Answers the next <paramref name="count"/> requests (of <paramref name="method"/>, or any) with
    /// <paramref name="status"/> and, when given, a <c>Retry-After</c> in seconds.</summary>
    public void FailNext(int count, HttpStatusCode status, TimeSpan? retryAfter = null, string? method = null) =>
        AddFaults(count, new Fault(status, retryAfter, null, method));

    /// <summary>Answers the next <paramref name="count"/> creates of <paramref name="nickname"/> with
    /// <paramref name="status"/>; with <paramref name="afterHandling"/> the create goes through first, as behind a
    /// gateway that times out after the backend did the work.</summary>
    public void FailCreatesOf(string nickname, int count, HttpStatusCode status, TimeSpan? retryAfter = null, bool afterHandling = false) =>
        AddFaults(count, new Fault(status, retryAfter, null, "POST", afterHandling, nickname));

    /// <summary>Holds the next <paramref name="count"/> requests for <paramref name="delay"/> before answering, as a
    /// service that has stopped answering does.</summary>
    public void StallNext(int count, TimeSpan delay) => AddFaults(count, new Fault(null, null, delay, null));

    private void AddFaults(int count, Fault fault)
    {
        lock (faults)
        {
            faults.AddRange(Enumerable.Repeat(fault, count));
        }
    }

    /// <summary>Removes and returns the first fault meant for this request, if any.</summary>
    private async Task<Fault?> TakeFaultAsync(HttpRequest request)
    {
        string? nickname = null;
        lock (faults)
        {
            if (faults.Count == 0)
            {
                return null;
            }
        }

        if (request.Method == "POST" && request.ContentLength is > 0)
        {
            try
            {
                nickname = Text(await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) as JsonObject, "nickname");
            }
            catch (JsonException)
            {
                // Not a create: only faults without a nickname apply.
            }
            finally
            {
                request.Body.Position = 0;
            }
        }

        lock (faults)
        {
            var index = faults.FindIndex(f =>
                (f.Method is null || string.Equals(f.Method, request.Method, StringComparison.OrdinalIgnoreCase))
                && (f.Nickname is null || string.Equals(f.Nickname, nickname, StringComparison.OrdinalIgnoreCase)));
            if (index < 0)
            {
                return null;
            }

            var fault = faults[index];
            faults.RemoveAt(index);
            return fault;
        }
    }

    /// <summary>Accepts another admin token, with only these scopes (a token issued without write access, say).</summary>
    public Yandex360StandIn WithAdminToken(string token, params string[] scopes)
    {
        adminTokens[token] = scopes;
        return this;
    }

    /// <summary>Starts listening on 127.0.0.1, on <paramref name="port"/> or a free port.</summary>
    public async Task StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.Urls.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        app.Use(RecordAsync);
        app.Use(InjectFaultsAsync);
        app.Use(AuthenticateAsync);

        // The v1 methods on the current host and on the legacy one (https://yandex.ru/dev/api360/doc/ru/directory/index-v1).
        foreach (var prefix in new[] { CloudApiPrefix, LegacyPrefix })
        {
            var org = app.MapGroup(prefix + "{orgId}");
            org.MapGet("/domains", ListDomains);
            org.MapGet("/domains/{domain}/status", DomainStatus);
            org.MapGet("/users", ListUsers);
            org.MapPost("/users", CreateUserAsync);
        }

        MapYandexId(app);
        app.MapFallback(() => Error(HttpStatusCode.NotFound, 5, "not found"));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
    }

    /// <summary>Stops listening; later requests to <see cref="BaseUrl"/> are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }

    private async Task RecordAsync(HttpContext context, Func<Task> next)
    {
        context.Request.EnableBuffering();
        string? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true);
            body = MaskPassword(await reader.ReadToEndAsync(context.RequestAborted));
            context.Request.Body.Position = 0;
        }

        requests.Enqueue(new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            AdminScopes(context.Request) is not null,
            body));
        await next();
        Answered?.Invoke(new AnsweredRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", context.Response.StatusCode));
    }

    private async Task InjectFaultsAsync(HttpContext context, Func<Task> next)
    {
        if (await TakeFaultAsync(context.Request) is { } fault)
        {
            if (fault.Delay is { } delay)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            if (fault.AfterHandling)
            {
                // Let the route do its work into a buffer nobody reads, then answer the fault instead.
                var real = context.Response.Body;
                context.Response.Body = Stream.Null;
                await next();
                context.Response.Body = real;
                context.Response.Clear();
            }

            if (fault.Status is { } status)
            {
                if (fault.RetryAfter is { } retryAfter)
                {
                    context.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                var (code, message) = status switch
                {
                    HttpStatusCode.TooManyRequests => (8, "too many requests"),
                    HttpStatusCode.Conflict => (6, "already exists"),
                    HttpStatusCode.ServiceUnavailable => (14, "service unavailable"),
                    _ => (13, "internal error"),
                };
                await Error(status, code, message).ExecuteAsync(context);
                return;
            }
        }

        await next();
    }

    /// <summary>The scopes of the request's admin token, or null when it carries none the stand-in issued. The
    /// reference passes tokens as "Authorization: OAuth &lt;token&gt;" (https://yandex.ru/dev/api360/doc/ru/access).</summary>
    private IReadOnlyList<string>? AdminScopes(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("OAuth ", StringComparison.Ordinal) && adminTokens.TryGetValue(header["OAuth ".Length..], out var scopes) ? scopes : null;
    }

    private async Task AuthenticateAsync(HttpContext context, Func<Task> next)
    {
        if (IsYandexIdRoute(context.Request.Path))
        {
            // Yandex ID authenticates the service application by its ClientID and secret in the form.
            await next();
            return;
        }

        if (AdminScopes(context.Request) is not { } scopes)
        {
            await Error(HttpStatusCode.Unauthorized, 16, "Unauthenticated: invalid or expired OAuth token").ExecuteAsync(context);
            return;
        }

        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var org = segments switch
        {
            ["directory", "v1", "org", var id, ..] => id,
            ["v1", "api360", "directory", "org", var id, ..] => id,
            _ => null,
        };
        if (org is not null && org != OrgId.ToString(CultureInfo.InvariantCulture))
        {
            await Error(HttpStatusCode.Forbidden, 7, "Permission denied: the token has no access to this organization").ExecuteAsync(context);
            return;
        }

        // Each section wants its scope; write implies read (https://yandex.ru/dev/api360/doc/ru/ref/UserService/index).
        var needs = (context.Request.Method, segments) switch
        {
            ("GET", [.., "domains"] or [.., "domains", _, "status"]) => new[] { "directory:read_domains", "directory:write_domains" },
            ("GET", [.., "users"]) => ["directory:read_users", "directory:write_users"],
            ("POST", [.., "users"]) => ["directory:write_users"],
            _ => [],
        };
        if (needs.Length > 0 && !needs.Any(scopes.Contains))
        {
            await Error(HttpStatusCode.Forbidden, 7, $"Permission denied: the token lacks the scope {needs[0]}").ExecuteAsync(context);
            return;
        }

        await next();
    }

    private IResult DomainStatus(string domain)
    {
        lock (gate)
        {
            return domains.TryGetValue(domain, out var verified)
                ? Results.Json(new { status = verified ? "verified" : "need-validation", methods = Array.Empty<object>() }, Json)
                : Error(HttpStatusCode.NotFound, 5, "domain not found");
        }
    }

    private IResult ListDomains(int? page, int? perPage)
    {
        lock (gate)
        {
            var all = domains.Select(d => DomainJson(d.Key, d.Value)).ToList();
            var (slice, p, pages, size) = Page(all, page, Math.Min(perPage ?? 10, MaxDomainsPerPage));
            return Results.Json(new { domains = slice, page = p, pages, perPage = size, total = all.Count }, Json);
        }
    }

    private IResult ListUsers(int? page, int? perPage)
    {
        lock (gate)
        {
            var all = users.Select(u => UserJson(u.User)).ToList();
            var (slice, p, pages, size) = Page(all, page, perPage);
            return Results.Json(new { users = slice, page = p, pages, perPage = size, total = all.Count }, Json);
        }
    }

    private async Task<IResult> CreateUserAsync(HttpRequest request)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null)
        {
            return Error(HttpStatusCode.BadRequest, 3, "invalid request body");
        }

        var nickname = Text(body, "nickname");
        var password = Text(body, "password");
        var first = Text(body["name"] as JsonObject, "first");
        var last = Text(body["name"] as JsonObject, "last");
        var departmentId = body["departmentId"] is JsonValue d && d.TryGetValue<long>(out var dep) ? dep : RootDepartmentId;
        var changeRequired = body["passwordChangeRequired"] is JsonValue c && c.TryGetValue<bool>(out var b) && b;
        var externalId = Text(body, "externalId");

        if (nickname is null)
        {
            return Error(HttpStatusCode.BadRequest, 3, "nickname is required");
        }

        var nicknameProblems = DestinationRules.CheckUsername(nickname);
        if (nicknameProblems.Count > 0)
        {
            return Error(HttpStatusCode.BadRequest, 3, string.Join(" ", nicknameProblems.Select(v => v.Message)));
        }

        if (string.IsNullOrEmpty(first))
        {
            return Error(HttpStatusCode.BadRequest, 3, "name.first is required");
        }

        if (password is null)
        {
            return Error(HttpStatusCode.BadRequest, 3, "password is required");
        }

        var secret = new Secret(password);
        var passwordProblems = DestinationRules.CheckPassword(secret, nickname);
        if (passwordProblems.Count > 0)
        {
            return Error(HttpStatusCode.BadRequest, 3, string.Join(" ", passwordProblems.Select(v => v.Message)));
        }

        StandInUser user;
        lock (gate)
        {
            if (departmentId != RootDepartmentId)
            {
                return Error(HttpStatusCode.BadRequest, 3, $"department {departmentId} not found");
            }

            if (users.Any(u => string.Equals(u.User.Nickname, nickname, StringComparison.OrdinalIgnoreCase)))
            {
                return Error(HttpStatusCode.Conflict, 6, $"user with nickname {nickname} already exists");
            }

            user = AddUser(nickname, first, last, departmentId, changeRequired, secret, externalId);
        }

        await ProvisionMailboxAsync(nickname, secret, request.HttpContext.RequestAborted);
        return Results.Json(UserJson(user), Json);
    }

    private StandInUser AddUser(string nickname, string first, string? last, long departmentId, bool changeRequired, Secret password, string? externalId = null)
    {
        var user = new StandInUser((nextUserId++).ToString(CultureInfo.InvariantCulture), nickname, first, last, departmentId, changeRequired, externalId);
        users.Add((user, password));
        return user;
    }

    private object UserJson(StandInUser user) => new
    {
        id = user.Id,
        nickname = user.Nickname,
        departmentId = user.DepartmentId,
        email = $"{user.Nickname}@{MasterDomain()}",
        name = new { first = user.FirstName, last = user.LastName ?? "" },
        externalId = user.ExternalId ?? "",
        isEnabled = true,
        isAdmin = false,
        isRobot = false,
        isDismissed = false,
        aliases = Array.Empty<string>(),
    };

    private static object DomainJson(string name, bool verified) => new
    {
        name,
        country = "ru",
        mx = verified,
        delegated = false,
        master = false,
        verified,
        status = new { name = verified ? "verified" : "need-validation" },
    };

    private string MasterDomain() => domains.Keys.FirstOrDefault() ?? "standin.example";

    private static (List<object> Slice, int Page, int Pages, int PerPage) Page(List<object> all, int? page, int? perPage)
    {
        var size = Math.Clamp(perPage ?? 10, 1, MaxUsersPerPage);
        var p = Math.Max(1, page ?? 1);
        var pages = (all.Count + size - 1) / size;
        return ([.. all.Skip((p - 1) * size).Take(size)], p, pages, size);
    }

    private static string? Text(JsonObject? o, string name) =>
        o?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static IResult Error(HttpStatusCode status, int code, string message) =>
        Results.Json(new { code, message, details = Array.Empty<object>() }, Json, statusCode: (int)status);

    /// <summary>What the request log keeps of a body: the JSON with its password masked, or only its length when it
    /// is not JSON (it could be anything, a password included).</summary>
    private static string MaskPassword(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o)
            {
                if (o.ContainsKey("password"))
                {
                    o["password"] = Secret.Mask;
                }

                return o.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // Fall through to the length.
        }

        return $"<{body.Length} characters, not a JSON object>";
    }

    private sealed record Fault(HttpStatusCode? Status, TimeSpan? RetryAfter, TimeSpan? Delay, string? Method, bool AfterHandling = false, string? Nickname = null);
}
