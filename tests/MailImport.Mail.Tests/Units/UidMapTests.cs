using System.Text.Json;
using MailImport.Mail.Sync;

namespace MailImport.Mail.Tests.Units;

/// <summary>The source-to-destination UID map kept as runs.</summary>
public class UidMapTests
{
    private static UidMap Map(params (uint Source, uint Destination)[] pairs)
    {
        var map = new UidMap();
        foreach (var (source, destination) in pairs)
        {
            map.Add(source, destination);
        }

        return map;
    }

    private static string Runs(UidMap map) => string.Join(" ", map.Runs.Select(r => $"[{r.Source},{r.Destination},{r.Count}]"));

    [Fact]
    public void New_IsEmpty()
    {
        var map = new UidMap();

        Assert.Empty(map.Runs);
        Assert.Equal(0, map.Count);
        Assert.Empty(map.Pairs());
    }

    [Fact]
    public void Add_ConsecutiveOnBothSides_MergesIntoOneRun()
    {
        var map = Map((1, 101), (2, 102), (3, 103), (4, 104));

        Assert.Equal("[1,101,4]", Runs(map));
        Assert.Equal(4, map.Count);
    }

    [Fact]
    public void Add_GapOnEitherSide_StartsANewRun()
    {
        // A source gap (a deleted message), then a destination gap (a message refused), then both in step again.
        var map = Map((1, 101), (2, 102), (5, 103), (6, 104), (7, 106), (8, 107));

        Assert.Equal("[1,101,2] [5,103,2] [7,106,2]", Runs(map));
        Assert.Equal(6, map.Count);
    }

    [Fact]
    public void Add_SameDestinationStepButSourceGoesBackwards_DoesNotMerge()
    {
        var map = Map((10, 1), (9, 2));

        Assert.Equal("[9,2,1] [10,1,1]", Runs(map));
    }

    [Fact]
    public void Add_OutOfOrder_RunsStaySortedBySource()
    {
        // Reconcile can record a message below ones already mapped.
        var map = Map((10, 110), (11, 111), (3, 50), (20, 200), (5, 60), (12, 112));

        // 12 continues the run at 10 on both sides: listed joined, though it was added after 20.
        Assert.Equal("[3,50,1] [5,60,1] [10,110,3] [20,200,1]", Runs(map));
        Assert.Equal(6, map.Count);
    }

    [Fact]
    public void Add_AfterOutOfOrderAdd_InOrderAddsStillMergeWithTheLastRun()
    {
        var map = Map((10, 110), (3, 50), (11, 111), (12, 112));

        Assert.Equal("[3,50,1] [10,110,3]", Runs(map));
    }

    [Fact]
    public void Pairs_ManyRuns_EveryPairInSourceOrder()
    {
        var added = new (uint, uint)[] { (7, 70), (8, 71), (1, 10), (2, 11), (3, 12), (20, 5), (4, 99) };
        var map = Map(added);

        Assert.Equal(added.OrderBy(p => p.Item1), map.Pairs());
        Assert.Equal(added.Length, map.Count);
    }

    [Fact]
    public void Pairs_LongRun_ExpandsEveryUid()
    {
        var map = new UidMap();
        for (uint uid = 1_000; uid < 6_000; uid++)
        {
            map.Add(uid, uid + 1);
        }

        Assert.Single(map.Runs);
        Assert.Equal(5_000, map.Count);
        Assert.Equal(Enumerable.Range(1_000, 5_000).Select(u => ((uint)u, (uint)u + 1)), map.Pairs());
    }

    [Fact]
    public void Count_LargeRuns_SumsWithoutOverflow()
    {
        var map = new UidMap();
        map.Add(new UidRun(1, 1, uint.MaxValue - 10));
        map.Add(new UidRun(uint.MaxValue - 5, 5, 3));

        Assert.Equal((long)uint.MaxValue - 10 + 3, map.Count);
    }

    [Fact]
    public void Json_RoundTrip_KeepsRunsAndPairs()
    {
        var map = Map((1, 101), (2, 102), (5, 103), (3, 50), (uint.MaxValue, 7));

        var json = JsonSerializer.Serialize(map);
        var back = JsonSerializer.Deserialize<UidMap>(json);

        Assert.Equal("""{"Runs":[[1,101,2],[3,50,1],[5,103,1],[4294967295,7,1]]}""", json);
        Assert.NotNull(back);
        Assert.Equal(Runs(map), Runs(back));
        Assert.Equal(map.Pairs(), back.Pairs());
        Assert.Equal(map.Count, back.Count);
    }

    [Fact]
    public void Json_RoundTrip_MapStillMergesAfterwards()
    {
        var back = JsonSerializer.Deserialize<UidMap>(JsonSerializer.Serialize(Map((1, 101), (2, 102))))!;

        back.Add(3, 103);

        Assert.Equal("[1,101,3]", Runs(back));
    }

    [Fact]
    public void Add_OutOfOrderNextToEachOther_JoinIntoOneRun()
    {
        // Reconcile records a batch's messages below a later one, one after another: they join in the tree, and the
        // runs listed join where they meet the appended ones.
        var map = Map((100, 1000), (10, 110), (11, 111), (12, 112), (13, 113), (101, 1001));

        Assert.Equal("[10,110,4] [100,1000,2]", Runs(map));
        Assert.Equal(6, map.Count);
    }

    [Fact]
    public void Runs_OutOfOrderRunMeetsAppendedRun_Joined()
    {
        var map = Map((5, 50), (6, 51), (3, 48), (4, 49));

        Assert.Equal("[3,48,4]", Runs(map));
    }

    [Fact]
    public void TryGetDestination_AppendedAndOutOfOrderRuns_FindsEveryUidAndNoOther()
    {
        var map = Map((10, 110), (11, 111), (20, 300), (3, 50), (5, 60), (6, 61), (15, 150));

        var found = Enumerable.Range(0, 25).Select(u => map.TryGetDestination((uint)u, out var d) ? $"{u}>{d}" : null).Where(x => x is not null);

        Assert.Equal(["3>50", "5>60", "6>61", "10>110", "11>111", "15>150", "20>300"], found);
    }

    [Fact]
    public void TryGetDestination_Empty_FindsNothing()
    {
        Assert.False(new UidMap().TryGetDestination(1, out _));
    }

    [Fact]
    public void Add_SameSourceTwiceOutOfOrder_LaterRecordIsFound()
    {
        var map = Map((10, 110), (20, 120), (10, 999));

        Assert.True(map.TryGetDestination(10, out var destination));
        Assert.Equal(999u, destination);
    }

    [Fact]
    public void Add_MillionSequential_OneRunEveryPairFound()
    {
        var map = new UidMap();
        for (uint uid = 1; uid <= 1_000_000; uid++)
        {
            map.Add(uid, uid + 7);
        }

        Assert.Equal("[1,8,1000000]", Runs(map));
        // Kept as one run, not joined only when listed: the map's memory grows with its runs, not its messages.
        Assert.Equal(1, map.RunCount);
        Assert.Equal(1_000_000, map.Count);
        Assert.True(map.TryGetDestination(765_432, out var destination));
        Assert.Equal(765_439u, destination);
        Assert.False(map.TryGetDestination(1_000_001, out _));
    }

    [Fact]
    public void Add_MillionSparse_OneRunEachEveryPairFound()
    {
        // Every other source UID deleted before the copy: no two copies meet on the source side.
        var map = new UidMap();
        for (uint i = 0; i < 1_000_000; i++)
        {
            map.Add(2 * i + 1, i + 1);
        }

        Assert.Equal(1_000_000, map.Runs.Count);
        Assert.Equal(1_000_000, map.Count);
        Assert.True(map.TryGetDestination(2 * 654_321 + 1, out var destination));
        Assert.Equal(654_322u, destination);
        Assert.False(map.TryGetDestination(2 * 654_321, out _));
    }
}
