using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;

namespace MailImport.Core.Tests.Reports;

public class RunProgressTests
{
    private static RunSummary Run(long messages, long bytes, long failed = 0) =>
        new("b-r1", RunMode.Full, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 2, 0, 0, messages, bytes, 0, 0, 0, failed);

    [Fact]
    public void Of_WhileMailboxesAreBeingCounted_SaysCountingAndNoShare()
    {
        var plan = PlanTotals.Of(2).Add(new SourceCount(3, 10, 1000, null));

        var progress = RunProgress.Of(plan, null, 0, ended: false);

        Assert.Equal((RunPhase.Counting, null, null), (progress.Phase, progress.Percent, progress.PercentOf));
    }

    [Fact]
    public void Add_OnlyWhatEarlierRunsHaveNotCopiedIsToCopy_AFailedCountAddsNothing_AnUnknownSizeMakesTheBytesUnknown()
    {
        var plan = PlanTotals.Of(3)
            .Add(new SourceCount(2, 10, 1000, new RunTally(4, 400, 0)))
            .Add(new SourceCount(1, 5, 500, null))
            .Add(new SourceCount(0, 0, null, null, MailFailure.Permanent(ErrorCode.SourceAuthFailed, "refused")));

        Assert.Equal(new PlanTotals(3, 3, 3, 15, 1500, 11, 1100), plan);
        Assert.Equal(new PlanTotals(1, 1, 1, 4, null, 4, null), PlanTotals.Of(1).Add(new SourceCount(1, 4, null, null)));
    }

    [Fact]
    public void Of_ShareIsOfTheBytesToCopyWhereKnown_ElseOfTheMessages_AndBelow100UntilTheRunEnds()
    {
        var bytes = PlanTotals.Of(2).Add(new SourceCount(1, 10, 1000, null)).Add(new SourceCount(1, 10, 3000, null));
        var messages = PlanTotals.Of(2).Add(new SourceCount(1, 10, null, null)).Add(new SourceCount(1, 10, 3000, null));

        Assert.Equal((25, "bytes"), Share(RunProgress.Of(bytes, Run(10, 1000), 1, ended: false)));
        Assert.Equal((50, "messages"), Share(RunProgress.Of(messages, Run(9, 1000, failed: 1), 1, ended: false)));
        Assert.Equal((99, "bytes"), Share(RunProgress.Of(bytes, Run(20, 4000), 1, ended: false)));
        Assert.Equal((100, "bytes"), Share(RunProgress.Of(bytes, Run(20, 4000), 2, ended: true)));
    }

    [Fact]
    public void Of_NothingToCopy_ShareIsOfTheMailboxesFinished()
    {
        var plan = PlanTotals.Of(4).Add(new SourceCount(1, 10, 1000, new RunTally(10, 1000, 0)));
        plan = plan with { Counted = 4 };

        Assert.Equal((50, "mailboxes"), Share(RunProgress.Of(plan, Run(0, 0), 2, ended: false)));
    }

    private static (int?, string?) Share(RunProgress progress) => (progress.Percent, progress.PercentOf);
}
