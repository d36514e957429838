using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Sources;

namespace MailImport.Core.Tests.Credentials;

/// <summary>The credential lines of a batch that logs in to the source with tokens: no source password.</summary>
public class TokenSourceGrammarTests
{
    private static CredentialParseResult ParseFile(string text, SourceAuthenticationType authentication = SourceAuthenticationType.GoogleServiceAccount) =>
        CredentialFile.Parse(Encoding.UTF8.GetBytes(text), authentication);

    private static CredentialParseResult ParseJson(string json, SourceAuthenticationType authentication = SourceAuthenticationType.MicrosoftAppOnly) =>
        CredentialJson.Parse(Encoding.UTF8.GetBytes(json), authentication);

    [Theory]
    [InlineData("ivan@old.example", "ivan@old.example", "ivan", null)]
    [InlineData("  ivan@old.example \t ", "ivan@old.example", "ivan", null)]
    [InlineData("ivan@old.example ivan.petrov", "ivan@old.example", "ivan.petrov", null)]
    [InlineData("ivan@old.example ivan.petrov NewPass1", "ivan@old.example", "ivan.petrov", "NewPass1")]
    [InlineData("\"old \"\"login\"\"\" ivan \"Pass!12\"", "old \"login\"", "ivan", "Pass!12")]
    public void Parse_TokenLine_HasNoSourcePassword(string line, string login, string username, string? newPassword)
    {
        var result = ParseFile(line);

        var entry = Assert.Single(result.Entries);
        Assert.Equal((login, username), (entry.SourceLogin, entry.DestinationUsername));
        Assert.Null(entry.SourcePassword);
        Assert.Equal(newPassword, entry.DestinationPassword?.Reveal());
    }

    [Fact]
    public void Parse_TokenLineWithNewPassword_AppliesThePasswordRules()
    {
        var problem = Assert.Single(ParseFile("ivan ivan abc").Problems);

        Assert.Equal((1, ErrorCode.PasswordTooShort), (problem.LineNumber, problem.Code));
        Assert.DoesNotContain("source password is used", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenLineWithoutNewPassword_ChecksNoPassword()
    {
        var entry = Assert.Single(ParseFile("ivan").Entries);

        Assert.Null(entry.DestinationPassword);
    }

    [Theory]
    [InlineData("ivan Secret12 ivan NewPass1", "remove it")]
    [InlineData("a b c d e", "5 fields but takes 1 to 3")]
    [InlineData("a b c\u00A0x d", "no-break spaces")]
    public void Parse_TooManyFields_SaysTheFileGivesNoSourcePassword(string line, string messagePart)
    {
        var result = ParseFile("good\n" + line);

        Assert.Equal("good", Assert.Single(result.Entries).SourceLogin);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, ErrorCode.LineFieldCount), (problem.LineNumber, problem.Code));
        Assert.Contains(messagePart, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ivan@old.example Secret!12")]
    [InlineData("ivan@old.example \"Pass word1\"")]
    [InlineData("ivan@old.example 12345678")]
    public void Parse_PasswordFormLine_IsRefusedWithoutTurningThePasswordIntoAUsername(string line)
    {
        var password = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim('"');

        var result = ParseFile("good\n" + line);

        Assert.Equal("good", Assert.Single(result.Entries).SourceLogin);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, ErrorCode.LineFieldCount, "ivan@old.example", (string?)null), (problem.LineNumber, problem.Code, problem.SourceLogin, problem.DestinationUsername));
        Assert.Contains("gives no source password", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PasswordFormLine_IsReadAsPasswordsInAPasswordBatch()
    {
        var entry = Assert.Single(ParseFile("ivan@old.example Secret!12", SourceAuthenticationType.Password).Entries);

        Assert.Equal(("ivan", "Secret!12"), (entry.DestinationUsername, entry.SourcePassword?.Reveal()));
    }

    [Fact]
    public void Parse_EmptyField_IsNamedByTheTokenGrammar()
    {
        var problem = Assert.Single(ParseFile("ivan \"\" NewPass1").Problems);

        Assert.Equal(ErrorCode.LineEmptyField, problem.Code);
        Assert.Contains("Field 2 (new login)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyFile_NamesTheTokenForms()
    {
        var problem = Assert.Single(ParseFile("\n\n").Problems);

        Assert.Equal(ErrorCode.FileEmpty, problem.Code);
        Assert.Contains("login, login newlogin, or login newlogin newpassword", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OneField_IsRefusedWithPasswords()
    {
        var problem = Assert.Single(ParseFile("ivan", SourceAuthenticationType.Password).Problems);

        Assert.Equal(ErrorCode.LineFieldCount, problem.Code);
    }

    [Fact]
    public void Parse_SameDestinationTwice_IsStillRefused()
    {
        var result = ParseFile("ivan@a.example\nivan@b.example");

        Assert.Equal(ErrorCode.LineDuplicateDestination, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void ParseJson_EntriesWithoutPassword_ResolveLikeTheFile()
    {
        var result = ParseJson("""
            [
              { "login": "ivan@old.example" },
              { "login": "maria@old.example", "newLogin": "maria.k", "newPassword": "NewPass1", "password": "" },
              { "login": "olga@old.example", "password": null }
            ]
            """);

        Assert.Empty(result.Problems);
        Assert.Equal(["ivan", "maria.k", "olga"], result.Entries.Select(e => e.DestinationUsername));
        Assert.All(result.Entries, e => Assert.Null(e.SourcePassword));
        Assert.Equal([null, "NewPass1", null], result.Entries.Select(e => e.DestinationPassword?.Reveal()));
    }

    [Fact]
    public void ParseJson_EntryWithPassword_IsRefusedWithoutEchoingIt()
    {
        var result = ParseJson("""[{ "login": "ivan" }, { "login": "maria", "password": "Canary-7f3a" }]""");

        Assert.Equal("ivan", Assert.Single(result.Entries).SourceLogin);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, ErrorCode.EntryFieldInvalid, "maria"), (problem.LineNumber, problem.Code, problem.SourceLogin));
        Assert.Contains("leave password out", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Canary", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseJson_EntryWithoutLogin_NeedsALogin()
    {
        var problem = Assert.Single(ParseJson("""[{ "newLogin": "ivan" }]""").Problems);

        Assert.Contains("needs a login", problem.Message, StringComparison.Ordinal);
    }
}
