using MailImport.Core.Errors;
using MailImport.Core.Rules;

namespace MailImport.Core.Credentials;

/// <summary>Turns parsed fields into entries: resolves the destination, applies the destination rules,
/// and refuses a second line for the same destination username. Shared by the text and JSON forms.</summary>
internal sealed class CredentialListBuilder(CredentialListBuilder.Form form)
{
    /// <summary>Where the entries come from; it decides how a fix is worded.</summary>
    public enum Form
    {
        /// <summary>The uploaded text file.</summary>
        TextFile,
        /// <summary>JSON entries.</summary>
        Json,
    }

    private readonly List<CredentialEntry> entries = [];
    private readonly List<CredentialProblem> problems = [];
    private readonly Dictionary<string, (int Line, string Username)> claimed = new(StringComparer.Ordinal);

    public void AddProblem(int line, ErrorCode code, string message, string? login = null, string? username = null) =>
        problems.Add(new CredentialProblem(line, code, message, login, username));

    /// <summary>Adds one mailbox line whose fields are already known to be present and non-empty.</summary>
    /// <remarks><paramref name="password"/> is null for a source reached with tokens; then, without a new password, the
    /// destination password is null too.</remarks>
    public void Add(int line, string login, Secret? password, string? newLogin, Secret? newPassword, string? firstName = null, string? lastName = null)
    {
        var username = newLogin ?? LocalPart(login);
        var before = problems.Count;

        foreach (var violation in DestinationRules.CheckUsername(username))
        {
            AddProblem(line, violation.Code, violation.Message + (newLogin is null ? NewUsernameHint() : ""), login, username);
        }

        var destinationPassword = newPassword ?? password;
        foreach (var violation in destinationPassword is null ? [] : DestinationRules.CheckPassword(destinationPassword, username))
        {
            AddProblem(line, violation.Code, violation.Message + (newPassword is null ? NewPasswordHint() : ""), login, username);
        }

        // Every line claims its username, valid or not: two lines for one mailbox stay a conflict once the first is fixed.
        var key = DestinationRules.MailboxKey(username);
        if (claimed.TryGetValue(key, out var first))
        {
            AddProblem(line, ErrorCode.LineDuplicateDestination,
                $"The destination username '{DestinationRules.Shorten(username)}' is already used by {Where(first.Line)} ('{DestinationRules.Shorten(first.Username)}'); "
                + "remove this line or give it another username.", login, username);
        }
        else if (username.Length > 0)
        {
            claimed.Add(key, (line, username));
        }

        if (problems.Count == before)
        {
            entries.Add(new CredentialEntry(line, login, password, username, destinationPassword) { FirstName = firstName, LastName = lastName });
        }
    }

    public CredentialParseResult Build() => new(entries, problems);

    /// <summary>The destination username implied by a source login: the local part of an e-mail address.</summary>
    internal static string LocalPart(string login)
    {
        var at = login.LastIndexOf('@');
        return at < 0 ? login : login[..at];
    }

    private string Where(int line) => form == Form.TextFile ? $"line {line}" : $"entry {line}";

    private string NewUsernameHint() => form == Form.TextFile
        ? " Keep the source login and give a new username with the four-field form: login password newlogin newpassword."
        : " Keep the source login and give a new username in newLogin (New username in the import page's table).";

    private string NewPasswordHint() => form == Form.TextFile
        ? " The source password is used for the new mailbox unless you give a new one with the four-field form: login password newlogin newpassword."
        : " The source password is used for the new mailbox unless you give a new one in newPassword (New password in the import page's table).";
}
