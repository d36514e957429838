using MailImport.Core.Rules;

namespace MailImport.Core.Tests.Rules;

public class GeneratedPasswordsTests
{
    [Fact]
    public void For_ManyDraws_EachPassesTheDestinationRules_AndTheyDiffer()
    {
        const int draws = 20_000;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var characters = new HashSet<char>();
        for (var i = 0; i < draws; i++)
        {
            var password = GeneratedPasswords.For("ivan.petrov");
            Assert.Empty(DestinationRules.CheckPassword(password, "ivan.petrov"));
            Assert.Equal(GeneratedPasswords.Length, password.Length);
            Assert.True(seen.Add(password.Reveal()), "a password was drawn twice");
            characters.UnionWith(password.Reveal());
        }

        // Every character the rules allow is drawn: 79 of them over 320,000 draws of one.
        Assert.Equal(26 + 26 + 10 + DestinationRules.PasswordPunctuation.Length, characters.Count);
    }

    [Fact]
    public void For_EachStartsWithALetterOrDigit_AndHasALowerAndUpperLetter_ADigit_AndAPunctuationMark()
    {
        for (var i = 0; i < 2_000; i++)
        {
            var text = GeneratedPasswords.For("maria").Reveal();
            Assert.True(char.IsAsciiLetterOrDigit(text[0]), "starts with a punctuation mark");
            Assert.Contains(text, char.IsAsciiLetterLower);
            Assert.Contains(text, char.IsAsciiLetterUpper);
            Assert.Contains(text, char.IsAsciiDigit);
            Assert.Contains(text, c => DestinationRules.PasswordPunctuation.Contains(c, StringComparison.Ordinal));
        }
    }
}
