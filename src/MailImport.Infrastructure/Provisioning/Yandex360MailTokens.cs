using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Errors;
using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure.Provisioning;

/// <summary>Per-employee mail tokens for the organisation's service application, from Yandex ID.</summary>
/// <remarks>
/// <para>A service application of a Yandex 360 organisation may obtain a token for any of its employees without the
/// employee's password: it posts an OAuth 2.0 token exchange (RFC 8693, grant
/// <c>urn:ietf:params:oauth:grant-type:token-exchange</c>) to Yandex ID's <c>/token</c> with its ClientID and client
/// secret and the employee as the subject
/// (https://yandex.ru/support/yandex-360/business/admin/ru/security-service-applications). The answer is a bearer
/// token for the permissions the organisation granted the application (<c>mail:imap_full</c> writes mail over IMAP,
/// https://yandex.ru/support/mail-business/web/security/oauth.html), valid for <c>expires_in</c> seconds.</para>
/// <para>Tokens stay in this process's memory until a few minutes before they expire, so a mailbox's chunks share
/// one; they are never written anywhere. A refusal is the RFC 6749 §5.2 body <c>{error, error_description}</c>.</para>
/// </remarks>
public sealed class Yandex360MailTokens(HttpClient http, Yandex360Options options, ISecretStore secrets, ILogger<Yandex360MailTokens> logger, TimeProvider? timeProvider = null)
{
    /// <summary>The grant of an RFC 8693 token exchange.</summary>
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>Yandex ID's subject type for an employee named by e-mail address.</summary>
    public const string EmailSubjectType = "urn:yandex:params:oauth:token-type:email";

    /// <summary>How long before its expiry a cached token is no longer handed out: a chunk must finish with it.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TimeProvider clock = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (Secret Token, DateTimeOffset UsableUntil)> cache = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset lastSweep = DateTimeOffset.MinValue;

    /// <summary>True when a service application is configured, so mail is written with its tokens.</summary>
    public bool Configured => options.HasServiceApplication;

    /// <summary>A token that lets the service application write the mailbox <paramref name="email"/> over IMAP.</summary>
    /// <exception cref="MailFailureException">Yandex ID refused (permanent, <see cref="ErrorCode.DestinationServiceApplicationRefused"/>)
    /// or could not answer (transient, <see cref="ErrorCode.DestinationUnavailable"/>).</exception>
    public async Task<Secret> GetAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        if (!Configured)
        {
            throw new InvalidOperationException("No Yandex 360 service application is configured (MailImport:Yandex360:ServiceApplicationClientId).");
        }

        var now = clock.GetUtcNow();
        if (cache.TryGetValue(email, out var cached) && cached.UsableUntil > now)
        {
            return cached.Token;
        }

        var clientSecret = await secrets.GetAsync(options.ServiceApplicationSecretName, cancellationToken);
        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = TokenExchangeGrant,
            ["client_id"] = options.ServiceApplicationClientId!,
            ["client_secret"] = clientSecret.Reveal(),
            ["subject_token"] = email,
            ["subject_token_type"] = EmailSubjectType,
        });

        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(options.TokenUrl, body, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable($"Yandex ID at {options.TokenUrl} could not be reached: {e.Message}", null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable($"Yandex ID at {options.TokenUrl} did not answer in time.", null, e);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
            {
                throw Unavailable($"Yandex ID answered HTTP {(int)response.StatusCode} to the token exchange for {email}.", response.Headers.RetryAfter?.Delta);
            }

            if (!response.IsSuccessStatusCode)
            {
                var refusal = await ReadRefusalAsync(response, clientSecret, cancellationToken);
                Log.MailTokenRefused(logger, email, (int)response.StatusCode, refusal);
                throw new MailFailureException(MailFailure.Permanent(ErrorCode.DestinationServiceApplicationRefused,
                    $"Yandex ID refused the service application {options.ServiceApplicationClientId} a mail token for {email} (HTTP {(int)response.StatusCode}: {refusal})."));
            }

            TokenAnswer? answer;
            try
            {
                answer = await response.Content.ReadFromJsonAsync<TokenAnswer>(Json, cancellationToken);
            }
            catch (JsonException e)
            {
                throw Unavailable($"Yandex ID answered the token exchange for {email} with something that is not JSON.", null, e);
            }

            if (string.IsNullOrEmpty(answer?.AccessToken))
            {
                throw Unavailable($"Yandex ID answered the token exchange for {email} without an access_token.", null);
            }

            var token = new Secret(answer.AccessToken);
            var lifetime = TimeSpan.FromSeconds(Math.Max(0, answer.ExpiresIn ?? 0));
            if (lifetime > Margin)
            {
                cache[email] = (token, now + lifetime - Margin);
                SweepExpired(now);
            }

            Log.MailTokenIssued(logger, email, lifetime);
            return token;
        }
    }

    /// <summary>Drops the tokens no longer handed out, at most once a minute: scanning the whole cache on every new
    /// token would cost a batch of thousands of mailboxes a scan per mailbox.</summary>
    private void SweepExpired(DateTimeOffset now)
    {
        lock (cache)
        {
            if (now - lastSweep < SweepInterval)
            {
                return;
            }

            lastSweep = now;
        }

        foreach (var expired in cache.Where(c => c.Value.UsableUntil <= now).Select(c => c.Key).ToList())
        {
            cache.TryRemove(expired, out _);
        }
    }

    private MailFailureException Unavailable(string message, TimeSpan? retryAfter, Exception? cause = null)
    {
        Log.MailTokenUnavailable(logger, options.TokenUrl, message);
        return new MailFailureException(MailFailure.Transient(ErrorCode.DestinationUnavailable, message, retryAfter), cause);
    }

    /// <summary>"error: error_description" from the RFC 6749 §5.2 body, or the status line; never the client secret,
    /// should a service echo the request.</summary>
    private static async Task<string> ReadRefusalAsync(HttpResponseMessage response, Secret clientSecret, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string refusal;
        try
        {
            var error = JsonSerializer.Deserialize<TokenError>(text, Json);
            refusal = error?.Error is { Length: > 0 } code
                ? string.IsNullOrWhiteSpace(error.ErrorDescription) ? code : $"{code}: {error.ErrorDescription}"
                : response.ReasonPhrase ?? "no reason given";
        }
        catch (JsonException)
        {
            refusal = response.ReasonPhrase ?? "no reason given";
        }

        refusal = refusal.Length <= 300 ? refusal : string.Concat(refusal.AsSpan(0, 300), "…");
        return clientSecret.Length == 0 ? refusal : refusal.Replace(clientSecret.Reveal(), Secret.Mask, StringComparison.Ordinal);
    }

    private sealed record TokenAnswer(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] long? ExpiresIn,
        [property: JsonPropertyName("token_type")] string? TokenType);

    private sealed record TokenError(
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);
}
