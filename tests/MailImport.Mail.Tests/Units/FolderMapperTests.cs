using MailImport.Core.Sources;
using MailImport.Mail.Folders;
using MailKit;

namespace MailImport.Mail.Tests.Units;

/// <summary>Which source folders are copied, in what order, and where each lands: no server, just the plan.</summary>
public class FolderMapperTests
{
    private static SourceFolder F(string name, FolderAttributes attributes = FolderAttributes.None, char separator = '/') =>
        new(name, separator, attributes);

    private static List<FolderPlan> Plan(SourceProvider provider, params SourceFolder[] folders) =>
        FolderMapper.Plan(folders, provider, includeGmailAllMail: false).ToList();

    /// <summary>One line per plan, so a whole plan compares in one assertion and a failure shows all of it.</summary>
    private static string[] Render(IEnumerable<FolderPlan> plans) =>
        plans.Select(p => $"{p.SourceFullName} -> {string.Join(" | ", p.Path)} : {p.Role}").ToArray();

    private static FolderPlan Single(IEnumerable<FolderPlan> plans, string sourceFullName) =>
        Assert.Single(plans, p => p.SourceFullName == sourceFullName);

    // ---------------------------------------------------------------- order and selection

    [Fact]
    public void Plan_MixedFolders_InboxFirstThenSpecialUseThenOthersByName()
    {
        var plans = Plan(SourceProvider.Custom,
            F("Zeta"),
            F("Sent Items", FolderAttributes.Sent),
            F("Work/Projects"),
            F("Trash"),
            F("Drafts", FolderAttributes.Drafts | FolderAttributes.HasNoChildren),
            F("Apples"),
            F("INBOX", FolderAttributes.HasChildren));

        Assert.Equal(
            [
                "INBOX -> INBOX : Inbox",
                // Special-use folders (declared or named) come next, ordered by their path.
                "Drafts -> Drafts : Drafts",
                "Sent Items -> Sent Items : Sent",
                "Trash -> Trash : Trash",
                // Then the rest, ordered by path (ordinal).
                "Apples -> Apples : None",
                "Work/Projects -> Work | Projects : None",
                "Zeta -> Zeta : None",
            ],
            Render(plans));
    }

    [Theory]
    [InlineData(FolderAttributes.NoSelect)]
    [InlineData(FolderAttributes.NonExistent)]
    [InlineData(FolderAttributes.NoSelect | FolderAttributes.HasChildren)]
    [InlineData(FolderAttributes.NonExistent | FolderAttributes.Sent)]
    public void Plan_NotSelectableFolder_IsSkipped(FolderAttributes attributes)
    {
        var plans = Plan(SourceProvider.Custom, F("INBOX"), F("Parent", attributes), F("Parent/Child"));

        Assert.Equal(["INBOX", "Parent/Child"], plans.Select(p => p.SourceFullName));
    }

    [Fact]
    public void Plan_NoFolders_IsEmpty() =>
        Assert.Empty(FolderMapper.Plan([], SourceProvider.Custom, includeGmailAllMail: false));

    [Fact]
    public void Plan_NullFolders_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => FolderMapper.Plan(null!, SourceProvider.Custom, includeGmailAllMail: false));

    // ---------------------------------------------------------------- roles

    [Theory]
    [InlineData("INBOX", FolderAttributes.None, FolderRole.Inbox)]
    [InlineData("inbox", FolderAttributes.None, FolderRole.Inbox)]
    [InlineData("Posteingang", FolderAttributes.Inbox, FolderRole.Inbox)]
    [InlineData("Mes envois", FolderAttributes.Sent, FolderRole.Sent)]
    [InlineData("Brouillons", FolderAttributes.Drafts, FolderRole.Drafts)]
    [InlineData("Papierkorb", FolderAttributes.Trash, FolderRole.Trash)]
    [InlineData("Indésirables", FolderAttributes.Junk, FolderRole.Junk)]
    [InlineData("Vieux", FolderAttributes.Archive, FolderRole.Archive)]
    [InlineData("Deep/Down/Sent", FolderAttributes.Sent, FolderRole.Sent)]
    [InlineData("Flagged", FolderAttributes.Flagged, FolderRole.None)]
    public void Plan_SpecialUseAttribute_GivesRoleWhateverTheName(string name, FolderAttributes attributes, FolderRole expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Custom, F(name, attributes)));

        Assert.Equal(expected, plan.Role);
        Assert.Equal(name.Split('/'), plan.Path);
    }

    [Theory]
    [InlineData("Sent", FolderRole.Sent)]
    [InlineData("Sent Items", FolderRole.Sent)]
    [InlineData("Sent Messages", FolderRole.Sent)]
    [InlineData("Sent Mail", FolderRole.Sent)]
    [InlineData("SENT ITEMS", FolderRole.Sent)]
    [InlineData("Отправленные", FolderRole.Sent)]
    [InlineData("Drafts", FolderRole.Drafts)]
    [InlineData("Черновики", FolderRole.Drafts)]
    [InlineData("Trash", FolderRole.Trash)]
    [InlineData("Deleted Items", FolderRole.Trash)]
    [InlineData("Deleted Messages", FolderRole.Trash)]
    [InlineData("Bin", FolderRole.Trash)]
    [InlineData("Корзина", FolderRole.Trash)]
    [InlineData("Удаленные", FolderRole.Trash)]
    [InlineData("Удалённые", FolderRole.Trash)]
    [InlineData("Junk", FolderRole.Junk)]
    [InlineData("Spam", FolderRole.Junk)]
    [InlineData("Junk E-mail", FolderRole.Junk)]
    [InlineData("Junk Email", FolderRole.Junk)]
    [InlineData("Спам", FolderRole.Junk)]
    [InlineData("Archive", FolderRole.Archive)]
    [InlineData("Archives", FolderRole.Archive)]
    [InlineData("Архив", FolderRole.Archive)]
    [InlineData("Sent2", FolderRole.None)]
    [InlineData("Входящие", FolderRole.None)]
    public void Plan_WellKnownNameWithoutSpecialUse_GivesRole(string name, FolderRole expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Yandex, F(name)));

        Assert.Equal(expected, plan.Role);
        Assert.Equal([name], plan.Path);
    }

    [Theory]
    [InlineData("Projects/Sent", '/')]
    [InlineData("Clients.Trash", '.')]
    public void Plan_WellKnownNameBelowTopLevel_GetsNoRole(string name, char separator)
    {
        var plan = Assert.Single(Plan(SourceProvider.Custom, F(name, separator: separator)));

        Assert.Equal(FolderRole.None, plan.Role);
        Assert.Equal(name.Split(separator), plan.Path);
    }

    [Fact]
    public void Plan_DeclaredAndNamedSent_DeclaredWinsAndNamedKeepsItsOwnName()
    {
        // "Sent" sorts before "Sent Items", but a declared role claims before a telling name.
        var plans = Plan(SourceProvider.Custom, F("Sent"), F("Sent Items", FolderAttributes.Sent));

        Assert.Equal(["Sent Items -> Sent Items : Sent", "Sent -> Sent : None"], Render(plans));
    }

    [Fact]
    public void Plan_TwoDeclaredSent_FirstByNameWinsSecondKeepsItsOwnName()
    {
        var plans = Plan(SourceProvider.Custom, F("Outbox Copies", FolderAttributes.Sent), F("Gesendet", FolderAttributes.Sent));

        Assert.Equal(FolderRole.Sent, Single(plans, "Gesendet").Role);
        var loser = Single(plans, "Outbox Copies");
        Assert.Equal(FolderRole.None, loser.Role);
        Assert.Equal(["Outbox Copies"], loser.Path);
    }

    [Fact]
    public void Plan_TwoNamedTrash_FirstByNameWinsSecondKeepsItsOwnName()
    {
        var plans = Plan(SourceProvider.MailRu, F("Корзина"), F("Deleted Items"), F("Trash"));

        // Ordinal order: "Deleted Items" < "Trash" < "Корзина".
        Assert.Equal(FolderRole.Trash, Single(plans, "Deleted Items").Role);
        Assert.Equal(FolderRole.None, Single(plans, "Trash").Role);
        Assert.Equal(FolderRole.None, Single(plans, "Корзина").Role);
        Assert.Equal(["Корзина"], Single(plans, "Корзина").Path);
    }

    [Fact]
    public void Plan_SecondInbox_KeepsItsOwnNameWithoutRole()
    {
        var plans = Plan(SourceProvider.Custom, F("Posteingang", FolderAttributes.Inbox), F("INBOX"));

        Assert.Equal(["INBOX -> INBOX : Inbox", "Posteingang -> Posteingang : None"], Render(plans));
    }

    [Fact]
    public void Plan_InboxAttributeOnNameSortingBeforeInbox_TakesTheInboxRoleFromInbox()
    {
        // Current behaviour: among declared roles the first by ordinal name wins, and INBOX gets no precedence.
        // Mostly harmless: the loser is still named INBOX, which the destination resolves to its INBOX anyway.
        var plans = Plan(SourceProvider.Custom, F("INBOX"), F("Eingang", FolderAttributes.Inbox));

        Assert.Equal(["Eingang -> Eingang : Inbox", "INBOX -> INBOX : None"], Render(plans));
    }

    [Fact]
    public void Plan_EveryRoleOnce_EachRoleTakenExactlyOnce()
    {
        var plans = Plan(SourceProvider.Custom,
            F("INBOX"), F("Sent", FolderAttributes.Sent), F("Drafts"), F("Trash", FolderAttributes.Trash),
            F("Spam"), F("Archive", FolderAttributes.Archive), F("Sent Messages"), F("Junk", FolderAttributes.Junk));

        var roles = plans.Where(p => p.Role != FolderRole.None).Select(p => p.Role).ToList();
        Assert.Equal(Enum.GetValues<FolderRole>().Where(r => r != FolderRole.None).Order(), roles.Order());
        // The declared Junk beat the named Spam.
        Assert.Equal(FolderRole.Junk, Single(plans, "Junk").Role);
        Assert.Equal(FolderRole.None, Single(plans, "Spam").Role);
    }

    // ---------------------------------------------------------------- Gmail

    [Fact]
    public void Plan_GmailAllMail_IsSkippedByDefault()
    {
        var plans = Plan(SourceProvider.Gmail,
            F("INBOX"),
            F("[Gmail]", FolderAttributes.NoSelect | FolderAttributes.HasChildren),
            F("[Gmail]/Alle Nachrichten", FolderAttributes.All),
            F("[Gmail]/Wichtig", FolderAttributes.Important),
            F("[Gmail]/Gesendet", FolderAttributes.Sent));

        Assert.Equal(["INBOX", "[Gmail]/Gesendet"], plans.Select(p => p.SourceFullName));
    }

    [Theory]
    [InlineData("[Gmail]/All Mail")]
    [InlineData("[Gmail]/Important")]
    [InlineData("[Google Mail]/All Mail")]
    [InlineData("[Google Mail]/Important")]
    [InlineData("[gmail]/all mail")]
    public void Plan_GmailDuplicateByNameWithoutAttributes_IsSkippedByDefault(string name)
    {
        var plans = Plan(SourceProvider.Gmail, F("INBOX"), F(name));

        Assert.Equal(["INBOX"], plans.Select(p => p.SourceFullName));
    }

    [Theory]
    [InlineData("[Gmail]/All Mail", FolderAttributes.All, "All Mail")]
    [InlineData("[Gmail]/Important", FolderAttributes.Important, "Important")]
    [InlineData("[Gmail]/All Mail", FolderAttributes.None, "All Mail")]
    [InlineData("[Google Mail]/Important", FolderAttributes.None, "Important")]
    public void Plan_GmailAllMailWithOptionSet_IsIncludedWithoutGmailRoot(string name, FolderAttributes attributes, string expected)
    {
        var plans = FolderMapper.Plan([F("INBOX"), F(name, attributes)], SourceProvider.Gmail, includeGmailAllMail: true);

        var plan = Single(plans, name);
        Assert.Equal([expected], plan.Path);
        Assert.Equal(FolderRole.None, plan.Role);
    }

    [Theory]
    [InlineData("[Gmail]/Starred", "Starred")]
    [InlineData("[Google Mail]/Starred", "Starred")]
    [InlineData("[Gmail]/Chats", "Chats")]
    public void Plan_GmailSystemFolderWithoutRole_LosesGmailRoot(string name, string expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Gmail, F(name, FolderAttributes.Flagged | FolderAttributes.HasNoChildren)));

        Assert.Equal([expected], plan.Path);
        Assert.Equal(FolderRole.None, plan.Role);
    }

    [Fact]
    public void Plan_GmailUserLabels_KeepTheirPath()
    {
        var plans = Plan(SourceProvider.Gmail, F("Work/Clients"), F("Receipts"));

        Assert.Equal(["Receipts -> Receipts : None", "Work/Clients -> Work | Clients : None"], Render(plans));
    }

    [Theory]
    [InlineData("[Gmail]/Sent Mail", FolderAttributes.Sent, FolderRole.Sent)]
    [InlineData("[Gmail]/Drafts", FolderAttributes.Drafts, FolderRole.Drafts)]
    [InlineData("[Gmail]/Trash", FolderAttributes.Trash, FolderRole.Trash)]
    [InlineData("[Gmail]/Spam", FolderAttributes.Junk, FolderRole.Junk)]
    [InlineData("[Google Mail]/Bin", FolderAttributes.Trash, FolderRole.Trash)]
    public void Plan_GmailSpecialUseFolder_KeepsItsRole(string name, FolderAttributes attributes, FolderRole expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Gmail, F(name, attributes | FolderAttributes.HasNoChildren)));

        Assert.Equal(expected, plan.Role);
    }

    [Theory]
    [InlineData(SourceProvider.Custom)]
    [InlineData(SourceProvider.MailRu)]
    [InlineData(SourceProvider.Yandex)]
    [InlineData(SourceProvider.Outlook)]
    public void Plan_NonGmailProvider_KeepsAllAttributedAndGmailLookingFolders(SourceProvider provider)
    {
        var plans = Plan(provider,
            F("INBOX"),
            F("Virtual/All", FolderAttributes.All),
            F("Flagged Things", FolderAttributes.Important),
            F("[Gmail]/All Mail"),
            F("[Gmail]/Starred"));

        Assert.Equal(
            [
                "INBOX -> INBOX : Inbox",
                "Flagged Things -> Flagged Things : None",
                "Virtual/All -> Virtual | All : None",
                "[Gmail]/All Mail -> [Gmail] | All Mail : None",
                "[Gmail]/Starred -> [Gmail] | Starred : None",
            ],
            Render(plans));
    }

    // ---------------------------------------------------------------- hierarchy and names

    [Theory]
    [InlineData("Work/Projects/2024", '/', new[] { "Work", "Projects", "2024" })]
    [InlineData("Work.Projects.2024", '.', new[] { "Work", "Projects", "2024" })]
    [InlineData("Reports/Q1.2024", '/', new[] { "Reports", "Q1.2024" })]
    [InlineData("Reports.Q1/2024", '.', new[] { "Reports", "Q1/2024" })]
    [InlineData("Flat/Name.With.Dots", '\0', new[] { "Flat/Name.With.Dots" })]
    public void Plan_Hierarchy_IsSplitBySourceSeparatorOnly(string name, char separator, string[] expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Custom, F(name, separator: separator)));

        Assert.Equal(expected, plan.Path);
    }

    [Fact]
    public void Plan_NonAsciiHierarchy_SurvivesIntoDestinationName()
    {
        var plans = Plan(SourceProvider.Yandex, F("INBOX"), F("Входящие/Архив 2024"), F("Входящие"), F("Отправленные"));

        Assert.Equal(
            [
                "INBOX -> INBOX : Inbox",
                "Отправленные -> Отправленные : Sent",
                "Входящие -> Входящие : None",
                "Входящие/Архив 2024 -> Входящие | Архив 2024 : None",
            ],
            Render(plans));
        Assert.Equal("Входящие.Архив 2024", FolderMapper.DestinationName(Single(plans, "Входящие/Архив 2024").Path, '.'));
    }

    [Theory]
    [InlineData('.', "Work.Projects.2024")]
    [InlineData('/', "Work/Projects/2024")]
    [InlineData('\0', "Work_Projects_2024")]
    public void DestinationName_Path_JoinedWithDestinationSeparator(char separator, string expected) =>
        Assert.Equal(expected, FolderMapper.DestinationName(["Work", "Projects", "2024"], separator));

    [Theory]
    [InlineData('.', "Reports.Q1_2024")]
    [InlineData('/', "Reports/Q1.2024")]
    public void DestinationName_DestinationSeparatorInsideName_BecomesUnderscore(char separator, string expected)
    {
        var plan = Assert.Single(Plan(SourceProvider.Custom, F("Reports/Q1.2024")));

        Assert.Equal(expected, FolderMapper.DestinationName(plan.Path, separator));
    }

    [Fact]
    public void DestinationName_EverySeparatorInsideEveryElement_BecomesUnderscore() =>
        Assert.Equal("a_b_c.d_e", FolderMapper.DestinationName(["a.b.c", "d.e"], '.'));

    [Fact]
    public void DestinationName_NonAsciiSingleLevel_Unchanged() =>
        Assert.Equal("Архив 2024", FolderMapper.DestinationName(["Архив 2024"], '/'));

    [Fact]
    public void DestinationName_NullPath_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => FolderMapper.DestinationName(null!, '.'));

    [Fact]
    public void DestinationNames_NameHoldingTheSeparator_RenamedAndSaysWhy()
    {
        var names = FolderMapper.DestinationNames(Plan(SourceProvider.Custom, F("INBOX"), F("Projects.2019"), F("Work/Q1")), '.');

        Assert.Equal(new DestinationFolderName("INBOX", null), names["INBOX"]);
        Assert.Equal(new DestinationFolderName("Work.Q1", null), names["Work/Q1"]);
        Assert.Equal("Projects_2019", names["Projects.2019"].FullName);
        Assert.Equal("The name holds a character the destination cannot keep in a name: '.' is the destination's hierarchy separator, so each '.' inside a level became '_'.",
            names["Projects.2019"].Renamed);
    }

    [Fact]
    public void DestinationNames_RenamedOntoAnotherFoldersName_TakesTheNextFreeSuffixAndTheOtherKeepsItsName()
    {
        var plans = Plan(SourceProvider.Custom, F("a.b"), F("a_b"), F("a_b_2"), F("c.d"));

        var names = FolderMapper.DestinationNames(plans, '.');

        Assert.Equal(new DestinationFolderName("a_b", null), names["a_b"]);
        Assert.Equal(new DestinationFolderName("a_b_2", null), names["a_b_2"]);
        // a_b and a_b_2 are other folders' names: the next free one.
        Assert.Equal("a_b_3", names["a.b"].FullName);
        Assert.EndsWith("; 'a_b' was another source folder's name, so it became 'a_b_3'.", names["a.b"].Renamed, StringComparison.Ordinal);
        Assert.Equal("c_d", names["c.d"].FullName);
        Assert.DoesNotContain("another source folder", names["c.d"].Renamed, StringComparison.Ordinal);
    }

    [Fact]
    public void DestinationNames_PinnedRenameMeetsANewFolderOfThatName_ThePinHoldsAndTheNewcomerIsRenamed()
    {
        var plans = Plan(SourceProvider.Custom, F("a.b"), F("a_b"));
        var pinned = new Dictionary<string, string> { ["a.b"] = "a_b" };

        var names = FolderMapper.DestinationNames(plans, '.', pinned);

        Assert.Equal("a_b", names["a.b"].FullName);
        Assert.Contains("it keeps the name 'a_b' an earlier run gave it", names["a.b"].Renamed, StringComparison.Ordinal);
        Assert.Equal(new DestinationFolderName("a_b_2",
            "The destination folder 'a_b' holds the mail of the source folder 'a.b' since an earlier run, so this one became 'a_b_2'."), names["a_b"]);
        // Without the pin the newcomer would take the name and the renamed folder's mail would go elsewhere.
        Assert.Equal("a_b_2", FolderMapper.DestinationNames(plans, '.')["a.b"].FullName);
    }

    [Fact]
    public void DestinationNames_PinsTheFoldersAgreeWith_NamesAsWithoutThem()
    {
        var plans = Plan(SourceProvider.Custom, F("a.b"), F("a_b"));
        var fresh = FolderMapper.DestinationNames(plans, '.');

        var pinned = FolderMapper.DestinationNames(plans, '.', new Dictionary<string, string> { ["a.b"] = "a_b_2", ["gone.folder"] = "gone_folder" });

        Assert.Equal(fresh.OrderBy(p => p.Key), pinned.OrderBy(p => p.Key));
    }

    [Fact]
    public void DestinationNames_SameFolders_SameNamesWhateverTheListingOrder()
    {
        SourceFolder[] folders = [F("x.y"), F("x_y"), F("Other")];

        var first = FolderMapper.DestinationNames(Plan(SourceProvider.Custom, folders), '.');
        var second = FolderMapper.DestinationNames(Plan(SourceProvider.Custom, [.. folders.Reverse()]), '.');

        Assert.Equal(first.OrderBy(p => p.Key), second.OrderBy(p => p.Key));
        Assert.Equal("x_y_2", first["x.y"].FullName);
    }

    [Fact]
    public void DestinationNames_InboxCaseInsensitive_ARenamedFolderDoesNotLandInInbox()
    {
        var names = FolderMapper.DestinationNames([new FolderPlan("INBOX", ["INBOX"], FolderRole.Inbox), new FolderPlan("in.box", ["InBox"], FolderRole.None)], '.');

        // "InBox" needs no change, and INBOX is the same name whatever its case (RFC 3501 section 5.1): it stays as it is.
        Assert.Equal("InBox", names["in.box"].FullName);
        var renamed = FolderMapper.DestinationNames([new FolderPlan("INBOX", ["INBOX"], FolderRole.Inbox), new FolderPlan("In/box", ["In.box"], FolderRole.None)], '.');
        Assert.Equal("In_box", renamed["In/box"].FullName);
    }

    [Fact]
    public void DestinationNames_DestinationWithoutHierarchy_LevelsJoinedWithUnderscoreAndSaid()
    {
        var names = FolderMapper.DestinationNames(Plan(SourceProvider.Custom, F("Work/Projects"), F("Single")), '\0');

        Assert.Equal("Work_Projects", names["Work/Projects"].FullName);
        Assert.Contains("keeps no hierarchy", names["Work/Projects"].Renamed, StringComparison.Ordinal);
        Assert.Null(names["Single"].Renamed);
    }

    [Fact]
    public void Plan_SubscribedAttribute_CarriedIntoThePlan()
    {
        var plans = Plan(SourceProvider.Custom, F("INBOX", FolderAttributes.Subscribed), F("Work", FolderAttributes.Subscribed | FolderAttributes.HasChildren), F("Work/Old"));

        Assert.True(Single(plans, "INBOX").Subscribed);
        Assert.True(Single(plans, "Work").Subscribed);
        Assert.False(Single(plans, "Work/Old").Subscribed);
    }

    // ---------------------------------------------------------------- names that tell a role on servers without SPECIAL-USE

    [Fact]
    public void Plan_InboxPrefixedWellKnownNames_GetRoles()
    {
        var plans = Plan(SourceProvider.Custom,
            F("INBOX", separator: '.'), F("INBOX.Sent", separator: '.'), F("INBOX.Drafts", separator: '.'), F("INBOX.Trash", separator: '.'));

        Assert.Equal(FolderRole.Sent, Single(plans, "INBOX.Sent").Role);
        Assert.Equal(FolderRole.Drafts, Single(plans, "INBOX.Drafts").Role);
        Assert.Equal(FolderRole.Trash, Single(plans, "INBOX.Trash").Role);
    }

    [Fact]
    public void Plan_GmailWithoutSpecialUse_SystemFoldersGetRolesByName()
    {
        var plans = Plan(SourceProvider.Gmail, F("INBOX"), F("[Gmail]/Sent Mail"), F("[Gmail]/Drafts"), F("[Gmail]/Spam"), F("[Gmail]/Trash"));

        Assert.Equal(FolderRole.Sent, Single(plans, "[Gmail]/Sent Mail").Role);
        Assert.Equal(FolderRole.Drafts, Single(plans, "[Gmail]/Drafts").Role);
        Assert.Equal(FolderRole.Junk, Single(plans, "[Gmail]/Spam").Role);
        Assert.Equal(FolderRole.Trash, Single(plans, "[Gmail]/Trash").Role);
    }
}
