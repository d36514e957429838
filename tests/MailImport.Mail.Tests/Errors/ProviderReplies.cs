using MailKit.Net.Imap;

namespace MailImport.Mail.Tests.Errors;

// Server replies the classifier tests feed in, shared by the test classes that mirror MailErrorClassifier's files.
internal static class ProviderReplies
{
    // ---- Replies recorded from real providers. MailKit strips the [CODE] of an IMAP answer before it reaches an
    // exception, so the texts below that feed exceptions are given without it, the way MailKit hands them over.

    // Gmail IMAP with IMAP switched off (Settings > Forwarding and POP/IMAP): the LOGIN answer's ALERT text (wording
    // as MailImport's requirements and support threads quote it).
    internal const string GmailImapDisabled =
        "Your account is not enabled for IMAP use. Please visit your Gmail settings page and enable your account for IMAP access.";

    // Gmail, Workspace domain whose admin switched IMAP off (opening words as quoted in MailImport's requirements; the rest as Google words it).
    internal const string GmailDomainImapDisabled =
        "IMAP access is disabled for your domain. Please contact your domain administrator for questions about this feature.";

    // Gmail with two-step verification on and the normal password given (raw line quoted in
    // LukeSmithxyz/mutt-wizard#831 and andreiaugustin/gmail_extractor#4).
    internal const string GmailAppPasswordRequired =
        "Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)";

    // Gmail blocking a password sign-in it distrusts (wording as quoted in MailImport's requirements).
    internal const string GmailWebLogin =
        "Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)";

    // Gmail, wrong password: "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)" (mscdex/node-imap#826).
    internal const string GmailInvalidCredentials = "Invalid credentials (Failure)";

    // Gmail POP3 with POP switched off: the whole -ERR status text, POP3 keeps its code (wording as quoted in MailImport's requirements).
    internal const string GmailPopDisabled =
        "[SYS/PERM] Your account is not enabled for POP access. Please visit your Gmail settings page and enable your account for POP access.";

    // Gmail POP3, wrong password (Gmail's wording as client bug reports quote it).
    internal const string GmailPopWrongPassword = "[AUTH] Username and password not accepted.";

    // Gmail, more than 15 connections to one account (MailCore/mailcore2#587, imapsync/imapsync#61).
    internal const string GmailTooManyConnections = "Too many simultaneous connections. (Failure)";

    // Gmail's daily IMAP download limit, sent as "[OVERQUOTA] ..." (ljmerza/ha-email-sensor#16).
    internal const string GmailBandwidthLimit = "Account exceeded command or bandwidth limits.";

    // Gmail's limit as an ALERT at LOGIN, the form Google Workspace Admin Help's "Gmail bandwidth limits" describes
    // as the account being suspended for IMAP (https://support.google.com/a/answer/1071518); the words as above.
    internal const string GmailBandwidthAlert = "[ALERT] Account exceeded command or bandwidth limits. (Failure)";

    // Gmail's backoff hint in milliseconds as "msec", wording as quoted in MailImport's requirements (no public recording found).
    internal const string GmailBackoff = "Account exceeded command or bandwidth limits. Suggested Backoff Time: 12345 msec";

    // Gmail folder that does not exist: "NO [NONEXISTENT] Unknown Mailbox: Archive (Failure)" (Gmail's usual wording).
    internal const string GmailUnknownMailbox = "Unknown Mailbox: Archive (Failure)";

    // Gmail FETCH of messages it cannot produce (Gmail's usual wording).
    internal const string GmailFetchFailure = "Some messages could not be FETCHed (Failure)";

    // Exchange Online throttling (imapsync/imapsync#272 and its FAQ.Office365; simonrob/email-oauth2-proxy#191 got it as BAD).
    internal const string OutlookThrottled = "Request is throttled. Suggested Backoff Time: 299961 milliseconds";

    // Exchange Online after a LOGIN it "accepted" (mscdex/node-imap#523, jstedfast/MailKit#1494).
    internal const string OutlookNotConnected = "User is authenticated but not connected.";

    // Exchange Online, refused LOGIN: "2 NO LOGIN failed." (Foundry376/Mailspring#885).
    internal const string OutlookLoginFailed = "LOGIN failed.";

    // Yandex, IMAP off or wrong password: "2 NO [AUTHENTICATIONFAILED] LOGIN invalid credentials or IMAP is disabled
    // sc=..." (Foundry376/Mailspring#2111).
    internal const string YandexImapDisabled = "LOGIN invalid credentials or IMAP is disabled sc=cYXlpv732Cg1_010534_2-1e59ad28a72c";

    // Yandex, protocol access not granted to the account (wording as quoted in MailImport's requirements).
    internal const string YandexNoAccessRights = "This user does not have access rights to this service";

    // Yandex, account locked after suspicious activity (mscdex/node-imap#782).
    internal const string YandexAccountRestricted =
        "Access to your account has been temporarily restricted as Yandex suspects it may have been hacked.";

    // Mail.Ru, IMAP switched off in the mailbox settings, Russian and English (wording as quoted in MailImport's requirements; no public
    // recording found).
    internal const string MailRuImapDisabledRu = "Доступ по протоколу IMAP отключен";
    internal const string MailRuImapDisabledEn = "IMAP is disabled";

    // ---- Recorded from Dovecot 2.3.19 through MailKit 4.18.2 (scripts/dovecot instance, the probe in the report).

    // LOGIN/AUTHENTICATE with a wrong password: "NO [AUTHENTICATIONFAILED] Authentication failed." reaches MailKit's
    // AuthenticationException as its message; POP3's "-ERR [AUTH] Authentication failed." is replaced by MailKit's own
    // default, which has the same words.
    internal const string DovecotAuthFailed = "Authentication failed.";

    // APPEND over quota_max_mail_size ("NO [LIMIT] ..."), code stripped, timing kept.
    internal const string DovecotTooBig =
        "Mail size is larger than the maximum size allowed by server configuration (0.007 + 0.000 + 0.006 secs).";

    // APPEND into a full mailbox ("NO [OVERQUOTA] ...").
    internal const string DovecotOverQuota = "Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).";

    // EXAMINE of a folder deleted after LIST ("NO [NONEXISTENT] ...").
    internal const string DovecotNoMailbox = "Mailbox doesn't exist: INBOX.Doomed (0.001 + 0.000 secs).";

    // `doveadm kick`: IMAP gets "* BYE Server shutting down.", POP3 "-ERR [SYS/TEMP] Server shutting down.".
    internal const string DovecotShuttingDown = "Server shutting down.";
    internal const string DovecotPopShuttingDown = "[SYS/TEMP] Server shutting down.";

    // Dovecot with its auth backend down: "NO [UNAVAILABLE] Temporary authentication failure. [host:date]" (Dovecot's
    // wording; not provoked by the probe).
    internal const string DovecotTemporaryAuthFailure = "Temporary authentication failure. [mx1:2024-03-01 10:00:00]";

    // SslOnConnect to the plain IMAP/POP3 port: .NET's inner exception under MailKit's SslHandshakeException.
    internal const string TlsToPlainPort = "Cannot determine the frame size or a corrupted frame was received.";

    // MailKit's SslHandshakeException message for a handshake that never reached the certificate (abridged: the
    // numbered list of reasons and the FAQ link follow).
    internal const string MailKitHandshakeMessage =
        "An error occurred while attempting to establish an SSL or TLS connection.\n\nThis usually means that the SSL certificate presented by the server is not trusted by the system for one or more of\nthe following reasons:\n";

    internal static ImapCommandException ImapNo(string command, string responseText) =>
        // The shape MailKit's ImapCommandException.Create builds: the command's name (never its arguments), the
        // answer, and the text after the stripped response code.
        new(ImapCommandResponse.No, responseText,
            $"The IMAP server replied to the '{command}' command with a 'NO' response: {responseText}");
}
