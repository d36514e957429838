using System.Globalization;
using System.Net;
using System.Text;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Errors;
using MailImport.StandIns.Yandex360;
using MailImport.Testing;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Workflow.Tests.Activities;

/// <summary>The activities that ask the destination's directory, with <c>Directory=Yandex360</c> against the stand-in,
/// on real Azurite: how many calls a large batch makes, and that a retried create makes nobody twice.</summary>
[Collection(WorkflowServers.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the stand-in through IAsyncLifetime.DisposeAsync.")]
public sealed class DirectoryLookupTests(WorkflowServersFixture servers) : IAsyncLifetime
{
    private const string Domain = WorkflowSettings.Domain;
    private readonly Yandex360StandIn yandex = new();
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        yandex.WithDomain(Domain, verified: true);
        await yandex.StartAsync();
        var settings = WorkflowSettings.For(servers.Destination, servers.Azurite,
            ("MailImport:Directory", "Yandex360"),
            ("MailImport:Yandex360:DirectoryUrl", yandex.DirectoryUrl.ToString()),
            ("MailImport:Yandex360:OrgId", yandex.OrgId.ToString(CultureInfo.InvariantCulture)));
        services = await EmbeddedWorkflowHost.BuildServicesAsync(settings);
        await services.GetRequiredService<ISecretStore>().SetAsync("yandex360-oauth-token", new Secret(yandex.Token), expiresOn: null, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await yandex.DisposeAsync();
    }

    [Fact]
    public async Task TwoThousandLines_DryRunThenFullRun_AtMostOneDirectoryLookupPerLine_AndEveryNewMailboxCreatedOnce()
    {
        const int lines = 2000;
        const int existing = 1500;
        // Every fourth line's username belongs to an employee who is already there, in an organisation of 1,500.
        for (var i = 0; i < existing; i++)
        {
            yandex.WithUser($"staff{i:0000}", "Existing1pw");
        }

        string Username(int line) => line % 4 == 0 ? $"staff{line / 4:0000}" : $"new{line:0000}";
        var file = string.Join('\n', Enumerable.Range(1, lines).Select(l => $"{Username(l)}@old.example Secret{l:0000}"));
        var batchId = await CreateBatchAsync(file);
        Assert.Equal(lines, (await services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1"))).Entries);

        var dryRun = await PrepareRunAsync(batchId, $"{batchId}-dry", RunMode.DryRun);
        var notes = await ForEachAsync(dryRun, input => services.GetRequiredService<MailboxSteps>().CheckUsernameAsync(input));
        Assert.Equal(lines / 4, notes.Count(n => n.Note is not null));
        Assert.All(notes, n => Assert.Null(n.Failure));

        var full = await PrepareRunAsync(batchId, $"{batchId}-r1", RunMode.Full);
        var results = await ForEachAsync(full, input => services.GetRequiredService<MailboxSteps>().EnsureAccountAsync(input));
        Assert.All(results, r => Assert.Null(r.Failure));

        // The lookups are the user list, read once a run in pages of up to 1000: 1,500 employees are two pages, for
        // the dry run and again for the full run. Creates are one POST for each line whose employee did not exist,
        // none for the others.
        var lookups = yandex.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/users", StringComparison.Ordinal));
        var creates = yandex.Requests.Count(r => r.Method == "POST");
        Assert.Equal(4, lookups);
        Assert.Equal(lines - (lines / 4), creates);
        Assert.True(lookups + creates <= 2 * lines, $"{lookups} lookups and {creates} creates for {lines} lines in two runs");
        Assert.Equal(existing + (lines - (lines / 4)), yandex.Users.Count);
        // An existing employee's password is left alone; a new one has the file's and the batch's line as external id.
        Assert.True(yandex.HasPassword("staff0001", new Secret("Existing1pw")));
        Assert.True(yandex.HasPassword("new0001", new Secret("Secret0001")));
        Assert.Equal(NewMailbox.ExternalIdOf(batchId, 1), yandex.Users.Single(u => u.Nickname == "new0001").ExternalId);
        // A snapshot lists the whole organisation, so it lives only as long as its run: the report step deletes it.
        var storage = services.GetRequiredService<BatchStorage>();
        Assert.NotNull(await storage.LoadDirectorySnapshotAsync(batchId, $"{batchId}-r1", CancellationToken.None));
        await services.GetRequiredService<BatchSteps>().WriteReportAsync(new ReportInput(batchId, $"{batchId}-r1", RunMode.Full, DateTimeOffset.UtcNow));
        Assert.Null(await storage.LoadDirectorySnapshotAsync(batchId, $"{batchId}-r1", CancellationToken.None));
    }

    [Fact]
    public async Task ServerErrorAfterTheCreateWentThrough_TheRetryFindsItAndCreatesNobodyTwice()
    {
        var batchId = await CreateBatchAsync("olga@old.example Secret123\n");
        await services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1"));
        var run = await PrepareRunAsync(batchId, $"{batchId}-r1", RunMode.Full);
        var steps = services.GetRequiredService<MailboxSteps>();
        yandex.FailCreatesOf("olga", 1, HttpStatusCode.InternalServerError, afterHandling: true);

        // The gateway's 500 is transient: the activity throws it for the orchestration's retry.
        var thrown = await Assert.ThrowsAsync<MailFailureException>(() => steps.EnsureAccountAsync(run[0]));
        Assert.Equal(ErrorCode.DestinationUnavailable, thrown.Failure.Code);
        var retried = await steps.EnsureAccountAsync(run[0]);

        Assert.Null(retried.Failure);
        Assert.Single(yandex.Users, u => u.Nickname == "olga");
        Assert.True(yandex.HasPassword("olga", new Secret("Secret123")));
        Assert.Equal(2, yandex.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task StepSentTheStateItsOrchestrationShows_PutsItIntoTheRunsProgressBeforeItRuns_OneSentNoneWritesNone()
    {
        var batchId = await CreateBatchAsync("olga@old.example Secret123\nivan@old.example Secret456\n");
        await services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1"));
        var run = await PrepareRunAsync(batchId, $"{batchId}-dry", RunMode.DryRun);
        var steps = services.GetRequiredService<MailboxSteps>();
        var entry = run[0].Entry;
        var running = new MailboxOutcome(entry.Line, entry.SourceLogin, entry.DestinationUsername, MailboxStatus.Running, null, null,
            new MailboxCounters(MessagesTotal: 12, BytesTotal: 3400), TimeSpan.Zero, []);

        Assert.Null((await steps.CheckUsernameAsync(run[0] with { Shown = running })).Failure);
        Assert.Null((await steps.CheckUsernameAsync(run[1])).Failure);

        var progress = await services.GetRequiredService<BatchStorage>().LoadProgressAsync(batchId, $"{batchId}-dry", CancellationToken.None);
        var shown = Assert.Single(progress);
        Assert.Equal((entry.Line, MailboxStatus.Running, 12L, 3400L), (shown.Key, shown.Value.Status, shown.Value.Counters.MessagesTotal, shown.Value.Counters.BytesTotal));
    }

    [Fact]
    public async Task TokenWithoutAccess_ReadDirectoryFailsTheRunWithTheScopeToGrant()
    {
        var batchId = await CreateBatchAsync("olga@old.example Secret123\n");
        await services.GetRequiredService<CredentialIngestion>().RunAsync(new IngestInput(batchId, $"{batchId}-r1"));
        await services.GetRequiredService<ISecretStore>().SetAsync("yandex360-oauth-token", new Secret("y0_revoked"), expiresOn: null, CancellationToken.None);

        var result = await services.GetRequiredService<BatchSteps>().ReadDirectoryAsync(new DirectoryReadInput(batchId, $"{batchId}-r1", Domain));

        Assert.Equal(ErrorCode.DestinationApiUnauthorized, result.Failure?.Code);
        Assert.Contains("directory:read_users", result.Failure?.Message, StringComparison.Ordinal);
        Assert.Null(await services.GetRequiredService<BatchStorage>().LoadDirectorySnapshotAsync(batchId, $"{batchId}-r1", CancellationToken.None));
    }

    private async Task<string> CreateBatchAsync(string file)
    {
        var storage = services.GetRequiredService<BatchStorage>();
        var batchId = Guid.NewGuid().ToString("N");
        await storage.SaveBatchAsync(new BatchDefinition(batchId, Domain, servers.Source.ImapSource, new ImportOptions(), DateTimeOffset.UtcNow), CancellationToken.None);
        await storage.UploadCredentialsAsync(batchId, $"{batchId}-r1", Encoding.UTF8.GetBytes(file), isJson: false, CancellationToken.None);
        return batchId;
    }

    /// <summary>The batch-wide steps a run takes before its mailboxes, as the orchestration calls them.</summary>
    private async Task<List<MailboxStepInput>> PrepareRunAsync(string batchId, string runId, RunMode mode)
    {
        var batch = services.GetRequiredService<BatchSteps>();
        var plan = await batch.PlanAsync(new BatchRunInput(batchId, runId, mode));
        Assert.True((await batch.CheckDomainAsync(plan.Domain)).Ok);
        Assert.True((await batch.ReadDirectoryAsync(new DirectoryReadInput(batchId, runId, plan.Domain))).Ok);
        var storage = services.GetRequiredService<BatchStorage>();
        var inputs = new List<MailboxStepInput>();
        for (var group = 0; group < plan.Groups; group++)
        {
            inputs.AddRange((await storage.LoadPlanGroupAsync(batchId, runId, group, CancellationToken.None)).Select(e => new MailboxStepInput(batchId, runId, e)));
        }

        Assert.Equal(plan.Mailboxes, inputs.Count);
        return inputs;
    }

    /// <summary>Runs a mailbox step for every line, eight at a time as a run's default concurrency does.</summary>
    private static async Task<List<StepResult>> ForEachAsync(List<MailboxStepInput> inputs, Func<MailboxStepInput, Task<StepResult>> step)
    {
        var results = new StepResult[inputs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, inputs.Count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => results[i] = await step(inputs[i]));
        return [.. results];
    }
}
