using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;

namespace MailImport.Core.Tests.Credentials;

public class CredentialJsonTests
{
    private static CredentialParseResult Parse(string json) => CredentialJson.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_TwoAndFourFieldEntries_ResolveLikeTheFile()
    {
        var result = Parse("""
            [
              { "login": "ivan@old.example", "password": "pas sword1", "newLogin": "ivan", "newPassword": "Secret12" },
              { "Login": "maria", "PASSWORD": "Secret34" },
              { "login": "olga", "password": "Secret56", "newLogin": "", "newPassword": null }
            ]
            """);

        Assert.Empty(result.Problems);
        Assert.Equal(["ivan", "maria", "olga"], result.Entries.Select(e => e.DestinationUsername));
        Assert.Equal("pas sword1", result.Entries[0].SourcePassword!.Reveal());
        Assert.Equal("Secret12", result.Entries[0].DestinationPassword!.Reveal());
        Assert.Equal([1, 2, 3], result.Entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Parse_Names_KeptTrimmedAndOptional()
    {
        var result = Parse("""
            [
              { "login": "ivan", "password": "Secret12", "firstName": " Иван ", "lastName": "Петров" },
              { "login": "maria", "password": "Secret34", "FIRSTNAME": "", "lastName": null },
              { "login": "olga", "password": "Secret56" }
            ]
            """);

        Assert.Empty(result.Problems);
        Assert.Equal([("Иван", "Петров"), (null, null), (null, null)], result.Entries.Select(e => (e.FirstName, e.LastName)));
    }

    [Fact]
    public void Parse_NameTooLong_NamesTheEntryAndTheField()
    {
        var json = $$"""[{ "login": "ivan", "password": "Secret12" }, { "login": "olga", "password": "Secret56", "lastName": "{{new string('x', CredentialJson.MaxNameLength + 1)}}" }]""";

        var result = Parse(json);

        var problem = Assert.Single(result.Problems);
        Assert.Equal((2, ErrorCode.EntryFieldInvalid), (problem.LineNumber, problem.Code));
        Assert.Contains("lastName is 101 characters long", problem.Message, StringComparison.Ordinal);
        Assert.Equal("ivan", Assert.Single(result.Entries).DestinationUsername);
    }

    [Fact]
    public void Parse_NewPasswordAlone_KeepsTheDerivedUsername()
    {
        var entry = Assert.Single(Parse("""[{ "login": "ivan@old.example", "password": "bad pw", "newPassword": "Secret12" }]""").Entries);

        Assert.Equal("ivan", entry.DestinationUsername);
        Assert.Equal("Secret12", entry.DestinationPassword!.Reveal());
    }

    [Theory]
    [InlineData("""[{ "login": "ivan" }]""", ErrorCode.EntryFieldInvalid, "needs a password")]
    [InlineData("""[{ "password": "Secret12" }]""", ErrorCode.EntryFieldInvalid, "needs a login")]
    [InlineData("""[{ "login": 5, "password": "Secret12" }]""", ErrorCode.EntryFieldInvalid, "login must be text")]
    [InlineData("""[{ "login": "a", "login": "b", "password": "Secret12" }]""", ErrorCode.EntryFieldInvalid, "twice")]
    [InlineData("""[{ "login": "ivan", "password": "Secret12", "newlogn": "x" }]""", ErrorCode.EntryUnknownField, "'newlogn'")]
    [InlineData("""[ "ivan Secret12" ]""", ErrorCode.EntryFieldInvalid, "not an object")]
    [InlineData("""[{ "login": "ivan", "password": "Sec\nret12" }]""", ErrorCode.LineControlCharacter, "U+000A")]
    [InlineData("""[{ "login": "ivan_p", "password": "Secret12" }]""", ErrorCode.UsernameInvalidCharacter, "newLogin")]
    [InlineData("""[{ "login": "ivan", "password": "Secret12", "lastName": 7 }]""", ErrorCode.EntryFieldInvalid, "lastName must be text")]
    [InlineData("""[{ "login": "ivan", "password": "Secret12", "firstName": "Ива\u0007н" }]""", ErrorCode.LineControlCharacter, "firstName")]
    public void Parse_BrokenEntry_NamesEntryAndField(string json, ErrorCode code, string messagePart)
    {
        var problem = Assert.Single(Parse(json).Problems);

        Assert.Equal(1, problem.LineNumber);
        Assert.Equal(code, problem.Code);
        Assert.Contains(messagePart, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Duplicate_NamesTheEarlierEntry()
    {
        var problem = Assert.Single(Parse("""[{"login":"ivan","password":"Secret12"},{"login":"Ivan","password":"Secret34"}]""").Problems);

        Assert.Equal(ErrorCode.LineDuplicateDestination, problem.Code);
        Assert.Contains("entry 1", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", ErrorCode.JsonMalformed)]
    [InlineData("[", ErrorCode.JsonMalformed)]
    [InlineData("", ErrorCode.JsonMalformed)]
    [InlineData("[]", ErrorCode.FileEmpty)]
    [InlineData("[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", ErrorCode.JsonMalformed)]
    public void Parse_NotAnArrayOfEntries_IsOneFileProblem(string json, ErrorCode code)
    {
        var problem = Assert.Single(Parse(json).Problems);

        Assert.True(problem.IsFileLevel);
        Assert.Equal(code, problem.Code);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsMalformedNotACrash()
    {
        // System.Text.Json checks UTF-8 inside strings only when they are read, so this must be caught up front.
        var json = Encoding.UTF8.GetBytes("""[{"login":"ivan","password":"Secret12"}]""");
        json[json.Length - 6] = 0xC3;

        var problem = Assert.Single(CredentialJson.Parse(json).Problems);
        Assert.Equal(ErrorCode.JsonMalformed, problem.Code);
        Assert.Contains("UTF-8", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LoneSurrogateEscape_IsAnEntryProblemNotACrash()
    {
        var result = Parse("""[{"login":"ivan","password":"Secret\ud800"},{"login":"maria","password":"Secret12"}]""");

        Assert.Equal(ErrorCode.EntryFieldInvalid, Assert.Single(result.Problems).Code);
        Assert.Equal("maria", Assert.Single(result.Entries).SourceLogin);
    }
}
