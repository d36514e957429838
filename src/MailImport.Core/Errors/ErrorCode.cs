namespace MailImport.Core.Errors;

/// <summary>Every error MailImport can report. The names are the stable codes shown in reports and
/// the API: never rename or reuse one; add new codes at the end of their group.</summary>
public enum ErrorCode
{
    // The credential file as a whole.
    /// <summary>The file is larger than the upload limit.</summary>
    FileTooLarge = 100,
    /// <summary>The file has more mailbox lines than one import takes.</summary>
    FileTooManyLines = 101,
    /// <summary>The file is binary (NUL bytes), not text.</summary>
    FileNotText = 102,
    /// <summary>The file is text but not UTF-8.</summary>
    FileNotUtf8 = 103,
    /// <summary>The file holds no mailbox line at all.</summary>
    FileEmpty = 104,
    /// <summary>The JSON entries are not well-formed JSON or not an array of objects.</summary>
    JsonMalformed = 105,
    /// <summary>The file has mailbox lines, but every one of them is invalid.</summary>
    FileNoUsableLine = 106,

    // One line (or one JSON entry) of the credential list.
    /// <summary>A line has 1, 3, or 5+ fields.</summary>
    LineFieldCount = 200,
    /// <summary>A quoted field has no closing quote.</summary>
    LineUnterminatedQuote = 201,
    /// <summary>Text follows a closing quote without a space.</summary>
    LineTextAfterQuote = 202,
    /// <summary>A field is empty (<c>""</c>).</summary>
    LineEmptyField = 203,
    /// <summary>A line holds an invisible control character.</summary>
    LineControlCharacter = 204,
    /// <summary>Two lines target the same destination username; the later one is refused.</summary>
    LineDuplicateDestination = 205,
    /// <summary>A JSON entry lacks a required field or gives it a wrong type.</summary>
    EntryFieldInvalid = 206,
    /// <summary>A JSON entry has a field MailImport does not know.</summary>
    EntryUnknownField = 207,

    // Destination rules.
    /// <summary>The destination username is empty (for example a login like <c>@example.org</c>).</summary>
    UsernameEmpty = 300,
    /// <summary>The destination username is longer than 30 characters.</summary>
    UsernameTooLong = 301,
    /// <summary>The destination username has a character other than Latin letters, digits, '-' and '.'.</summary>
    UsernameInvalidCharacter = 302,
    /// <summary>The destination username does not start with a Latin letter.</summary>
    UsernameMustStartWithLetter = 303,
    /// <summary>The destination username does not end with a letter or digit.</summary>
    UsernameMustEndWithLetterOrDigit = 304,
    /// <summary>The destination password is shorter than 6 characters.</summary>
    PasswordTooShort = 310,
    /// <summary>The destination password is longer than 20 characters.</summary>
    PasswordTooLong = 311,
    /// <summary>The destination password has a character outside the allowed set.</summary>
    PasswordInvalidCharacter = 312,
    /// <summary>The destination password equals the username.</summary>
    PasswordEqualsUsername = 313,

    // Source server settings.
    /// <summary>The preset name is not one MailImport knows.</summary>
    SettingsUnknownPreset = 400,
    /// <summary>The protocol is neither IMAP nor POP3.</summary>
    SettingsInvalidProtocol = 401,
    /// <summary>The host is missing or not a valid host name or IP address.</summary>
    SettingsInvalidHost = 402,
    /// <summary>The port is outside 1–65535.</summary>
    SettingsInvalidPort = 403,
    /// <summary>The security mode is unknown or contradicts other settings.</summary>
    SettingsInvalidSecurity = 404,
    /// <summary>The trusted certificate fingerprint is not a SHA-256 hex string.</summary>
    SettingsInvalidCertificate = 405,
    /// <summary>A field contradicts the chosen preset.</summary>
    SettingsConflictWithPreset = 406,
    /// <summary>The re-run schedule is not a CRON expression.</summary>
    SettingsInvalidSchedule = 407,
    /// <summary>The source host or port is one MailImport does not connect to (a special-purpose address, a non-mail port).</summary>
    SettingsSourceNotAllowed = 408,
    /// <summary>The duplicates option is neither "skip" nor "copy".</summary>
    SettingsInvalidDuplicates = 409,
    /// <summary>The source authentication is unknown or incomplete (a service-account key or an Entra app's ids missing or malformed).</summary>
    SettingsInvalidAuthentication = 410,
    /// <summary>The Gmail option is none of "labels", "per-label" and "folders".</summary>
    SettingsInvalidGmailMode = 411,
    /// <summary>The download budget option is not a whole number of megabytes from 0 to 10,000,000.</summary>
    SettingsInvalidDownloadBudget = 412,
    /// <summary>A concurrency limit MailImport keeps (connections per source account or source host, mailboxes per
    /// destination organisation) is full across every host and batch: the mailbox waits for a slot and goes on by itself.</summary>
    SettingsConcurrencyLimitReached = 413,

    // The source server at run time.
    /// <summary>The source refused the login and password.</summary>
    SourceAuthFailed = 500,
    /// <summary>The source account has IMAP or POP3 access switched off.</summary>
    SourceProtocolDisabled = 501,
    /// <summary>The source wants an app password (two-step verification is on).</summary>
    SourceAppPasswordRequired = 502,
    /// <summary>The source host could not be reached (refused, unknown host, unreachable).</summary>
    SourceConnectFailed = 503,
    /// <summary>The source did not answer in time.</summary>
    SourceTimeout = 504,
    /// <summary>TLS with the source failed (handshake, or TLS spoken to a plain port).</summary>
    SourceTlsFailed = 505,
    /// <summary>The source's certificate is not trusted.</summary>
    SourceCertificateUntrusted = 506,
    /// <summary>The source asked us to slow down (too many connections, throttled).</summary>
    SourceThrottled = 507,
    /// <summary>The source answered something the protocol does not allow.</summary>
    SourceProtocolError = 508,
    /// <summary>A source folder could not be opened.</summary>
    SourceFolderUnavailable = 509,
    /// <summary>The source host resolves only to addresses MailImport does not connect to (loopback, private, link-local, metadata).</summary>
    SourceAddressRefused = 510,
    /// <summary>Google refused the service account a token for the mailbox: domain-wide delegation for the scope is missing.</summary>
    SourceDelegationMissing = 511,
    /// <summary>Microsoft Entra ID refused the app a token: an administrator has not consented to its permissions (AADSTS65001).</summary>
    SourceAppConsentMissing = 512,
    /// <summary>Microsoft Entra ID does not know the app's client id in the tenant (AADSTS700016).</summary>
    SourceAppNotFound = 513,
    /// <summary>Microsoft Entra ID refused the app's client secret (AADSTS7000215) or certificate (AADSTS700027).</summary>
    SourceAppSecretInvalid = 514,
    /// <summary>Exchange Online refused a valid app token: the app's service principal is not registered there or has no access to the mailbox.</summary>
    SourceAppNotInExchange = 515,
    /// <summary>The service account's key is malformed, deleted or expired, so Google signs no token with it.</summary>
    SourceServiceAccountKeyInvalid = 516,
    /// <summary>The token service (Google's or Microsoft's) could not be reached or answered something unusable.</summary>
    SourceTokenServiceUnavailable = 517,
    /// <summary>The source account's download budget is spent, or its provider said a bandwidth or command limit is
    /// exceeded: the mailbox is paused until the time shown and resumes by itself.</summary>
    SourceLimitReached = 518,

    // The destination.
    /// <summary>The destination domain is not confirmed, so no mailbox may be created.</summary>
    DomainNotConfirmed = 600,
    /// <summary>The destination refused to create the mailbox.</summary>
    DestinationAccountRefused = 601,
    /// <summary>The mailbox exists at the destination with another password.</summary>
    DestinationAuthFailed = 602,
    /// <summary>The destination could not be reached.</summary>
    DestinationUnavailable = 603,
    /// <summary>The destination asked us to slow down.</summary>
    DestinationThrottled = 604,
    /// <summary>The destination mailbox is over its quota.</summary>
    DestinationOverQuota = 605,
    /// <summary>The destination's provisioning API refused our credentials.</summary>
    DestinationApiUnauthorized = 606,
    /// <summary>The destination's provisioning API does not know the organisation MailImport is set up for.</summary>
    DestinationOrganizationNotFound = 607,
    /// <summary>Yandex ID would not issue a mail token for the mailbox to the configured service application.</summary>
    DestinationServiceApplicationRefused = 608,
    /// <summary>The destination refused to create a folder; that folder was not copied, the rest of the mailbox was.</summary>
    DestinationFolderRefused = 609,
    /// <summary>The line gives no password for the destination mailbox, and there is no source password to use instead
    /// (the source is logged in to with tokens), yet the destination needs one to create the mailbox or to write to it.</summary>
    DestinationPasswordMissing = 610,

    // Single messages.
    /// <summary>A message is larger than the destination accepts.</summary>
    MessageTooBig = 700,
    /// <summary>The destination refused one message.</summary>
    MessageRejected = 701,
    /// <summary>The source could not deliver one message.</summary>
    MessageUnreadable = 702,
    /// <summary>Too many messages of one mailbox failed; the mailbox stopped.</summary>
    TooManyMessageFailures = 703,
    /// <summary>A message's header block is too large to copy exactly.</summary>
    MessageHeaderTooLarge = 704,

    // The batch and the service.
    /// <summary>The batch is closed and takes no more runs.</summary>
    BatchClosed = 800,
    /// <summary>Another execution of this mailbox's chunk holds its cursor; this one waits and retries.</summary>
    MailboxBusy = 801,
    /// <summary>A status call's filter or page (state, offset, limit) is not one the status takes.</summary>
    StatusQueryInvalid = 802,
    /// <summary>A fault inside MailImport.</summary>
    InternalError = 900,
}
