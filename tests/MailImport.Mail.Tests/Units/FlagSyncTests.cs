using MailImport.Mail.Sync;
using MailKit;

namespace MailImport.Mail.Tests.Units;

public class FlagSyncTests
{
    private static FlagState State(MessageFlags flags, params string[] keywords) => new(flags, new HashSet<string>(keywords));

    private static readonly Func<string, bool> AnyKeyword = _ => true;

    private static string Describe(FlagChange change) =>
        $"{change.Flags} [{string.Join(' ', change.Keywords)}] {string.Join(' ', change.DestinationUids)}";

    [Fact]
    public void Changes_FlagsAlreadyEqual_NoStore()
    {
        var changes = FlagSync.Changes([(1, 101)],
            new Dictionary<uint, FlagState> { [1] = State(MessageFlags.Seen, "b", "a") },
            new Dictionary<uint, FlagState> { [101] = State(MessageFlags.Seen, "a", "b") }, AnyKeyword);

        Assert.Empty(changes);
    }

    [Fact]
    public void Changes_MessagesWantingTheSameFlags_OneStoreForAll()
    {
        var changes = FlagSync.Changes([(1, 101), (2, 102), (3, 103)],
            new Dictionary<uint, FlagState> { [1] = State(MessageFlags.Flagged), [2] = State(MessageFlags.Seen, "$Work"), [3] = State(MessageFlags.Flagged) },
            new Dictionary<uint, FlagState> { [101] = State(MessageFlags.None), [102] = State(MessageFlags.Seen), [103] = State(MessageFlags.Seen) }, AnyKeyword);

        Assert.Collection(changes,
            c => Assert.Equal("Flagged [] 101 103", Describe(c)),
            c => Assert.Equal("Seen [$Work] 102", Describe(c)));
    }

    [Fact]
    public void Changes_KeywordTheDestinationFolderDoesNotKeep_IsNotAskedFor()
    {
        var changes = FlagSync.Changes([(1, 101)],
            new Dictionary<uint, FlagState> { [1] = State(MessageFlags.Seen, "$Kept", "$Dropped") },
            new Dictionary<uint, FlagState> { [101] = State(MessageFlags.Seen, "$Kept") }, keyword => keyword == "$Kept");

        Assert.Empty(changes);
    }

    [Fact]
    public void Changes_MessageMissingOnEitherSide_LeftAlone()
    {
        var changes = FlagSync.Changes([(1, 101), (2, 102)],
            new Dictionary<uint, FlagState> { [1] = State(MessageFlags.Seen) },
            new Dictionary<uint, FlagState> { [102] = State(MessageFlags.None) }, AnyKeyword);

        Assert.Empty(changes);
    }
}
