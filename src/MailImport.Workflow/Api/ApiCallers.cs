using System.Security.Cryptography;
using System.Text;
using MailImport.Infrastructure.Settings;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>What a call of the HTTP API does; each needs one app role.</summary>
public enum ApiAction
{
    /// <summary>POST /api/imports.</summary>
    Start,

    /// <summary>POST /api/imports/{id}/rerun.</summary>
    Rerun,

    /// <summary>POST /api/imports/{id}/schedule.</summary>
    Schedule,

    /// <summary>POST /api/imports/{id}/close.</summary>
    Close,

    /// <summary>GET /api/imports/{id}.</summary>
    Status,

    /// <summary>GET /api/imports/{id}/report.</summary>
    Report,

    /// <summary>GET /api/imports/{id}/passwords: the generated passwords, once. It deletes them, and they open mailboxes,
    /// so it needs <see cref="ApiRoles.Run"/>.</summary>
    Passwords,
}

/// <summary>The app roles of the API's app registration, as tokens carry them in their <c>roles</c> claim
/// (https://learn.microsoft.com/en-us/entra/identity-platform/howto-add-app-roles-in-apps).</summary>
public static class ApiRoles
{
    /// <summary>Start, re-run, schedule and close imports.</summary>
    public const string Run = "Import.Run";

    /// <summary>Read a batch's status and report.</summary>
    public const string Read = "Import.Read";

    /// <summary>The role <paramref name="action"/> needs.</summary>
    public static string For(ApiAction action) => action is ApiAction.Status or ApiAction.Report ? Read : Run;

    /// <summary>The action's name in logs and the audit trail.</summary>
    public static string Name(ApiAction action) => action.ToString().ToLowerInvariant();
}

/// <summary>Who called: "api-key", or a token's object id as "oid:{guid}" with its client application.</summary>
/// <param name="Id">The caller's id: what the audit trail and the rate limits know it by.</param>
/// <param name="AppId">The token's client application (<c>azp</c>, or <c>appid</c> in a v1.0 token); null for the key.</param>
/// <param name="Roles">The app roles it holds.</param>
public sealed record ApiCaller(string Id, string? AppId, IReadOnlySet<string> Roles)
{
    /// <summary>The caller that presents the API key: automation, with every role.</summary>
    public static readonly ApiCaller ApiKey = new("api-key", null, new HashSet<string>(StringComparer.Ordinal) { ApiRoles.Run, ApiRoles.Read });

    /// <summary>True when the caller holds the role <paramref name="action"/> needs.</summary>
    public bool May(ApiAction action) => Roles.Contains(ApiRoles.For(action));
}

/// <summary>Tells who called from the request's credentials: the API key (x-functions-key header or code query), or a
/// Microsoft Entra ID bearer token (Authorization: Bearer, RFC 6750 §2.1); a request that carries a key is judged by
/// the key alone.</summary>
public sealed class ApiCallers(IOptions<ApiOptions> api, EntraTokens tokens)
{
    /// <summary>The caller, or the 401 (or 503 when the token service's keys cannot be read) to answer.</summary>
    public async Task<(ApiCaller? Caller, IResult? Refusal)> IdentifyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        if (key is not null)
        {
            return IsTheKey(key) ? (ApiCaller.ApiKey, null) : (null, Unauthorized(request, null));
        }

        var authorization = request.Headers.Authorization.FirstOrDefault();
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || !api.Value.Entra.Enabled)
        {
            return (null, Unauthorized(request, null));
        }

        var check = await tokens.ValidateAsync(authorization["Bearer ".Length..].Trim(), cancellationToken);
        return check switch
        {
            { Caller: { } caller } => (caller, null),
            { MetadataUnavailable: true } => (null, Results.Json(
                new ApiError("The token service's signing keys could not be read; try again shortly."), ApiAnswers.Json, statusCode: StatusCodes.Status503ServiceUnavailable)),
            _ => (null, Unauthorized(request, "invalid_token")),
        };
    }

    /// <summary>True when <paramref name="given"/> is the configured key. Both are hashed first, so the comparison takes
    /// the same time whatever their lengths.</summary>
    private bool IsTheKey(string given)
    {
        var key = api.Value.Key;
        return api.Value.HasKey && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>401 with the challenge of RFC 6750 §3 when tokens are on; <paramref name="error"/> "invalid_token" for a
    /// token that was given and is not good.</summary>
    private IResult Unauthorized(HttpRequest request, string? error)
    {
        if (api.Value.Entra.Enabled)
        {
            request.HttpContext.Response.Headers.WWWAuthenticate = error is null ? "Bearer" : $"Bearer error=\"{error}\"";
        }

        var how = api.Value.Entra.Enabled
            ? "Give a Microsoft Entra ID access token for this API (Authorization: Bearer), or the API key in the x-functions-key header."
            : "Give the API key in the x-functions-key header or the code query parameter.";
        return Results.Json(new ApiError(error is null ? how : "The bearer token is not valid for this API (signature, issuer, audience or lifetime). " + how),
            ApiAnswers.Json, statusCode: StatusCodes.Status401Unauthorized);
    }
}
