using MailImport.Mail.Folders;

namespace MailImport.Mail.Tests.Units;

public class GmailLabelPlannerTests
{
    [Theory]
    [InlineData(new[] { @"\Draft", @"\Sent", @"\Inbox", "Work" }, "\\Drafts")]
    [InlineData(new[] { @"\Inbox", @"\Sent", "Work" }, "\\Sent")]
    [InlineData(new[] { "Work", @"\Inbox" }, "\\Inbox")]
    [InlineData(new[] { "Work", "Family", @"\Important" }, "Family")]
    [InlineData(new[] { "Projects/Alpha", "Work" }, "Projects/Alpha")]
    [InlineData(new[] { @"\Important", @"\Starred" }, "\\Archive")]
    [InlineData(new string[0], "\\Archive")]
    [InlineData(new[] { "Chats", "Important" }, "\\Archive")]
    public void PlaceOnce_ByPriority_DraftsSentInboxFirstUserLabelArchive(string[] labels, string folder)
    {
        Assert.Equal(folder, GmailLabelPlanner.PlaceOnce(labels).Name);
    }

    [Fact]
    public void PlaceOnce_OtherUserLabels_BecomeKeywords_SecondSystemFolderCounted()
    {
        var placement = GmailLabelPlanner.PlaceOnce([@"\Sent", @"\Inbox", "Work", "Receipts 2024", @"\Starred", @"\Important"]);

        Assert.Equal(FolderRole.Sent, placement.Role);
        Assert.Equal(["Receipts_2024", "Work"], placement.Keywords.Order(StringComparer.Ordinal));
        Assert.Equal(1, placement.LabelsNotKept);
    }

    [Fact]
    public void PlaceOnce_LabelFolder_IsNotAlsoAKeyword()
    {
        var placement = GmailLabelPlanner.PlaceOnce(["Work", "Family"]);

        Assert.Equal(["Family"], placement.Path);
        Assert.Equal(["Work"], placement.Keywords);
    }

    [Fact]
    public void PlaceOnce_SameLabelsInAnyOrder_SamePlacement()
    {
        var a = GmailLabelPlanner.PlaceOnce(["b", "a/x", "c"]);
        var b = GmailLabelPlanner.PlaceOnce(["c", "b", "a/x"]);

        Assert.Equal(a.Name, b.Name);
        Assert.Equal(a.Keywords.Order(StringComparer.Ordinal), b.Keywords.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PlacePerLabel_EveryFolderLabel_OneCopyEach()
    {
        Assert.Equal(["\\Sent", "\\Inbox", "Projects/Alpha", "Work"],
            GmailLabelPlanner.PlacePerLabel(["Work", @"\Inbox", @"\Sent", "Projects/Alpha", @"\Starred", @"\Important"]).Select(p => p.Name));
        Assert.Equal(["\\Archive"], GmailLabelPlanner.PlacePerLabel([@"\Important"]).Select(p => p.Name));
    }

    [Theory]
    [InlineData("Work", "Work")]
    [InlineData("Receipts 2024", "Receipts_2024")]
    [InlineData("a(b)*%\"\\]{", "a_b_______")]
    [InlineData("R&D", "R&-D")]
    [InlineData("Проекты", "&BB8EQAQ+BDUEOgRCBEs-")]
    [InlineData("", null)]
    public void Keyword_Label_IsAnImapAtom(string label, string? keyword)
    {
        Assert.Equal(keyword, GmailLabelPlanner.Keyword(label));
    }
}
