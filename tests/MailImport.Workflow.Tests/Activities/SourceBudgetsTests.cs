using Azure.Storage.Blobs;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Tests.Api;
using MailImport.Workflow.Tests.EndToEnd;

namespace MailImport.Workflow.Tests.Activities;

/// <summary>A source account's download budget, on the real Azurite: counted across batches over a rolling window.</summary>
[Collection(WorkflowServers.Name)]
public sealed class SourceBudgetsTests(WorkflowServersFixture servers)
{
    private const long Budget = 1_000;
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);
    private readonly FixedClock clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly string login = $"ivan.petrov{Guid.NewGuid():N}@gmail.example";

    private async Task<SourceBudgets> BudgetsAsync()
    {
        var storage = new BatchStorage(new BlobServiceClient(servers.Azurite.ConnectionString));
        await storage.EnsureContainersAsync(CancellationToken.None);
        return new SourceBudgets(storage, clock);
    }

    [Fact]
    public async Task Reserve_GrantsWhatIsLeft_ThenPausesUntilTheOldestDownloadLeavesTheWindow()
    {
        var budgets = await BudgetsAsync();

        var first = await budgets.ReserveAsync("imap.gmail.com", login, Budget, 600, Window, CancellationToken.None);
        Assert.Equal(new SourceAllowance(600, null), first);
        var firstAt = clock.Now;
        clock.Now += TimeSpan.FromHours(2);
        // Another batch reading the same account (its login in another case) gets only the rest.
        var second = await budgets.ReserveAsync("IMAP.gmail.com", login.ToUpperInvariant(), Budget, 600, Window, CancellationToken.None);
        Assert.Equal(new SourceAllowance(400, null), second);

        clock.Now += TimeSpan.FromHours(1);
        var spent = await budgets.ReserveAsync("imap.gmail.com", login, Budget, 600, Window, CancellationToken.None);

        Assert.Equal(new SourceAllowance(0, firstAt + Window), spent);
        clock.Now = firstAt + Window;
        Assert.Equal(new SourceAllowance(600, null), await budgets.ReserveAsync("imap.gmail.com", login, Budget, 600, Window, CancellationToken.None));
    }

    [Fact]
    public async Task Reserve_LessThanATenthLeft_PausesRatherThanGrantingCrumbs()
    {
        var budgets = await BudgetsAsync();
        await budgets.ReserveAsync("imap.gmail.com", login, Budget, 950, Window, CancellationToken.None);

        var crumbs = await budgets.ReserveAsync("imap.gmail.com", login, Budget, 600, Window, CancellationToken.None);

        Assert.Equal(new SourceAllowance(0, clock.Now + Window), crumbs);
        Assert.Equal(new SourceAllowance(40, null), await budgets.ReserveAsync("imap.gmail.com", login, Budget, 40, Window, CancellationToken.None));
    }

    [Fact]
    public async Task Settle_GivesBackWhatTheChunkDidNotDownload()
    {
        var budgets = await BudgetsAsync();
        var granted = await budgets.ReserveAsync("imap.gmail.com", login, Budget, 900, Window, CancellationToken.None);

        await budgets.SettleAsync("imap.gmail.com", login, granted.Bytes, 250, Window, CancellationToken.None);

        Assert.Equal(750, (await budgets.ReserveAsync("imap.gmail.com", login, Budget, 5_000, Window, CancellationToken.None)).Bytes);
    }

    [Fact]
    public async Task OtherAccounts_HaveTheirOwnBudget()
    {
        var budgets = await BudgetsAsync();
        await budgets.ReserveAsync("imap.gmail.com", login, Budget, Budget, Window, CancellationToken.None);

        Assert.Equal(Budget, (await budgets.ReserveAsync("imap.gmail.com", "x" + login, Budget, Budget, Window, CancellationToken.None)).Bytes);
        Assert.Equal(Budget, (await budgets.ReserveAsync("pop.gmail.com", login, Budget, Budget, Window, CancellationToken.None)).Bytes);
    }

    [Fact]
    public async Task Block_PausesEveryChunkOfTheAccountUntilItEnds()
    {
        var budgets = await BudgetsAsync();
        var until = clock.Now + TimeSpan.FromMinutes(30);

        await budgets.BlockAsync("imap.gmail.com", login, until, CancellationToken.None);

        Assert.Equal(until, await budgets.BlockedUntilAsync("imap.gmail.com", login, CancellationToken.None));
        Assert.Equal(new SourceAllowance(0, until), await budgets.ReserveAsync("imap.gmail.com", login, Budget, 10, Window, CancellationToken.None));
        clock.Now = until;
        Assert.Null(await budgets.BlockedUntilAsync("imap.gmail.com", login, CancellationToken.None));
        Assert.Equal(10, (await budgets.ReserveAsync("imap.gmail.com", login, Budget, 10, Window, CancellationToken.None)).Bytes);
    }

    [Fact]
    public async Task ManyChunksAtOnce_NeverGrantMoreThanTheBudget()
    {
        var budgets = await BudgetsAsync();

        var grants = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => budgets.ReserveAsync("imap.gmail.com", login, Budget, 300, Window, CancellationToken.None)));

        Assert.Equal(Budget, grants.Sum(g => g.Bytes));
    }
}

/// <summary>The window's arithmetic, without storage.</summary>
public sealed class SourceUsageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);

    [Fact]
    public void Charged_ManyChunksWithinASlice_KeepsOneSlice()
    {
        var usage = SourceUsage.Empty;
        for (var minute = 0; minute < 20; minute++)
        {
            usage = usage.Charged(T0.AddMinutes(minute), Window, 10);
        }

        Assert.Single(usage.Slices);
        Assert.Equal(200, usage.Used(T0.AddMinutes(20), Window));
    }

    [Fact]
    public void PausedUntil_IsWhenEnoughOfTheOldestSlicesHaveLeft()
    {
        var usage = SourceUsage.Empty.Charged(T0, Window, 500).Charged(T0.AddHours(5), Window, 400).Charged(T0.AddHours(10), Window, 300);

        Assert.Equal(T0.AddHours(5) + Window, usage.PausedUntil(T0.AddHours(11), Window, 700));
        Assert.Equal(T0 + Window, usage.PausedUntil(T0.AddHours(11), Window, 1_000));
        Assert.Null(usage.PausedUntil(T0.AddHours(11), Window, 1_201));
        Assert.Equal(700, usage.Used(T0 + Window, Window));
    }

    [Fact]
    public void Charged_ARefund_NeverTakesTheUsageBelowNothing()
    {
        var usage = SourceUsage.Empty.Charged(T0, Window, 100).Charged(T0.AddHours(6), Window, -500);

        Assert.Equal(0, usage.Used(T0.AddHours(6), Window));
    }
}
