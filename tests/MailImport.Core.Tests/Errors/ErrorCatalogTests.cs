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
