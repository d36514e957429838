using MailImport.Core.Errors;
using MailImport.Core.Rules;

namespace MailImport.Core.Tests.Rules;

public class DestinationRulesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("ivan")]
    [InlineData("Ivan.Petrov-2")]
    [InlineData("i.v.a.n")]
    [InlineData("a1")]
    [InlineData("abcdefghijabcdefghijabcdefghij")] // exactly 30
    public void CheckUsername_Valid_NoViolation(string username)
    {
        Assert.Empty(DestinationRules.CheckUsername(username));
    }

    [Theory]
    [InlineData("", new[] { ErrorCode.UsernameEmpty })]
    [InlineData("abcdefghijabcdefghijabcdefghijk", new[] { ErrorCode.UsernameTooLong })]
    [InlineData("ivan_petrov", new[] { ErrorCode.UsernameInvalidCharacter })]
    [InlineData("ivan petrov", new[] { ErrorCode.UsernameInvalidCharacter })]
    [InlineData("ivan+tag", new[] { ErrorCode.UsernameInvalidCharacter })]
    [InlineData("1ivan", new[] { ErrorCode.UsernameMustStartWithLetter })]
    [InlineData(".ivan", new[] { ErrorCode.UsernameMustStartWithLetter })]
    [InlineData("-ivan", new[] { ErrorCode.UsernameMustStartWithLetter })]
    [InlineData("ivan.", new[] { ErrorCode.UsernameMustEndWithLetterOrDigit })]
    [InlineData("ivan-", new[] { ErrorCode.UsernameMustEndWithLetterOrDigit })]
    [InlineData("иван", new[] { ErrorCode.UsernameInvalidCharacter })]
    [InlineData("_ivan_", new[] { ErrorCode.UsernameInvalidCharacter })]
    [InlineData("_ivan.", new[] { ErrorCode.UsernameInvalidCharacter, ErrorCode.UsernameMustEndWithLetterOrDigit })]
    [InlineData("1ivan-", new[] { ErrorCode.UsernameMustStartWithLetter, ErrorCode.UsernameMustEndWithLetterOrDigit })]
    [InlineData("ivan\U0001F600", new[] { ErrorCode.UsernameInvalidCharacter })]
    public void CheckUsername_Broken_OneCodePerBrokenRule(string username, ErrorCode[] codes)
    {
        Assert.Equal(codes, DestinationRules.CheckUsername(username).Select(v => v.Code));
    }

    [Fact]
    public void CheckUsername_SeveralWrongCharacters_OneErrorNamingEachPosition()
    {
        var violation = Assert.Single(DestinationRules.CheckUsername("_iv+an_"));

        Assert.Equal(ErrorCode.UsernameInvalidCharacter, violation.Code);
        Assert.Contains("'_' (U+005F) at position 1, and 2 more characters that are not allowed at positions 4, 7;", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckUsername_CyrillicLookAlike_NamesTheCharacterAndItsPosition()
    {
        // The second letter is CYRILLIC SMALL LETTER A, which looks exactly like the Latin 'a'.
        var violation = Assert.Single(DestinationRules.CheckUsername("m\u0430ria"));

        Assert.Equal(ErrorCode.UsernameInvalidCharacter, violation.Code);
        Assert.Contains("Cyrillic", violation.Message, StringComparison.Ordinal);
        Assert.Contains("U+0430", violation.Message, StringComparison.Ordinal);
        Assert.Contains("position 2", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Secret")]
    [InlineData("abcdefghijabcdefghij")] // exactly 20
    [InlineData("!@#$%^&*()_-+:;,.a1")]
    [InlineData("ivan.petrov2")]
    public void CheckPassword_Valid_NoViolation(string password)
    {
        Assert.Empty(DestinationRules.CheckPassword(new(password), "ivan"));
    }

    [Theory]
    [InlineData("Sec12", new[] { ErrorCode.PasswordTooShort })]
    [InlineData("abcdefghijabcdefghijk", new[] { ErrorCode.PasswordTooLong })]
    [InlineData("Secret 12", new[] { ErrorCode.PasswordInvalidCharacter })]
    [InlineData("Secret\"12", new[] { ErrorCode.PasswordInvalidCharacter })]
    [InlineData("Secret=12", new[] { ErrorCode.PasswordInvalidCharacter })]
    [InlineData("Secret/12", new[] { ErrorCode.PasswordInvalidCharacter })]
    [InlineData("Секрет12", new[] { ErrorCode.PasswordInvalidCharacter })]
    [InlineData("ivan.petrov", new[] { ErrorCode.PasswordEqualsUsername })]
    [InlineData("IVAN.PETROV", new[] { ErrorCode.PasswordEqualsUsername })]
    [InlineData("a b", new[] { ErrorCode.PasswordTooShort, ErrorCode.PasswordInvalidCharacter })]
    public void CheckPassword_Broken_OneCodePerBrokenRule(string password, ErrorCode[] codes)
    {
        Assert.Equal(codes, DestinationRules.CheckPassword(new(password), "ivan.petrov").Select(v => v.Code));
    }

    [Fact]
    public void CheckPassword_InvalidCharacter_MessageGivesPositionNotCharacter()
    {
        var violation = Assert.Single(DestinationRules.CheckPassword(new("Secret§12"), "ivan"));

        Assert.Contains("position 7", violation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("§", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Alphabet_IsExactlyTheDocumentedOne()
    {
        var allowed = Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c)
            .Where(c => DestinationRules.CheckPassword(new(new string(c, 8)), "x").Count == 0);

        Assert.Equal(
            "!#$%&()*+,-.0123456789:;@ABCDEFGHIJKLMNOPQRSTUVWXYZ^_abcdefghijklmnopqrstuvwxyz",
            string.Concat(allowed));
    }
}
