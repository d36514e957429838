using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Core.Rules;
using MailImport.Core.Sources;

namespace MailImport.Core.Credentials;

/// <summary>Reads mailboxes sent as JSON (manual entry on the page, automation):
/// <c>[{ "login": ..., "password": ..., "newLogin": ..., "newPassword": ..., "firstName": ..., "lastName": ... }]</c>.</summary>
/// <remarks>
/// Validated exactly as the text file is, with "entry N" in place of "line N". Field names are matched
/// without regard to case; <c>newLogin</c>, <c>newPassword</c>, <c>firstName</c> and <c>lastName</c> are optional and
/// independent, and an empty one counts as not given (an empty cell of the manual-entry table). The names are the
/// employee's in the destination's directory (Yandex 360 asks for a first and a last name). For a source reached with
/// tokens (<see cref="SourceAuthenticationTypes.UsesTokens"/>) an entry gives no <c>password</c>, and one that does is refused
/// rather than ignored: the admin meant another authentication, and a password kept by mistake is a password stored for nothing.
/// </remarks>
public static class CredentialJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8 };

    private static readonly HashSet<string> FieldNames = new(["login", "password", "newLogin", "newPassword", "firstName", "lastName"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The longest first or last name taken, in characters.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Parses a JSON array of entries in the form <paramref name="authentication"/> decides.</summary>
    public static CredentialParseResult Parse(ReadOnlySpan<byte> utf8Json, SourceAuthenticationType authentication = SourceAuthenticationType.Password)
    {
        if (utf8Json.Length > CredentialFile.MaxBytes)
        {
            return CredentialParseResult.FileFailed(ErrorCode.FileTooLarge,
                $"The entries take {utf8Json.Length / (1024.0 * 1024):0.#} MB; at most {CredentialFile.MaxBytes / (1024 * 1024)} MB is accepted.");
        }

        // JsonDocument checks UTF-8 inside a string only when the string is read, and then throws.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            return CredentialParseResult.FileFailed(ErrorCode.JsonMalformed, "The entries are not valid UTF-8 text; send them as UTF-8 JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            // The parser's own message quotes the offending text, which may be part of a password: give only the position.
            var where = e.LineNumber is { } line ? $" near line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
            return CredentialParseResult.FileFailed(ErrorCode.JsonMalformed,
                $"The entries are not well-formed JSON{where}. Send an array of objects with login, password, and optionally newLogin and newPassword.");
        }

        using (document)
        {
            return Parse(document.RootElement, authentication.UsesTokens());
        }
    }

    private static CredentialParseResult Parse(JsonElement root, bool tokens)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            return CredentialParseResult.FileFailed(ErrorCode.JsonMalformed,
                "The entries must be a JSON array of objects with login, password, and optionally newLogin and newPassword.");
        }

        var count = root.GetArrayLength();
        if (count == 0)
        {
            return CredentialParseResult.FileFailed(ErrorCode.FileEmpty, "The list of entries is empty; give at least one mailbox.");
        }

        if (count > CredentialFile.MaxLines)
        {
            return CredentialParseResult.FileFailed(ErrorCode.FileTooManyLines,
                $"There are {count:N0} entries; one import takes at most {CredentialFile.MaxLines:N0}.");
        }

        var builder = new CredentialListBuilder(CredentialListBuilder.Form.Json);
        var number = 0;
        foreach (var element in root.EnumerateArray())
        {
            number++;
            try
            {
                ParseEntry(number, element, tokens, builder);
            }
            catch (InvalidOperationException)
            {
                // Reading a name or string with a lone surrogate escape (\ud800) throws; JSON's grammar allows it, text does not.
                builder.AddProblem(number, ErrorCode.EntryFieldInvalid, $"Entry {number} holds a \\u escape that is not valid text (a lone surrogate).");
            }
        }

        return builder.Build();
    }

    private static void ParseEntry(int number, JsonElement element, bool tokens, CredentialListBuilder builder)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            builder.AddProblem(number, ErrorCode.EntryFieldInvalid, $"Entry {number} is not an object with login and password.");
            return;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            if (!FieldNames.Contains(property.Name))
            {
                builder.AddProblem(number, ErrorCode.EntryUnknownField,
                    $"Entry {number} has the field '{DestinationRules.Shorten(property.Name, 40)}', which MailImport does not know; use login, password, newLogin, newPassword, firstName and lastName.");
                return;
            }

            if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                builder.AddProblem(number, ErrorCode.EntryFieldInvalid, $"Entry {number}: {property.Name} must be text.");
                return;
            }

            var value = property.Value.GetString() ?? "";
            if (!values.TryAdd(property.Name, value))
            {
                builder.AddProblem(number, ErrorCode.EntryFieldInvalid, $"Entry {number} gives the field {property.Name} twice.");
                return;
            }

            if (value.AsSpan().IndexOfAny(CredentialFile.ControlCharacters) is var control and >= 0)
            {
                builder.AddProblem(number, ErrorCode.LineControlCharacter,
                    $"Entry {number}: {property.Name} has an invisible control character (U+{(int)value[control]:X4}) at position {control + 1}.");
                return;
            }
        }

        var login = values.GetValueOrDefault("login")?.Trim();
        var password = values.GetValueOrDefault("password");
        var newLogin = values.GetValueOrDefault("newLogin")?.Trim();
        var newPassword = values.GetValueOrDefault("newPassword");
        if (tokens && !string.IsNullOrEmpty(password))
        {
            builder.AddProblem(number, ErrorCode.EntryFieldInvalid,
                $"Entry {number} gives a password, but the source is logged in to with tokens; leave password out (newPassword is the new mailbox's).", string.IsNullOrEmpty(login) ? null : login);
            return;
        }

        if (string.IsNullOrEmpty(login) || (!tokens && string.IsNullOrEmpty(password)))
        {
            builder.AddProblem(number, ErrorCode.EntryFieldInvalid,
                $"Entry {number} needs {(string.IsNullOrEmpty(login) ? "a login" : "a password")}.", string.IsNullOrEmpty(login) ? null : login);
            return;
        }

        var firstName = values.GetValueOrDefault("firstName")?.Trim();
        var lastName = values.GetValueOrDefault("lastName")?.Trim();
        foreach (var (field, name) in new[] { ("firstName", firstName), ("lastName", lastName) })
        {
            if (name is { Length: > MaxNameLength })
            {
                builder.AddProblem(number, ErrorCode.EntryFieldInvalid, $"Entry {number}: {field} is {name.Length} characters long; at most {MaxNameLength} are taken.", login);
                return;
            }
        }

        builder.Add(number, login, tokens ? null : new Secret(password!),
            string.IsNullOrEmpty(newLogin) ? null : newLogin,
            string.IsNullOrEmpty(newPassword) ? null : new Secret(newPassword),
            string.IsNullOrEmpty(firstName) ? null : firstName,
            string.IsNullOrEmpty(lastName) ? null : lastName);
    }
}
