using System.Collections.Frozen;

namespace MailImport.Core.Errors;

/// <summary>Which part of an import an error belongs to.</summary>
public enum ErrorCategory
{
    /// <summary>The credential file as a whole.</summary>
    File,
    /// <summary>One line or entry of the credential list.</summary>
    Line,
    /// <summary>A destination rule for usernames or passwords.</summary>
    Rule,
    /// <summary>The source server settings.</summary>
    Settings,
    /// <summary>The source server while importing.</summary>
    Source,
    /// <summary>The destination service.</summary>
    Destination,
    /// <summary>One message.</summary>
    Message,
    /// <summary>The batch.</summary>
    Batch,
    /// <summary>MailImport itself.</summary>
    Internal,
}

/// <summary>What an error means and what the administrator should do about it.</summary>
/// <param name="Code">The stable code.</param>
/// <param name="Category">Where the error belongs.</param>
/// <param name="Summary">One line: what went wrong.</param>
/// <param name="Fix">One line: what to change before the next run.</param>
/// <param name="IsTransient">True when the same step may succeed if simply tried again later.</param>
public sealed record ErrorInfo(ErrorCode Code, ErrorCategory Category, string Summary, string Fix, bool IsTransient);

/// <summary>The one list of every error code with its explanation and fix.</summary>
public static class ErrorCatalog
{
    // The fixes name the place to change in each way of giving mailboxes: a file's line, a JSON entry's field, and
    // the import page's table column, whose words the page shows.
    private const string NewUsernamePlaces =
        "or keep the old login and give a new username: with the four-field form of a line (login password newlogin newpassword), in newLogin of a JSON entry, or under New username in the import page's table.";

    private const string NewPasswordPlaces =
        "in the fourth field of a line, in newPassword of a JSON entry, or under New password in the import page's table.";

    private static readonly FrozenDictionary<ErrorCode, ErrorInfo> Entries = new ErrorInfo[]
    {
        new(ErrorCode.FileTooLarge, ErrorCategory.File, "The file is larger than 10 MB.",
            "Split the mailboxes into several files and import each.", false),
        new(ErrorCode.FileTooManyLines, ErrorCategory.File, "The file has more than 20,000 mailbox lines.",
            "Split the mailboxes into several files of at most 20,000 lines each.", false),
        new(ErrorCode.FileNotText, ErrorCategory.File, "The file is binary, not plain text.",
            "Export the list as plain text (for example 'Save as > Text' or CSV with spaces), one mailbox a line.", false),
        new(ErrorCode.FileNotUtf8, ErrorCategory.File, "The file is not UTF-8 text.",
            "Save the file with the UTF-8 encoding and upload it again.", false),
        new(ErrorCode.FileEmpty, ErrorCategory.File, "The file holds no mailbox line.",
            "Put one mailbox a line: login password, or login password newlogin newpassword.", false),
        new(ErrorCode.FileNoUsableLine, ErrorCategory.File, "No line of the file can be imported: every mailbox line has an error.",
            "Fix the lines listed with their errors and upload the file again.", false),
        new(ErrorCode.JsonMalformed, ErrorCategory.File, "The entries are not a well-formed JSON array of objects.",
            "Send [{\"login\": ..., \"password\": ..., \"newLogin\": ..., \"newPassword\": ...}].", false),

        new(ErrorCode.LineFieldCount, ErrorCategory.Line, "The line does not have the fields its batch takes: 2 or 4, or 1 to 3 when the source is logged in to with tokens.",
            "Write login password, or login password newlogin newpassword; for a source logged in to with tokens (a Google service account, a Microsoft app) login, login newlogin, or login newlogin newpassword, with no source password; quote a password that has spaces.", false),
        new(ErrorCode.LineUnterminatedQuote, ErrorCategory.Line, "A quoted field has no closing quote.",
            "Close the quote; write a quote inside a quoted field as two quotes (\"\").", false),
        new(ErrorCode.LineTextAfterQuote, ErrorCategory.Line, "Text follows a closing quote directly.",
            "Put a space after the closing quote, or write a quote inside the field as two quotes (\"\").", false),
        new(ErrorCode.LineEmptyField, ErrorCategory.Line, "A field is empty.",
            "Fill in the field or remove the empty quotes.", false),
        new(ErrorCode.LineControlCharacter, ErrorCategory.Line, "The line holds an invisible control character.",
            "Retype the line in a plain text editor.", false),
        new(ErrorCode.LineDuplicateDestination, ErrorCategory.Line, "Another line already imports into this destination username.",
            "Remove the repeated line, or give one of them another destination username with the four-field form.", false),
        new(ErrorCode.EntryFieldInvalid, ErrorCategory.Line, "An entry lacks a required field or gives it as something other than text.",
            "Give login and password as text; newLogin and newPassword are optional text.", false),
        new(ErrorCode.EntryUnknownField, ErrorCategory.Line, "An entry has a field MailImport does not know.",
            "Use only login, password, newLogin and newPassword.", false),

        new(ErrorCode.UsernameEmpty, ErrorCategory.Rule, "The destination username is empty.",
            "Give a login with a name before the @, " + NewUsernamePlaces, false),
        new(ErrorCode.UsernameTooLong, ErrorCategory.Rule, "The destination username is longer than 30 characters.",
            "Shorten the username, " + NewUsernamePlaces, false),
        new(ErrorCode.UsernameInvalidCharacter, ErrorCategory.Rule, "The destination username has a character other than Latin letters, digits, '-' and '.'.",
            "Use only Latin letters, digits, '-' and '.', " + NewUsernamePlaces, false),
        new(ErrorCode.UsernameMustStartWithLetter, ErrorCategory.Rule, "The destination username does not start with a Latin letter.",
            "Start the username with a Latin letter, " + NewUsernamePlaces, false),
        new(ErrorCode.UsernameMustEndWithLetterOrDigit, ErrorCategory.Rule, "The destination username does not end with a letter or digit.",
            "End the username with a Latin letter or digit, " + NewUsernamePlaces, false),
        new(ErrorCode.PasswordTooShort, ErrorCategory.Rule, "The destination password is shorter than 6 characters.",
            "Give a new password of 6–20 characters " + NewPasswordPlaces, false),
        new(ErrorCode.PasswordTooLong, ErrorCategory.Rule, "The destination password is longer than 20 characters.",
            "Give a new password of 6–20 characters " + NewPasswordPlaces, false),
        new(ErrorCode.PasswordInvalidCharacter, ErrorCategory.Rule, "The destination password has a character that is not allowed.",
            "Give a new password made of Latin letters, digits and ! @ # $ % ^ & * ( ) _ - + : ; , . only, " + NewPasswordPlaces, false),
        new(ErrorCode.PasswordEqualsUsername, ErrorCategory.Rule, "The destination password is the same as the username.",
            "Give a new password that differs from the username, " + NewPasswordPlaces, false),

        new(ErrorCode.SettingsUnknownPreset, ErrorCategory.Settings, "The server preset is unknown.",
            "Choose gmail, mailru, yandex, outlook, or custom with host, port and security.", false),
        new(ErrorCode.SettingsInvalidProtocol, ErrorCategory.Settings, "The protocol is neither IMAP nor POP3.",
            "Choose IMAP (all folders) or POP3 (inbox only).", false),
        new(ErrorCode.SettingsInvalidHost, ErrorCategory.Settings, "The host is missing or is not a valid host name or IP address.",
            "Give the server's host name, such as imap.example.org.", false),
        new(ErrorCode.SettingsInvalidPort, ErrorCategory.Settings, "The port is not between 1 and 65535.",
            "Give the server's port: usually 993 for IMAP over SSL, 995 for POP3 over SSL.", false),
        new(ErrorCode.SettingsInvalidSecurity, ErrorCategory.Settings, "The connection security setting is invalid.",
            "Choose ssl, starttls, or none (none sends passwords in clear text and must be chosen explicitly).", false),
        new(ErrorCode.SettingsInvalidCertificate, ErrorCategory.Settings, "The trusted certificate is not a SHA-256 fingerprint.",
            "Give the certificate's SHA-256 fingerprint as 64 hexadecimal digits (colons allowed).", false),
        new(ErrorCode.SettingsConflictWithPreset, ErrorCategory.Settings, "A setting contradicts the chosen preset.",
            "Leave the field empty to use the preset's value, or choose custom.", false),
        new(ErrorCode.SettingsInvalidSchedule, ErrorCategory.Settings, "The re-run schedule is not a CRON expression.",
            "Give five CRON fields in UTC, such as 0 3 * * * for daily at 03:00, or default.", false),
        new(ErrorCode.SettingsSourceNotAllowed, ErrorCategory.Settings, "The source host or port is one MailImport does not connect to.",
            "Give the mail server's public host name and a mail port (993 or 143 for IMAP, 995 or 110 for POP3); for a server inside your own network, the operator adds it to MailImport:SourceAccess:Allow.", false),
        new(ErrorCode.SettingsInvalidDuplicates, ErrorCategory.Settings, "The duplicates option is neither skip nor copy.",
            "Leave it out or give skip to copy only messages not already at the destination; give copy to copy every message again.", false),
        new(ErrorCode.SettingsInvalidAuthentication, ErrorCategory.Settings, "The source authentication is unknown or incomplete.",
            "Give {\"type\":\"password\"}, {\"type\":\"googleServiceAccount\",\"serviceAccountKey\":{the service account's JSON key}} or {\"type\":\"microsoftAppOnly\",\"tenantId\":...,\"clientId\":...,\"clientSecret\":...}.", false),
        new(ErrorCode.SettingsInvalidDownloadBudget, ErrorCategory.Settings, "The download budget is not a whole number of megabytes from 0 to 10,000,000.",
            "Leave it out for the source preset's default (Gmail: 2,500 MB a day over IMAP, 1,250 MB over POP), give 0 for no budget, or give the megabytes one source account may download per window.", false),
        new(ErrorCode.SettingsConcurrencyLimitReached, ErrorCategory.Settings, "As many copies as the connection or mailbox limits allow are running already, in this batch or others, on this host or others.",
            "Nothing: the mailbox waits and goes on by itself when a slot is free. To run more at once, raise MailImport__Connector__ConnectionsPerSourceAccount (never above what the provider allows), MailImport__Workflow__ConnectionsPerSourceHost or MailImport__Workflow__MailboxesPerDestinationOrganisation.", true),

        new(ErrorCode.SettingsInvalidGmailMode, ErrorCategory.Settings, "The Gmail option is none of labels, per-label and folders.",
            "Leave it out or give labels to copy each Gmail message once; give per-label for a copy in every label's folder, or folders to copy Gmail's folders as they are.", false),

        new(ErrorCode.SourceAuthFailed, ErrorCategory.Source, "The source server refused the login or password.",
            "Check the login (some servers want the full e-mail address) and the password in the file.", false),
        new(ErrorCode.SourceProtocolDisabled, ErrorCategory.Source, "IMAP or POP3 access is switched off for this source account.",
            "Switch on IMAP/POP access in the source account's settings (Gmail: Settings > Forwarding and POP/IMAP), then re-run.", false),
        new(ErrorCode.SourceAppPasswordRequired, ErrorCategory.Source, "The source account needs an app password.",
            "Create an app password in the source account's security settings and put it in the file.", false),
        new(ErrorCode.SourceConnectFailed, ErrorCategory.Source, "The source server could not be reached.",
            "Check the host and port; if they are right, the server may be down: re-run later.", true),
        new(ErrorCode.SourceTimeout, ErrorCategory.Source, "The source server did not answer in time.",
            "Re-run later; MailImport resumes where it stopped.", true),
        new(ErrorCode.SourceTlsFailed, ErrorCategory.Source, "The secure connection to the source failed.",
            "Check the security setting: SSL for ports 993/995, STARTTLS for 143/110.", false),
        new(ErrorCode.SourceCertificateUntrusted, ErrorCategory.Source, "The source server's certificate is not trusted.",
            "Fix the server's certificate, or trust it explicitly by giving its SHA-256 fingerprint.", false),
        new(ErrorCode.SourceThrottled, ErrorCategory.Source, "The source server asked MailImport to slow down.",
            "Nothing: MailImport waits and retries. Lower the connections per source host if it persists.", true),
        new(ErrorCode.SourceProtocolError, ErrorCategory.Source, "The source server answered something unexpected.",
            "Re-run; if it persists, send the error to support with the mailbox name.", true),
        new(ErrorCode.SourceFolderUnavailable, ErrorCategory.Source, "A source folder could not be opened.",
            "Check that the folder still exists at the source, then re-run.", false),
        new(ErrorCode.SourceAddressRefused, ErrorCategory.Source, "The source host resolves only to addresses MailImport does not connect to.",
            "Give the mail server's public host name and a mail port (993 or 143 for IMAP, 995 or 110 for POP3); for a server inside your own network, the operator adds it to MailImport:SourceAccess:Allow.", false),
        new(ErrorCode.SourceDelegationMissing, ErrorCategory.Source, "Google refused the service account a token for this mailbox: domain-wide delegation for https://mail.google.com/ is missing.",
            "In the Google Admin console (Security > Access and data control > API controls > Manage domain-wide delegation) add the service account's client ID with the scope https://mail.google.com/, wait for it to apply (up to 24 hours), then re-run; check that the mailbox exists and IMAP is on for it.", false),
        new(ErrorCode.SourceAppConsentMissing, ErrorCategory.Source, "Microsoft Entra ID refused the app a token: an administrator has not consented to its permissions (AADSTS65001).",
            "In the Entra admin center (App registrations > the app > API permissions) add Office 365 Exchange Online's application permission IMAP.AccessAsApp (POP.AccessAsApp for POP3) and click Grant admin consent, then re-run.", false),
        new(ErrorCode.SourceAppNotFound, ErrorCategory.Source, "Microsoft Entra ID does not know the app's client id in this tenant (AADSTS700016).",
            "Check the tenantId and clientId of the source authentication against the app registration's Overview page; an app of another tenant needs admin consent in this one.", false),
        new(ErrorCode.SourceAppSecretInvalid, ErrorCategory.Source, "Microsoft Entra ID refused the app's client secret (AADSTS7000215) or certificate (AADSTS700027).",
            "Give the secret's Value (not its Secret ID) from App registrations > the app > Certificates & secrets; make a new one if it has expired. For a certificate: upload its public key (.cer) under Certificates & secrets > Certificates, or give the PFX of a certificate listed there with the thumbprint in the message.", false),
        new(ErrorCode.SourceAppNotInExchange, ErrorCategory.Source, "Exchange Online refused the app's valid token for this mailbox.",
            "Register the app's service principal in Exchange Online and give it the mailbox: New-ServicePrincipal -AppId <clientId> -ObjectId <the enterprise application's object id>, then Add-MailboxPermission -Identity <mailbox> -User <the service principal's id> -AccessRights FullAccess; then re-run.", false),
        new(ErrorCode.SourceServiceAccountKeyInvalid, ErrorCategory.Source, "The service account's key is malformed, deleted or expired.",
            "In the Google Cloud console (IAM & Admin > Service accounts > the account > Keys) make a new JSON key and start the import with it; the whole downloaded file is the key.", false),
        new(ErrorCode.SourceTokenServiceUnavailable, ErrorCategory.Source, "The token service could not be reached or answered something unusable.",
            "Re-run later; MailImport resumes where it stopped.", true),
        new(ErrorCode.SourceLimitReached, ErrorCategory.Source, "The source account reached its download budget or its provider's bandwidth or command limit.",
            "Nothing: the mailbox is paused and resumes by itself at the time shown. If the provider allows more, raise options.downloadBudgetMegabytes for the next batch.", true),

        new(ErrorCode.DomainNotConfirmed, ErrorCategory.Destination, "The destination domain is not confirmed.",
            "Confirm the domain in the mail service's admin console, then start the import again.", false),
        new(ErrorCode.DestinationAccountRefused, ErrorCategory.Destination, "The destination refused to create the mailbox.",
            "Read the reason; usually the username is taken or forbidden: choose another with the four-field form.", false),
        new(ErrorCode.DestinationAuthFailed, ErrorCategory.Destination, "The destination mailbox exists with a different password.",
            "Give the destination mailbox's current password in the fourth field, or reset it.", false),
        new(ErrorCode.DestinationUnavailable, ErrorCategory.Destination, "The destination service could not be reached.",
            "Re-run later; MailImport resumes where it stopped.", true),
        new(ErrorCode.DestinationThrottled, ErrorCategory.Destination, "The destination asked MailImport to slow down.",
            "Nothing: MailImport waits and retries.", true),
        new(ErrorCode.DestinationOverQuota, ErrorCategory.Destination, "The destination mailbox is full.",
            "Raise the mailbox's quota at the destination, then re-run.", false),
        new(ErrorCode.DestinationApiUnauthorized, ErrorCategory.Destination, "The destination's admin API refused MailImport's token.",
            "Renew the OAuth token in the secret store; it needs the scopes the message names, and its owner must be the organisation's administrator or hold the user manager role.", false),
        new(ErrorCode.DestinationOrganizationNotFound, ErrorCategory.Destination, "The destination's admin API does not know the organisation MailImport is set up for.",
            "Set MailImport__Yandex360__OrgId to the organisation id shown in the Yandex 360 admin console, then start the import again.", false),
        new(ErrorCode.DestinationServiceApplicationRefused, ErrorCategory.Destination, "Yandex ID would not give MailImport's service application a mail token for this mailbox.",
            "In Yandex 360's admin console (Security, Service applications) list the application whose ClientID is MailImport__Yandex360__ServiceApplicationClientId with the permission mail:imap_full and turn service applications on; put its client secret in the secret store under MailImport__Yandex360__ServiceApplicationSecretName; then re-run the failed mailboxes.", false),
        new(ErrorCode.DestinationPasswordMissing, ErrorCategory.Destination, "The line gives no password for the destination mailbox, and the source is logged in to with tokens, so there is no source password to use.",
            "Give the new mailbox's password in a corrected file and re-run the failed mailboxes: the line login newlogin newpassword (repeat the username as newlogin to keep it), newPassword in a JSON entry, or New password in the import page's table; 6–20 Latin letters, digits and !@#$%^&*()_-+:;,. not equal to the username.", false),

        new(ErrorCode.DestinationFolderRefused, ErrorCategory.Destination, "The destination refused to create a folder, so that folder was not copied.",
            "Read the server's reason: usually the folder's name is too long or holds a character the destination forbids, or the mailbox has as many folders as the destination allows. Rename the folder at the source (or make room at the destination), then re-run the failed mailboxes; the rest of the mailbox was copied.", false),

        new(ErrorCode.MessageTooBig, ErrorCategory.Message, "The message is larger than the destination accepts.",
            "Forward or archive the message another way; the rest of the mailbox was copied.", false),
        new(ErrorCode.MessageRejected, ErrorCategory.Message, "The destination refused the message.",
            "Read the reason; the rest of the mailbox was copied.", false),
        new(ErrorCode.MessageUnreadable, ErrorCategory.Message, "The source could not deliver the message.",
            "Re-run; if it persists, open the message at the source to check it.", true),
        new(ErrorCode.TooManyMessageFailures, ErrorCategory.Message, "Too many messages of this mailbox failed, so it stopped.",
            "Read the failed messages' reasons, fix the cause, then re-run.", false),
        new(ErrorCode.MessageHeaderTooLarge, ErrorCategory.Message, "The message's header block is larger than MailImport copies (256 KB); no mail program writes one.",
            "Open the message at the source and forward or save it by hand if it matters; the rest of the mailbox is copied.", false),

        new(ErrorCode.BatchClosed, ErrorCategory.Batch, "The batch is closed.",
            "Start a new import.", false),
        new(ErrorCode.MailboxBusy, ErrorCategory.Batch, "Another copy of this mailbox's step was still running, so this one waited.",
            "Nothing to do: MailImport retries once the other has finished (or its hold has lapsed after a crash).", true),
        new(ErrorCode.StatusQueryInvalid, ErrorCategory.Batch, "The status's filter or page is not one it takes.",
            "Give state as mailbox states separated by commas (Pending, Running, Paused, Done, Partial, Failed, Invalid, Ready), offset as a whole number from 0, and limit from 1 to 1,000; leave them out for every line.", false),
        new(ErrorCode.InternalError, ErrorCategory.Internal, "MailImport met an unexpected fault.",
            "Re-run; if it persists, send the batch id to support.", true),
    }.ToFrozenDictionary(e => e.Code);

    /// <summary>Every catalogued error.</summary>
    public static IReadOnlyCollection<ErrorInfo> All => Entries.Values;

    /// <summary>What <paramref name="code"/> means and how to fix it.</summary>
    public static ErrorInfo Get(ErrorCode code) =>
        Entries.TryGetValue(code, out var info)
            ? info
            : throw new ArgumentOutOfRangeException(nameof(code), code, "The error code is not in the catalogue.");
}
