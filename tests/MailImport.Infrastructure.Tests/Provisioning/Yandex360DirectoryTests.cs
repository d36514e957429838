using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Testing;
using MailImport.Infrastructure.Settings;
using MailImport.StandIns.Yandex360;
using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure.Tests.Provisioning;

/// <summary>The Yandex 360 adapter against a local stand-in of the Directory API, over real HTTP.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class Yandex360DirectoryTests : IAsyncLifetime
{
    private const string Domain = "example.org";
    private const string TokenName = "yandex360-oauth-token";
    private const string BatchId = "0123456789abcdef0123456789abcdef";

    private readonly Yandex360StandIn standIn = new();
    private readonly MemorySecretStore secrets = new();
    private readonly CapturingLogger<Yandex360Directory> log = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        standIn.WithDomain(Domain, verified: true).WithDomain("pending.example", verified: false);
        await standIn.StartAsync();
        await secrets.SetAsync(TokenName, new Secret(standIn.Token), expiresOn: null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await standIn.DisposeAsync();
    }

    private Yandex360Directory Directory(int pageSize = 1000, HttpClient? client = null) =>
        new(client ?? http, new Yandex360Options { DirectoryUrl = standIn.DirectoryUrl, OrgId = standIn.OrgId, TokenSecretName = TokenName, PageSize = pageSize },
            secrets, log);

    private static NewMailbox Mailbox(string username, string password) =>
        new(Domain, username, new Secret(password), NewMailbox.ExternalIdOf(BatchId, 3));

    [Theory]
    [InlineData(Yandex360StandIn.CloudApiPrefix)]
    [InlineData(Yandex360StandIn.LegacyPrefix)]
    public async Task IsDomainConfirmedAsync_VerifiedDomain_TrueOnTheCurrentHostsPathAndOnTheLegacyOne(string prefix)
    {
        var options = new Yandex360Options { DirectoryUrl = new Uri(standIn.BaseUrl, prefix.TrimEnd('/')), OrgId = standIn.OrgId, TokenSecretName = TokenName };

        Assert.True(await new Yandex360Directory(http, options, secrets, log).IsDomainConfirmedAsync(Domain, CancellationToken.None));
        Assert.Equal($"{prefix}{standIn.OrgId}/domains", Assert.Single(standIn.Requests).Path);
    }

    [Fact]
    public async Task IsDomainConfirmedAsync_DomainNotVerified_False()
    {
        Assert.False(await Directory().IsDomainConfirmedAsync("pending.example", CancellationToken.None));
    }

    [Fact]
    public async Task IsDomainConfirmedAsync_DomainNotInOrganisation_False()
    {
        Assert.False(await Directory().IsDomainConfirmedAsync("elsewhere.example", CancellationToken.None));
        // Read off the documented list; the reference has no route for one domain by name.
        Assert.Equal([$"{Yandex360StandIn.CloudApiPrefix}{standIn.OrgId}/domains"], standIn.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task IsDomainConfirmedAsync_DomainOnALaterPage_FoundThroughTheDocumentedList()
    {
        foreach (var i in Enumerable.Range(1, 2 * Yandex360StandIn.MaxDomainsPerPage))
        {
            standIn.WithDomain($"branch{i:00}.example", verified: i == 2 * Yandex360StandIn.MaxDomainsPerPage);
        }

        Assert.True(await Directory().IsDomainConfirmedAsync($"branch{2 * Yandex360StandIn.MaxDomainsPerPage:00}.example", CancellationToken.None));
        Assert.False(await Directory().IsDomainConfirmedAsync("branch01.example", CancellationToken.None));
        // Only the documented paged list was asked, never a route for one domain.
        Assert.All(standIn.Requests, r => Assert.Equal($"{Yandex360StandIn.CloudApiPrefix}{standIn.OrgId}/domains", r.Path));
        Assert.Contains(standIn.Requests, r => r.Query.Contains("page=3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IsDomainConfirmedAsync_CyrillicDomain_AskedInPunycode()
    {
        standIn.WithDomain("xn--e1afmkfd.xn--p1ai", verified: true);

        Assert.True(await Directory().IsDomainConfirmedAsync("пример.рф", CancellationToken.None));
    }

    [Fact]
    public async Task CreateMailboxAsync_NewUser_CreatedWithThatPasswordTheBatchLineAndANameNotTheNicknameTwice()
    {
        var result = await Directory().CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None);

        Assert.Equal(new ProvisioningResult(ProvisioningOutcome.Created), result);
        var user = Assert.Single(standIn.Users);
        Assert.Equal(("maria", "Maria", (string?)null), (user.Nickname, user.FirstName, user.LastName));
        Assert.Equal(Yandex360StandIn.RootDepartmentId, user.DepartmentId);
        Assert.Equal(NewMailbox.ExternalIdOf(BatchId, 3), user.ExternalId);
        Assert.False(user.PasswordChangeRequired);
        Assert.True(standIn.HasPassword("maria", new Secret("Passw0rd!")));
        Assert.All(standIn.Requests, r => Assert.True(r.Authorized));
        // One call: the run's user list answers "does it exist", the create does not look it up again.
        Assert.Single(standIn.Requests);
    }

    [Theory]
    [InlineData("ivan.petrov", null, null, "Ivan", "Petrov")]
    [InlineData("anna-maria.de-la-cruz", null, null, "Anna", "Maria De La Cruz")]
    [InlineData("ipetrov", "Иван", "Петров", "Иван", "Петров")]
    [InlineData("ipetrov", null, "Петров", "Ipetrov", "Петров")]
    public async Task CreateMailboxAsync_Names_TheAdminsOrReadOffTheNickname(string nickname, string? first, string? last, string expectedFirst, string expectedLast)
    {
        await Directory().CreateMailboxAsync(Mailbox(nickname, "Passw0rd!") with { FirstName = first, LastName = last }, CancellationToken.None);

        var user = Assert.Single(standIn.Users);
        Assert.Equal((expectedFirst, expectedLast), (user.FirstName, user.LastName));
    }

    [Fact]
    public async Task CreateMailboxAsync_NicknameTaken_AlreadyExistsAndPasswordUnchanged()
    {
        var directory = Directory();
        await directory.CreateMailboxAsync(Mailbox("maria", "First1pass"), CancellationToken.None);

        // Someone created the nickname after the run read the list: the service answers 409.
        var again = await directory.CreateMailboxAsync(Mailbox("Maria", "Second2pass"), CancellationToken.None);

        Assert.Equal(ProvisioningOutcome.AlreadyExists, again.Outcome);
        Assert.Single(standIn.Users);
        Assert.True(standIn.HasPassword("maria", new Secret("First1pass")));
    }

    [Fact]
    public async Task ListMailboxesAsync_AcrossPages_EveryNicknameOnceWithItsExternalId()
    {
        for (var i = 0; i < 25; i++)
        {
            standIn.WithUser($"User{i:00}", "Passw0rd!");
        }

        var directory = Directory(pageSize: 10);
        await directory.CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None);

        var mailboxes = await directory.ListMailboxesAsync(Domain, CancellationToken.None);

        Assert.Equal(26, mailboxes.Count);
        Assert.Contains(new DirectoryMailbox("user23", ""), mailboxes);
        Assert.Contains(new DirectoryMailbox("maria", NewMailbox.ExternalIdOf(BatchId, 3)), mailboxes);
        var listed = standIn.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/users", StringComparison.Ordinal)).Select(r => r.Query);
        Assert.Equal(["?page=1&perPage=10", "?page=2&perPage=10", "?page=3&perPage=10"], listed);
    }

    [Fact]
    public async Task ListMailboxesAsync_PageSizeAboveTheDocumentedMaximum_AsksForTheMaximum()
    {
        await Directory(pageSize: 5000).ListMailboxesAsync(Domain, CancellationToken.None);

        Assert.Equal($"?page=1&perPage={Yandex360StandIn.MaxUsersPerPage}", Assert.Single(standIn.Requests).Query);
    }

    [Fact]
    public async Task CreateMailboxAsync_PasswordTooShortForService_RefusedWithServiceReason()
    {
        var result = await Directory().CreateMailboxAsync(Mailbox("maria", "abc1"), CancellationToken.None);

        Assert.Equal(ProvisioningOutcome.Refused, result.Outcome);
        Assert.Equal(ErrorCode.DestinationAccountRefused, result.Failure?.Code);
        Assert.Contains("shorter than 6 characters", result.Failure?.Message, StringComparison.Ordinal);
        Assert.Empty(standIn.Users);
    }

    [Fact]
    public async Task CreateMailboxAsync_NicknameServiceRejects_RefusedWithServiceReason()
    {
        var result = await Directory().CreateMailboxAsync(Mailbox("1maria", "Passw0rd!"), CancellationToken.None);

        Assert.Equal(ProvisioningOutcome.Refused, result.Outcome);
        Assert.Contains("must start with a Latin letter", result.Failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_WrongToken_DirectoryUnauthorizedException()
    {
        await secrets.SetAsync(TokenName, new Secret("y0_expired"), expiresOn: null, CancellationToken.None);
        var directory = Directory();

        await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));
        await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.ListMailboxesAsync(Domain, CancellationToken.None));
        await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None));
        Assert.Empty(standIn.Users);
    }

    [Fact]
    public async Task RefusedToken_TheFailureNamesTheScopeOfTheCallAndTheRole()
    {
        await secrets.SetAsync(TokenName, new Secret("y0_expired"), expiresOn: null, CancellationToken.None);
        var directory = Directory();

        var domains = await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));
        var users = await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.ListMailboxesAsync(Domain, CancellationToken.None));
        var create = await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None));

        Assert.Contains("directory:read_domains", domains.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("directory:write_users", create.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("directory:read_users", users.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("user manager role", users.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.DestinationApiUnauthorized, users.Failure.Code);
    }

    [Fact]
    public async Task ListAnswers404_OrganisationNotFound_WithItsOwnCode()
    {
        standIn.FailNext(1, HttpStatusCode.NotFound);

        var failure = await Assert.ThrowsAsync<DirectoryOrganizationNotFoundException>(() => Directory().IsDomainConfirmedAsync(Domain, CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationOrganizationNotFound, failure.Failure.Code);
        Assert.False(failure.Failure.IsTransient);
        Assert.Contains("MailImport:Yandex360:OrgId", failure.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_OrganisationNotTheToken_DirectoryUnauthorizedException()
    {
        var directory = new Yandex360Directory(http, new Yandex360Options { DirectoryUrl = standIn.DirectoryUrl, OrgId = standIn.OrgId + 1, TokenSecretName = TokenName }, secrets, log);

        await Assert.ThrowsAsync<DirectoryUnauthorizedException>(() => directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));
    }

    [Fact]
    public async Task CreateMailboxAsync_Throttled_DirectoryUnavailableWithRetryAfter()
    {
        standIn.FailNext(1, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(7));

        var e = await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => Directory().CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Empty(standIn.Users);
    }

    [Fact]
    public async Task IsDomainConfirmedAsync_ServiceUnavailable_DirectoryUnavailableThenRecovers()
    {
        standIn.FailNext(2, HttpStatusCode.ServiceUnavailable);
        var directory = Directory();

        var first = await Assert.ThrowsAsync<DirectoryUnavailableException>(() => directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));
        await Assert.ThrowsAsync<DirectoryUnavailableException>(() => directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));

        Assert.Null(first.RetryAfter);
        Assert.True(await directory.IsDomainConfirmedAsync(Domain, CancellationToken.None));
    }

    [Fact]
    public async Task CreateMailboxAsync_ServiceDown_DirectoryUnavailableException()
    {
        var directory = Directory();
        await standIn.DisposeAsync();

        var e = await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => directory.CreateMailboxAsync(Mailbox("maria", "Passw0rd!"), CancellationToken.None));

        Assert.IsType<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task ListMailboxesAsync_ServiceStalls_DirectoryUnavailableException()
    {
        standIn.StallNext(1, TimeSpan.FromSeconds(10));
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };

        await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => Directory(client: impatient).ListMailboxesAsync(Domain, CancellationToken.None));
    }

    [Fact]
    public async Task ListMailboxesAsync_CallerCancels_OperationCanceled()
    {
        standIn.StallNext(1, TimeSpan.FromSeconds(10));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        // The caller's own cancellation is not a directory fault: it must not be retried as one.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Directory().ListMailboxesAsync(Domain, cancel.Token));
    }

    [Fact]
    public async Task EveryPath_CanaryPassword_NeverInExceptionsLogsOrRequestLog()
    {
        const string canary = "Zq7!canary.Kx";
        const string badCanary = "Zq7~canary.Kx";
        var seen = new List<string>();
        var directory = Directory();

        // Created, then already there.
        await directory.CreateMailboxAsync(Mailbox("ivan", canary), CancellationToken.None);
        await directory.CreateMailboxAsync(Mailbox("ivan", canary), CancellationToken.None);
        Assert.True(standIn.HasPassword("ivan", new Secret(canary)));

        // Refused by the service: the reason is data that ends up in reports.
        var refused = await directory.CreateMailboxAsync(Mailbox("petr", badCanary), CancellationToken.None);
        Assert.Equal(ProvisioningOutcome.Refused, refused.Outcome);
        seen.Add(refused.ToString());
        seen.Add(refused.Failure?.Message ?? "");

        // The failures: throttled, unavailable, conflict, bad token, down.
        standIn.FailNext(1, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(3), method: "POST");
        seen.Add((await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => directory.CreateMailboxAsync(Mailbox("olga", canary), CancellationToken.None))).ToString());
        standIn.FailNext(1, HttpStatusCode.InternalServerError, method: "POST");
        seen.Add((await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => directory.CreateMailboxAsync(Mailbox("olga", canary), CancellationToken.None))).ToString());
        standIn.FailNext(1, HttpStatusCode.Conflict, method: "POST");
        seen.Add((await directory.CreateMailboxAsync(Mailbox("olga", canary), CancellationToken.None)).ToString());
        await secrets.SetAsync(TokenName, new Secret("y0_expired"), expiresOn: null, CancellationToken.None);
        seen.Add((await Assert.ThrowsAsync<DirectoryUnauthorizedException>(
            () => directory.CreateMailboxAsync(Mailbox("olga", canary), CancellationToken.None))).ToString());
        await standIn.DisposeAsync();
        seen.Add((await Assert.ThrowsAsync<DirectoryUnavailableException>(
            () => directory.CreateMailboxAsync(Mailbox("olga", canary), CancellationToken.None))).ToString());

        seen.AddRange(log.Lines);
        seen.AddRange(standIn.Requests.Select(r => r.ToString()));
        Assert.Contains(standIn.Requests, r => r.Method == "POST" && r.Body is not null && r.Body.Contains("\"password\":\"***\"", StringComparison.Ordinal));
        Assert.NotEmpty(log.Lines);
        foreach (var text in seen)
        {
            Assert.DoesNotContain(canary, text, StringComparison.Ordinal);
            Assert.DoesNotContain(badCanary, text, StringComparison.Ordinal);
        }
    }

    /// <summary>Keeps every log line with its structured values and exception, so a test can search them all.</summary>
    private sealed class CapturingLogger<T> : ILogger<T>
    {
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyList<string> Lines => [.. lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {eventId} {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
