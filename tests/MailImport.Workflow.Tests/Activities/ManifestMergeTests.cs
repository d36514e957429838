using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Activities;

namespace MailImport.Workflow.Tests.Activities;

public class ManifestMergeTests
{
    private static CredentialParseResult Parse(string text) => CredentialFile.Parse(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Merge_JsonEntriesWithNames_TheManifestKeepsTheNames()
    {
        var parsed = CredentialJson.Parse(Encoding.UTF8.GetBytes("""[{ "login": "ivan", "password": "Secret12", "firstName": "Иван", "lastName": "Петров" }]"""));

        var (manifest, _) = ManifestMerge.Merge(null, parsed);

        var entry = Assert.Single(manifest.Entries);
        Assert.Equal(("Иван", "Петров"), (entry.FirstName, entry.LastName));
    }

    [Fact]
    public void Merge_FirstUpload_KeepsTheFilesLineNumbers()
    {
        var (manifest, entries) = ManifestMerge.Merge(null, Parse("a Secret12\nbad_name Secret12\n\nc Secret34"));

        Assert.Equal([1, 4], manifest.Entries.Select(e => e.Line));
        Assert.Equal([2], manifest.Invalid.Select(l => l.LineNumber));
        Assert.Equal([1, 4], entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Merge_CorrectedFile_KeepsEachMailboxsLineAndLeavesTheRestAlone()
    {
        var (first, _) = ManifestMerge.Merge(null, Parse("good Secret12\nwrongpw Secret12\nbad_name Secret12\n"));

        // The admin sends only the lines to fix, in another order, plus one mailbox the batch never had.
        var (merged, entries) = ManifestMerge.Merge(first, Parse("bad_name Secret12 badname Secret56\nnewbox Secret78\nWRONGPW Fixed123\n"));

        Assert.Equal([(1, "good"), (2, "WRONGPW"), (3, "bad_name"), (4, "newbox")], merged.Entries.Select(e => (e.Line, e.SourceLogin)));
        Assert.Empty(merged.Invalid);
        Assert.Equal([3, 4, 2], entries.Select(e => e.LineNumber));
        Assert.Equal("Fixed123", entries.Single(e => e.LineNumber == 2).SourcePassword!.Reveal());
        Assert.Equal("badname", merged.Entries.Single(e => e.Line == 3).DestinationUsername);
    }

    [Fact]
    public void Merge_CorrectedFileStillBroken_ReplacesThatLinesReportLineOnly()
    {
        var (first, _) = ManifestMerge.Merge(null, Parse("good Secret12\nbad_name Secret12\nother_bad Secret12\n"));

        var (merged, _) = ManifestMerge.Merge(first, Parse("bad_name Sec\n"));

        Assert.Equal([1], merged.Entries.Select(e => e.Line));
        var invalid = merged.Invalid.ToDictionary(l => l.LineNumber);
        Assert.Equal([2, 3], invalid.Keys.Order());
        Assert.Contains("shorter than 6", invalid[2].Message, StringComparison.Ordinal);
        Assert.Equal(MailboxStatus.Invalid, invalid[3].Status);
    }

    [Fact]
    public void Merge_CorrectedLineTakesAUsernameAnotherMailboxHas_RefusesThatLineOnly()
    {
        var (first, _) = ManifestMerge.Merge(null, Parse("ivan.petrov Secret12\nbad_name Secret12\nother Secret12\n"));

        // The fix for line 2 picks a username that line 1 already imports into (Yandex: '-' and '.' are one, case ignored),
        // and a new login does the same with line 3's; a username the batch does not have goes on.
        var (merged, entries) = ManifestMerge.Merge(first, Parse("bad_name Secret12 Ivan-Petrov Secret56\nnewcomer Secret12 OTHER Secret56\nfresh Secret12\n"));

        Assert.Equal([(1, "ivan.petrov"), (3, "other"), (5, "fresh")], merged.Entries.Select(e => (e.Line, e.SourceLogin)));
        Assert.Equal([5], entries.Select(e => e.LineNumber));
        var refused = merged.Invalid.ToDictionary(l => l.LineNumber);
        Assert.Equal([2, 4], refused.Keys.Order());
        Assert.All(refused.Values, l => Assert.Equal(ErrorCode.LineDuplicateDestination, l.Code));
        Assert.Contains("already used by line 1", refused[2].Message, StringComparison.Ordinal);
        Assert.Contains("already used by line 3", refused[4].Message, StringComparison.Ordinal);
        Assert.Equal("newcomer", refused[4].SourceLogin);
    }
}
