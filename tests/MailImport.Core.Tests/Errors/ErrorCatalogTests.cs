using MailImport.Core.Errors;

namespace MailImport.Core.Tests.Errors;

public class ErrorCatalogTests
{
    public static TheoryData<ErrorCode> AllCodes() => new(Enum.GetValues<ErrorCode>());

    [Theory]
    [MemberData(nameof(AllCodes))]
    public void Get_EveryCode_HasSummaryAndFix(ErrorCode code)
    {
        var info = ErrorCatalog.Get(code);

        Assert.Equal(code, info.Code);
        Assert.EndsWith(".", info.Summary, StringComparison.Ordinal);
        Assert.EndsWith(".", info.Fix, StringComparison.Ordinal);
        Assert.NotEqual(info.Summary, info.Fix);
    }

    [Theory]
    [InlineData(ErrorCode.UsernameEmpty, "New username")]
    [InlineData(ErrorCode.UsernameTooLong, "New username")]
    [InlineData(ErrorCode.UsernameInvalidCharacter, "New username")]
    [InlineData(ErrorCode.UsernameMustStartWithLetter, "New username")]
    [InlineData(ErrorCode.UsernameMustEndWithLetterOrDigit, "New username")]
    [InlineData(ErrorCode.PasswordTooShort, "New password")]
    [InlineData(ErrorCode.PasswordTooLong, "New password")]
    [InlineData(ErrorCode.PasswordInvalidCharacter, "New password")]
    [InlineData(ErrorCode.PasswordEqualsUsername, "New password")]
    public void RuleFix_NamesThePlaceInTheFile_TheJsonEntry_AndThePageTable(ErrorCode code, string pageColumn)
    {
        var fix = ErrorCatalog.Get(code).Fix;

        // The page's table labels its columns "New username" and "New password" (Page/app.js): its users read those.
        Assert.Contains($"under {pageColumn} in the import page's table", fix, StringComparison.Ordinal);
        Assert.Contains(pageColumn == "New username" ? "in newLogin of a JSON entry" : "in newPassword of a JSON entry", fix, StringComparison.Ordinal);
        Assert.Contains(pageColumn == "New username" ? "four-field form of a line" : "fourth field of a line", fix, StringComparison.Ordinal);
    }

    [Fact]
    public void All_ListsEachCodeOnce()
    {
        Assert.Equal(Enum.GetValues<ErrorCode>().Order(), ErrorCatalog.All.Select(e => e.Code).Order());
    }

    [Fact]
    public void Codes_KeepTheirNumbers()
    {
        // Reports and automation store these numbers and names; renumbering one breaks them.
        Assert.Equal(100, (int)ErrorCode.FileTooLarge);
        Assert.Equal(205, (int)ErrorCode.LineDuplicateDestination);
        Assert.Equal(302, (int)ErrorCode.UsernameInvalidCharacter);
        Assert.Equal(501, (int)ErrorCode.SourceProtocolDisabled);
        Assert.Equal(600, (int)ErrorCode.DomainNotConfirmed);
        Assert.Equal(700, (int)ErrorCode.MessageTooBig);
    }

    [Theory]
    [InlineData(ErrorCode.SourceThrottled, true)]
    [InlineData(ErrorCode.SourceTimeout, true)]
    [InlineData(ErrorCode.DestinationUnavailable, true)]
    [InlineData(ErrorCode.SourceAuthFailed, false)]
    [InlineData(ErrorCode.SourceProtocolDisabled, false)]
    [InlineData(ErrorCode.DestinationOverQuota, false)]
    [InlineData(ErrorCode.UsernameTooLong, false)]
    public void IsTransient_OnlyForWhatARetryCanCure(ErrorCode code, bool transient)
    {
        Assert.Equal(transient, ErrorCatalog.Get(code).IsTransient);
    }

    [Fact]
    public void Categories_FollowTheCodeGroups()
    {
        // Each hundred of codes is one part of an import; a code filed in the wrong group would mislead a report.
        foreach (var info in ErrorCatalog.All)
        {
            var expected = ((int)info.Code / 100) switch
            {
                1 => ErrorCategory.File,
                2 => ErrorCategory.Line,
                3 => ErrorCategory.Rule,
                4 => ErrorCategory.Settings,
                5 => ErrorCategory.Source,
                6 => ErrorCategory.Destination,
                7 => ErrorCategory.Message,
                8 => ErrorCategory.Batch,
                _ => ErrorCategory.Internal,
            };
            Assert.True(expected == info.Category, $"{info.Code} is filed under {info.Category}, its number says {expected}.");
        }
    }
}
