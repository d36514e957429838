using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;

namespace MailImport.Core.Tests.Credentials;

public class CredentialFileTests
{
    private static CredentialParseResult Parse(string text) => CredentialFile.Parse(Encoding.UTF8.GetBytes(text));

    [Theory]
    // login password: the destination is the login, or its local part when it is an e-mail address.
    [InlineData("ivan Secret12", "ivan", "Secret12", "ivan", "Secret12")]
    [InlineData("ivan@old.example Secret12", "ivan@old.example", "Secret12", "ivan", "Secret12")]
    [InlineData("ivan\tSecret12", "ivan", "Secret12", "ivan", "Secret12")]
    [InlineData("  ivan  \t  Secret12  \t ", "ivan", "Secret12", "ivan", "Secret12")]
    // Four fields: the destination comes from fields three and four.
    [InlineData("login1 \"pas sword1\" login1 new_password1", "login1", "pas sword1", "login1", "new_password1")]
    [InlineData("old_name! Secret12 ivan.petrov NewPass1", "old_name!", "Secret12", "ivan.petrov", "NewPass1")]
    // Quotes: "" inside a quoted field is one quote; a quote inside an unquoted field is literal.
    [InlineData("ivan \"say \"\"hi\"\" now\" ivan Secret12", "ivan", "say \"hi\" now", "ivan", "Secret12")]
    [InlineData("ivan pa\"ss\"12 ivan Secret12", "ivan", "pa\"ss\"12", "ivan", "Secret12")]
    [InlineData("\"ivan\" \"Secret12\"", "ivan", "Secret12", "ivan", "Secret12")]
    [InlineData("ivan \"\"\"\" ivan Secret12", "ivan", "\"", "ivan", "Secret12")]
    public void Parse_ValidLine_ResolvesSourceAndDestination(string line, string login, string password, string username, string newPassword)
    {
        var result = Parse(line);

        Assert.Empty(result.Problems);
        var entry = Assert.Single(result.Entries);
        Assert.Equal(1, entry.LineNumber);
        Assert.Equal(login, entry.SourceLogin);
        Assert.Equal(password, entry.SourcePassword!.Reveal());
        Assert.Equal(username, entry.DestinationUsername);
        Assert.Equal(newPassword, entry.DestinationPassword!.Reveal());
    }

    [Theory]
    [InlineData("ivan", ErrorCode.LineFieldCount, "1 field")]
    [InlineData("ivan Secret12 ivan2", ErrorCode.LineFieldCount, "new login needs a new password")]
    [InlineData("ivan Sec ret12 ivan2 Secret12", ErrorCode.LineFieldCount, "5 fields")]
    [InlineData("a b c d e f g", ErrorCode.LineFieldCount, "7 fields")]
    [InlineData("ivan \"Secret12", ErrorCode.LineUnterminatedQuote, "Field 2 opens a quote at column 6")]
    [InlineData("ivan \"Sec\"ret12", ErrorCode.LineTextAfterQuote, "column 11")]
    [InlineData("ivan \"\"", ErrorCode.LineEmptyField, "Field 2 (password) is empty")]
    [InlineData("ivan Secret12 \"\" Secret12", ErrorCode.LineEmptyField, "Field 3 (new login)")]
    [InlineData("ivan Sec\u0001ret12", ErrorCode.LineControlCharacter, "U+0001")]
    [InlineData("ivan\u00A0Secret12", ErrorCode.LineFieldCount, "no-break spaces")]
    public void Parse_BrokenLine_ReportsLineCodeAndFix(string line, ErrorCode code, string messagePart)
    {
        var result = Parse("good Secret12\n" + line + "\n");

        Assert.Equal("good", Assert.Single(result.Entries).SourceLogin);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.Equal(code, problem.Code);
        Assert.Contains(messagePart, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ivan_petrov Secret12", ErrorCode.UsernameInvalidCharacter)]
    [InlineData("1ivan Secret12", ErrorCode.UsernameMustStartWithLetter)]
    [InlineData("ivan- Secret12", ErrorCode.UsernameMustEndWithLetterOrDigit)]
    [InlineData("abcdefghijabcdefghijabcdefghijk Secret12", ErrorCode.UsernameTooLong)]
    [InlineData("@old.example Secret12", ErrorCode.UsernameEmpty)]
    public void Parse_SourceLoginBreaksUsernameRule_SuggestsFourFieldForm(string line, ErrorCode code)
    {
        var problem = Assert.Single(Parse(line).Problems);

        Assert.Equal(code, problem.Code);
        Assert.Contains("four-field form", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SourcePasswordBreaksRule_SaysTheSourcePasswordIsReused()
    {
        var problem = Assert.Single(Parse("ivan \"has space\"").Problems);

        Assert.Equal(ErrorCode.PasswordInvalidCharacter, problem.Code);
        Assert.Contains("source password is used for the new mailbox", problem.Message, StringComparison.Ordinal);
        Assert.Equal("ivan", problem.SourceLogin);
        Assert.Equal("ivan", problem.DestinationUsername);
    }

    [Fact]
    public void Parse_NewUsernameGiven_NoFourFieldHint()
    {
        var problem = Assert.Single(Parse("ivan Secret12 ivan_p Secret12").Problems);

        Assert.Equal(ErrorCode.UsernameInvalidCharacter, problem.Code);
        Assert.DoesNotContain("four-field", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ivan Secret12\nivan Other123")]
    [InlineData("ivan Secret12\nIVAN@other.example Other123")]
    [InlineData("ivan.petrov Secret12\nx Other123 ivan-petrov Other123")]
    public void Parse_SameDestinationTwice_LaterLineIsTheError(string text)
    {
        var result = Parse(text);

        Assert.Equal(1, Assert.Single(result.Entries).LineNumber);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(2, problem.LineNumber);
        Assert.Equal(ErrorCode.LineDuplicateDestination, problem.Code);
        Assert.Contains("line 1", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n\na Secret12\r\n\r\n  \t \nb Secret12\n", new[] { 3, 6 })]
    [InlineData("a Secret12\rb Secret12\rc Secret12", new[] { 1, 2, 3 })]
    [InlineData("a Secret12\r\nb Secret12\nc Secret12\r", new[] { 1, 2, 3 })]
    public void Parse_LineEndingsAndBlankLines_KeepEditorLineNumbers(string text, int[] lines)
    {
        var result = Parse(text);

        Assert.Empty(result.Problems);
        Assert.Equal(lines, result.Entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Parse_Utf8Bom_IsIgnored()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("ivan Secret12")).ToArray();

        Assert.Equal("ivan", Assert.Single(CredentialFile.Parse(bytes).Entries).SourceLogin);
    }

    [Fact]
    public void Parse_NonAsciiPasswordInUtf8_IsKeptAsSourcePassword()
    {
        var entry = Assert.Single(Parse("ivan пароль12 ivan Secret12").Entries);

        Assert.Equal("пароль12", entry.SourcePassword!.Reveal());
    }

    [Fact]
    public void Parse_GoodLinesAroundBadOnes_AreAllKept()
    {
        var result = Parse("a Secret12\nbroken\nb Secret12\nc \"open\nd Secret12");

        Assert.Equal(["a", "b", "d"], result.Entries.Select(e => e.SourceLogin));
        Assert.Equal([2, 4], result.Problems.Select(p => p.LineNumber));
        Assert.Null(result.FileProblem);
    }

    [Fact]
    public void Parse_Windows1251Text_IsOneFileProblemNamingTheLine()
    {
        // "пароль" in Windows-1251 is not UTF-8.
        var bytes = Encoding.ASCII.GetBytes("a Secret12\nb ").Concat(new byte[] { 0xEF, 0xE0, 0xF0, 0xEE, 0xEB, 0xFC }).ToArray();

        var result = CredentialFile.Parse(bytes);

        Assert.Empty(result.Entries);
        var problem = Assert.Single(result.Problems);
        Assert.True(problem.IsFileLevel);
        Assert.Equal(ErrorCode.FileNotUtf8, problem.Code);
        Assert.Contains("Line 2", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0, (byte)' ', 0 }, ErrorCode.FileNotUtf8)]
    [InlineData(new byte[] { (byte)'a', 0, (byte)' ', 0, (byte)'b', 0, (byte)'c', 0 }, ErrorCode.FileNotUtf8)]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00 }, ErrorCode.FileNotText)]
    public void Parse_NotText_IsOneFileProblem(byte[] bytes, ErrorCode code)
    {
        var result = CredentialFile.Parse(bytes);

        Assert.Empty(result.Entries);
        Assert.Equal(code, Assert.Single(result.Problems).Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \r\n\t\n")]
    public void Parse_NoMailboxLine_IsFileEmpty(string text)
    {
        Assert.Equal(ErrorCode.FileEmpty, Assert.Single(Parse(text).Problems).Code);
    }

    [Fact]
    public void Parse_MoreThanMaxLines_IsOneFileProblem()
    {
        var text = string.Concat(Enumerable.Range(0, CredentialFile.MaxLines + 1).Select(i => $"u{i} Secret12\n"));

        var result = Parse(text);

        Assert.Empty(result.Entries);
        Assert.Equal(ErrorCode.FileTooManyLines, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void Parse_ExactlyMaxLines_AreAllAccepted()
    {
        var text = string.Concat(Enumerable.Range(0, CredentialFile.MaxLines).Select(i => $"u{i} Secret12\n"));

        var result = Parse(text);

        Assert.Empty(result.Problems);
        Assert.Equal(CredentialFile.MaxLines, result.Entries.Count);
    }

    [Fact]
    public void Parse_LargerThanMaxBytes_IsOneFileProblem()
    {
        var bytes = new byte[CredentialFile.MaxBytes + 1];
        Array.Fill(bytes, (byte)' ');

        var result = CredentialFile.Parse(bytes);

        Assert.Equal(ErrorCode.FileTooLarge, Assert.Single(result.Problems).Code);
    }
}
