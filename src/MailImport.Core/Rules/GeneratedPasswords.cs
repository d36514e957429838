using System.Buffers;
using System.Security.Cryptography;

namespace MailImport.Core.Rules;

/// <summary>Makes a destination password for a mailbox whose line gives none: random, and within
/// <see cref="DestinationRules"/>.</summary>
/// <remarks>
/// <para>Drawn with the operating system's CSPRNG (<see cref="RandomNumberGenerator.GetItems{T}(ReadOnlySpan{T}, int)"/>,
/// uniform over the alphabet, https://learn.microsoft.com/dotnet/api/system.security.cryptography.randomnumbergenerator.getitems).
/// <see cref="Length"/> characters from the 79 the rules allow carry about 100 bits. A draw without a lower-case
/// letter, an upper-case letter, a digit and a punctuation mark is drawn again rather than patched, so every accepted
/// password stays uniform among those that have all four: a person may have to type it, and services that ask for
/// character classes take it as it is. It starts with a letter or a digit, so it goes into a CSV cell as it is.</para>
/// </remarks>
public static class GeneratedPasswords
{
    /// <summary>How long a generated password is: within the destination's 6 to 20 characters.</summary>
    public const int Length = 16;

    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Alphabet = Lower + Upper + Digits + DestinationRules.PasswordPunctuation;

    private static readonly SearchValues<char>[] Classes =
        [SearchValues.Create(Lower), SearchValues.Create(Upper), SearchValues.Create(Digits), SearchValues.Create(DestinationRules.PasswordPunctuation)];

    /// <summary>A new password for the mailbox <paramref name="username"/>, which <see cref="DestinationRules.CheckPassword"/>
    /// accepts (its tests hold it to that over many draws).</summary>
    public static Secret For(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        while (true)
        {
            var candidate = new Secret(RandomNumberGenerator.GetString(Alphabet, Length));
            var text = candidate.Reveal();
            // A first letter or digit: a spreadsheet reads a cell that starts with = + - @ as a formula, and the CSV
            // writer would defuse it with a quote, changing the password (BatchReportFormats.Cell).
            if (char.IsAsciiLetterOrDigit(text[0]) && Classes.All(c => text.AsSpan().ContainsAny(c))
                // Logins are case-insensitive at the destination, as DestinationRules.CheckPassword compares them.
                && !text.Equals(username, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }
    }
}
