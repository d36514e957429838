using System.Globalization;

namespace MailImport.Infrastructure.Provisioning;

/// <summary>An employee's name as Yandex 360's directory holds it (<c>name: {first, last}</c>,
/// https://yandex.ru/dev/api360/doc/ru/ref/UserService/UserService_Create).</summary>
/// <param name="First">The first name.</param>
/// <param name="Last">The last name; left out when neither the admin nor the nickname gives one.</param>
public sealed record EmployeeName(string First, string? Last)
{
    /// <summary>The names the admin gave; where none were given, read from a nickname such as <c>ivan.petrov</c>
    /// ("Ivan", "Petrov"). A nickname of one word is the first name alone: sending it as the last name too would
    /// fill the address book with "maria maria".</summary>
    public static EmployeeName Of(NewMailbox mailbox)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var first = NullIfBlank(mailbox.FirstName);
        var last = NullIfBlank(mailbox.LastName);
        if (first is not null || last is not null)
        {
            return new EmployeeName(first ?? Capitalized(mailbox.Username), last);
        }

        var words = mailbox.Username.Split(['.', '-', '_'], StringSplitOptions.RemoveEmptyEntries);
        return words.Length < 2
            ? new EmployeeName(Capitalized(mailbox.Username), null)
            : new EmployeeName(Capitalized(words[0]), string.Join(' ', words.Skip(1).Select(Capitalized)));
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Capitalized(string word) =>
        word.Length == 0 ? word : string.Concat(char.ToUpper(word[0], CultureInfo.InvariantCulture).ToString(), word[1..]);
}
