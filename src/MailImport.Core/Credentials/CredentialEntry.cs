using MailImport.Core.Errors;

namespace MailImport.Core.Credentials;

/// <summary>One mailbox to import, as the admin listed it, with its destination resolved.</summary>
/// <param name="LineNumber">The line of the file (or the 1-based position of the JSON entry).</param>
/// <param name="SourceLogin">The login at the source server, possibly a full e-mail address.</param>
/// <param name="SourcePassword">The password at the source server; null when the batch logs in to the source with tokens.</param>
/// <param name="DestinationUsername">The username of the new mailbox: the new login when given, else the source login's local part.</param>
/// <param name="DestinationPassword">The password of the new mailbox: the new password when given, else the source password;
/// null when neither is there (a token source without a new password), so the mailbox is only written, never created.</param>
public sealed record CredentialEntry(
    int LineNumber,
    string SourceLogin,
    Secret? SourcePassword,
    string DestinationUsername,
    Secret? DestinationPassword)
{
    /// <summary>The employee's first name for the destination's directory, when given (JSON entries only).</summary>
    public string? FirstName { get; init; }

    /// <summary>The employee's last name for the destination's directory, when given (JSON entries only).</summary>
    public string? LastName { get; init; }
}

/// <summary>Something wrong with one line (or JSON entry), or with the file as a whole when <see cref="LineNumber"/> is 0.</summary>
/// <param name="LineNumber">The 1-based line or entry, or 0 for the whole file.</param>
/// <param name="Code">The stable error code.</param>
/// <param name="Message">What is wrong and how to fix it; never contains a password.</param>
/// <param name="SourceLogin">The line's source login, when the line got that far.</param>
/// <param name="DestinationUsername">The line's destination username, when the line got that far.</param>
public sealed record CredentialProblem(
    int LineNumber,
    ErrorCode Code,
    string Message,
    string? SourceLogin = null,
    string? DestinationUsername = null)
{
    /// <summary>A problem with the file as a whole.</summary>
    public bool IsFileLevel => LineNumber == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        IsFileLevel ? $"file: {Code}: {Message}" : $"line {LineNumber}: {Code}: {Message}";
}

/// <summary>What a credential list yields: the mailboxes that may be imported and the problems of the rest.</summary>
/// <param name="Entries">Lines that passed the grammar and the destination rules, in file order.</param>
/// <param name="Problems">Every problem found, in file order; a line may have several.</param>
public sealed record CredentialParseResult(IReadOnlyList<CredentialEntry> Entries, IReadOnlyList<CredentialProblem> Problems)
{
    /// <summary>The problem that made the whole file unusable, if any; then there are no entries.</summary>
    public CredentialProblem? FileProblem => Problems.FirstOrDefault(p => p.IsFileLevel);

    /// <summary>A result for a file that could not be read at all.</summary>
    internal static CredentialParseResult FileFailed(ErrorCode code, string message) =>
        new([], [new CredentialProblem(0, code, message)]);
}
