using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure.Provisioning;

/// <summary>The destination directory on Yandex 360: the Directory API v1 (<c>.../org/{orgId}/domains</c>, <c>.../users</c>).</summary>
/// <remarks>
/// <para>Nicknames are organisation-wide in Yandex 360: one employee has one login and an address on every domain of
/// the organisation, so "does the mailbox exist" is a case-insensitive nickname match over the org's users.</para>
/// <para>A run reads the user list once (<see cref="ListMailboxesAsync"/>) and creates only the nicknames it does
/// not hold, so an existing employee's password is never touched and we do not depend on how the service words a
/// duplicate-nickname refusal.</para>
/// </remarks>
public sealed partial class Yandex360Directory(
    HttpClient http,
    Yandex360Options options,
    ISecretStore secrets,
    ILogger<Yandex360Directory> logger,
    TimeProvider? timeProvider = null) : IDestinationDirectory
{
    // The scopes the reference names per call (https://yandex.ru/dev/api360/doc/ru/access).
    private const string ReadDomains = "directory:read_domains";
    private const string ReadUsers = "directory:read_users";
    private const string WriteUsers = "directory:write_users";

    /// <summary>The most domains one page of the list holds (DomainService_List: "Максимальное значение — 10").</summary>
    private const int DomainsPerPage = 10;

    /// <summary>The most users one page of the list holds (UserService_List: "Максимальное значение — 1000").</summary>
    private const int MaxUsersPerPage = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly TimeProvider clock = timeProvider ?? TimeProvider.System;

    /// <inheritdoc/>
    /// <remarks>Every domain of a Yandex 360 organisation is the organisation's: its id, whatever the domain.</remarks>
    public string OrganisationOf(string domain) => $"yandex360:{options.OrgId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The organisation's collections live under the directory URL plus its id.</summary>
    private Uri OrganizationUrl
    {
        get
        {
            var directory = options.DirectoryUrl.AbsoluteUri;
            return new Uri($"{(directory.EndsWith('/') ? directory : directory + "/")}{options.OrgId.ToString(CultureInfo.InvariantCulture)}/");
        }
    }

    /// <inheritdoc/>
    /// <remarks>The reference has no call for one domain by name: the domains come from the paged list
    /// (https://yandex.ru/dev/api360/doc/ru/ref/DomainService/DomainService_List, at most 10 a page), each with its
    /// <c>verified</c> flag. Names are compared in Punycode, the form the reference asks for Cyrillic domains
    /// (https://yandex.ru/dev/api360/doc/ru/ref/DomainService/DomainService_Status), whichever form the list uses.</remarks>
    public async Task<bool> IsDomainConfirmedAsync(string domain, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        var ascii = ToAsciiDomain(domain);
        for (var page = 1; ; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, $"domains?page={page}&perPage={DomainsPerPage}", null, ReadDomains, cancellationToken);
            await EnsureReadSucceededAsync(response, "list the domains", cancellationToken);
            var list = await ReadJsonAsync<DomainList>(response, cancellationToken);
            var domains = list?.Domains ?? [];
            var match = domains.FirstOrDefault(d => d.Name is { } name && string.Equals(ToAsciiDomain(name), ascii, StringComparison.OrdinalIgnoreCase));
            if (match is not null)
            {
                return match.Verified == true;
            }

            if (IsLastPage(page, list?.Pages, domains.Count, DomainsPerPage))
            {
                // Not connected to this organisation: mailboxes cannot be created in it.
                return false;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Nicknames are organisation-wide, so every employee counts, whatever the domain. The list is read in
    /// pages of <see cref="Yandex360Options.PageSize"/> (at most 1000, UserService_List:
    /// https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_List).</remarks>
    public async Task<IReadOnlyList<DirectoryMailbox>> ListMailboxesAsync(string domain, CancellationToken cancellationToken)
    {
        var pageSize = Math.Clamp(options.PageSize, 1, MaxUsersPerPage);
        var mailboxes = new List<DirectoryMailbox>();
        for (var page = 1; ; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, $"users?page={page}&perPage={pageSize}", null, ReadUsers, cancellationToken);
            await EnsureReadSucceededAsync(response, "list the users", cancellationToken);
            var list = await ReadJsonAsync<UserList>(response, cancellationToken);
            var users = list?.Users ?? [];
            mailboxes.AddRange(users.Where(u => !string.IsNullOrEmpty(u.Nickname)).Select(u => new DirectoryMailbox(u.Nickname!.ToLowerInvariant(), u.ExternalId)));
            if (IsLastPage(page, list?.Pages, users.Count, pageSize))
            {
                Log.UsersListed(logger, mailboxes.Count, page, options.OrgId);
                return mailboxes;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>UserService_Create (https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_Create). The
    /// reference lists no error for a taken nickname; a 409 (gRPC ALREADY_EXISTS through the gateway) is read as
    /// "already exists", which is what a race with another run or an admin looks like.</remarks>
    public async Task<ProvisioningResult> CreateMailboxAsync(NewMailbox mailbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentException.ThrowIfNullOrWhiteSpace(mailbox.Username);
        var username = mailbox.Username;
        using var response = await SendAsync(HttpMethod.Post, "users", CreateUserBody(mailbox, options.DepartmentId), WriteUsers, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            Log.MailboxCreated(logger, username, options.OrgId);
            return new ProvisioningResult(ProvisioningOutcome.Created);
        }

        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            Log.MailboxAlreadyExists(logger, username, options.OrgId);
            return new ProvisioningResult(ProvisioningOutcome.AlreadyExists);
        }

        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
        {
            var reason = Redact(await ReadErrorMessageAsync(response, cancellationToken), mailbox.Password);
            Log.MailboxRefused(logger, username, options.OrgId, reason);
            return ProvisioningResult.Refused(ErrorCode.DestinationAccountRefused, reason);
        }

        throw await UnexpectedAsync(response, "create the mailbox", cancellationToken);
    }

    /// <summary>Whether a page of a paged list is its last. "pages" is the documented end marker; without it a short
    /// page ends the list, and an empty page always does, so a service that omits it cannot keep us looping.</summary>
    private static bool IsLastPage(int page, int? pages, int count, int pageSize) =>
        count == 0 || (pages is { } total ? page >= total : count < pageSize);

    /// <summary>The create request. This is the one place the password is revealed: it goes into the body and
    /// nowhere else.</summary>
    private static StringContent CreateUserBody(NewMailbox mailbox, long departmentId)
    {
        var body = new CreateUserRequest(
            Nickname: mailbox.Username,
            Password: mailbox.Password.Reveal(),
            // The migration logs in with exactly this password; a forced change would lock IMAP out until the
            // employee signs in on the web.
            PasswordChangeRequired: false,
            Name: EmployeeName.Of(mailbox),
            DepartmentId: departmentId,
            ExternalId: mailbox.ExternalId);
        return new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");
    }

    /// <summary>Sends one call; <paramref name="scope"/> is the OAuth scope the reference names for it, so that a refused
    /// token is told what it lacks.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, HttpContent? content, string scope, CancellationToken cancellationToken)
    {
        var token = await secrets.GetAsync(options.TokenSecretName, cancellationToken);
        var uri = new Uri(OrganizationUrl, relative);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        // Yandex ID tokens go in the "OAuth" scheme, not "Bearer".
        request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", token.Reveal());
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Log.DirectoryUnreachable(logger, options.DirectoryUrl, e.Message);
            throw new DirectoryUnavailableException($"Yandex 360 at {options.DirectoryUrl} could not be reached: {e.Message}", null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient reports its own timeout as a cancellation the caller did not ask for.
            Log.DirectoryUnreachable(logger, options.DirectoryUrl, "timed out");
            throw new DirectoryUnavailableException($"Yandex 360 at {options.DirectoryUrl} did not answer in time.", null, e);
        }

        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var message = await ReadErrorMessageAsync(response, cancellationToken);
            var status = (int)response.StatusCode;
            response.Dispose();
            Log.DirectoryUnauthorized(logger, options.OrgId, status);
            // https://yandex.ru/dev/api360/doc/ru/access: each section of the API wants its scope, and the token's
            // owner must be the organisation's administrator or hold the manager role of the section ("Менеджер
            // пользователей" for the directory).
            throw new DirectoryUnauthorizedException(
                $"Yandex 360 refused the OAuth token for organisation {options.OrgId} (HTTP {status}: {message}). " +
                $"The token needs the scope {scope}, and its owner must be the organisation's administrator or hold the user manager role.");
        }


        if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
        {
            var retryAfter = RetryAfter(response);
            var status = (int)response.StatusCode;
            response.Dispose();
            Log.DirectoryUnavailable(logger, options.OrgId, status, retryAfter);
            throw new DirectoryUnavailableException(
                status == 429
                    ? $"Yandex 360 asked us to slow down (HTTP 429){(retryAfter is { } d ? $"; retry after {d.TotalSeconds:0} s" : "")}."
                    : $"Yandex 360 is unavailable (HTTP {status}).",
                retryAfter);
        }

        return response;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private async Task EnsureReadSucceededAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync(response, what, cancellationToken);
        }
    }

    /// <summary>An answer the contract has no place for: a configuration fault (a 404 is an organisation the API does
    /// not know), not something a retry or a per-mailbox refusal would fix.</summary>
    private async Task<Exception> UnexpectedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var message = await ReadErrorMessageAsync(response, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // Every call here is on a collection of the organisation (its domains, its users), which always exists:
            // a 404 is an organisation the API does not know.
            return new DirectoryOrganizationNotFoundException(
                $"Yandex 360 does not know organisation {options.OrgId} (HTTP 404: {message}). Check MailImport:Yandex360:OrgId.");
        }

        return new InvalidOperationException(
            $"Yandex 360 answered HTTP {(int)response.StatusCode} when asked to {what} in organisation {options.OrgId}: {message}. " +
            "Check MailImport:Yandex360:OrgId and MailImport:Yandex360:DirectoryUrl.");
    }

    /// <summary>The <c>message</c> of the API's error body (<c>{"code": ..., "message": ..., "details": [...]}</c>),
    /// or the status line when the body is not that shape.</summary>
    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        try
        {
            var error = JsonSerializer.Deserialize<ApiError>(text, Json);
            if (!string.IsNullOrWhiteSpace(error?.Message))
            {
                return Shorten(error.Message);
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): fall back to the status line.
        }

        return string.IsNullOrWhiteSpace(response.ReasonPhrase) ? $"HTTP {(int)response.StatusCode}" : response.ReasonPhrase;
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Yandex 360 answered something that is not the documented JSON: {e.Message}", e);
        }
    }

    /// <summary>A service that echoes its input must not carry the password into our reports and logs.</summary>
    private static string Redact(string text, Secret password) =>
        password.Length == 0 ? text : text.Replace(password.Reveal(), Secret.Mask, StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length <= 500 ? text : string.Concat(text.AsSpan(0, 500), "…");

    /// <summary>The API wants Cyrillic domains (<c>домен.рф</c>) in Punycode.</summary>
    private static string ToAsciiDomain(string domain)
    {
        var trimmed = domain.Trim().TrimEnd('.');
        try
        {
            return new IdnMapping().GetAscii(trimmed).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            // Not a valid IDN: send it as given and let the service answer 404.
            return trimmed;
        }
    }

    private sealed record DomainInfo(string? Name, bool? Verified);

    private sealed record DomainList(IReadOnlyList<DomainInfo>? Domains, int? Page, int? Pages, int? PerPage, int? Total);

    private sealed record UserInfo(string? Id, string? Nickname, string? Email, string? ExternalId);

    private sealed record UserList(IReadOnlyList<UserInfo>? Users, int? Page, int? Pages, int? PerPage, int? Total);

    private sealed record CreateUserRequest(string Nickname, string Password, bool PasswordChangeRequired, EmployeeName Name, long DepartmentId, string ExternalId);

    private sealed record ApiError(int? Code, string? Message);
}
