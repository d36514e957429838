namespace MailImport.Mail.Errors;

// The provider-text table: what servers say, in the order it is tried, with where each wording comes from. Only data
// here; MailErrorClassifier.cs applies it (Recognise) and MailErrorClassifier.Exceptions.cs decides where a server text
// is read. Patterns are .NET regular expressions matched case-insensitively and culture-invariantly (TextOptions); the
// wordings of one row are tried as one alternation, so a row matches where any of its lines does.
public static partial class MailErrorClassifier
{
    // Ordered: the first row that matches wins. Limits and throttling come first because their texts travel inside other
    // codes (Gmail sends its download limit as [OVERQUOTA], Outlook's backoff as a plain NO or BAD); switched-off
    // protocols and app passwords come before refused logins because they arrive as refused logins.
    // Internal so that the tests can hold every wording to a sample text.
    internal static readonly Rule[] Rules =
    [
        // A provider's account-wide limit: retrying within minutes only spends it further, so the mailbox is paused
        // until the hinted time (or MailImport:Workflow:LimitPause) instead. Gmail resets its IMAP/POP bandwidth
        // limits within a day (Google Workspace Admin Help, "Gmail bandwidth limits",
        // https://support.google.com/a/answer/1071518); Exchange Online names its backoff in milliseconds.
        new(Kind.LimitReached, $"The {Side} account is over its provider's bandwidth or command limit; the mailbox is paused until the limit allows more.",
        [
            new(@"\bexceeded (?:the |your )?(?:command|bandwidth|download)s?\b",
                "Gmail: \"[ALERT] Account exceeded command or bandwidth limits. (Failure)\", also sent as \"[OVERQUOTA] ...\""),
            new(@"\bbandwidth limit", "Gmail: \"[OVERQUOTA] Account exceeded command or bandwidth limits.\""),
            new(@"\brequest is throttled\b", "Exchange Online: \"Request is throttled. Suggested Backoff Time: 299961 milliseconds\""),
            new(@"\bsuggested backoff time", "Exchange Online: \"Request is throttled. Suggested Backoff Time: 299961 milliseconds\"; Gmail's backoff hint"),
        ]),
        new(Kind.Throttled, $"The {Side} server asked MailImport to slow down.",
        [
            new(@"\[THROTTLED\]", "Gmail: NO [THROTTLED]"),
            new(@"\bthrottl", "common wording (\"throttled\", \"throttling\"); no recorded provider text"),
            new(@"\btoo many (?:simultaneous |concurrent |parallel |open |active )?(?:connections|sessions|logins?|login (?:attempts|failures)|authentication (?:attempts|failures)|requests|commands)\b",
                "Gmail: \"[ALERT] Too many simultaneous connections. (Failure)\""),
            new(@"\bexceeded (?:the |your )?(?:rate|request|connection)s?\b", "common wording (\"exceeded rate limits\"); no recorded provider text"),
            new(@"\brate limit", "common wording; no recorded provider text"),
            new(@"\bserver (?:is )?(?:too )?busy", "common wording (\"-ERR [SYS/TEMP] Server busy\"); no recorded provider text"),
            new("слишком много", "Russian \"too many\"; no recorded provider text"),
        ]),
        new(Kind.Throttled, $"The {Side} server allows the next login only after a delay (POP3 LOGIN-DELAY).",
        [
            new(@"\[LOGIN-DELAY\]", "RFC 2449 POP3 response code [LOGIN-DELAY]"),
        ]),
        new(Kind.Throttled, $"The {Side} mailbox is in use by another session.",
        [
            new(@"\[IN-?USE\]", "RFC 2449 POP3 [IN-USE] (maildrop locked); RFC 5530 IMAP [INUSE]"),
            new(@"\bmailbox (?:is )?(?:locked|in use)\b", "the words after [INUSE]/[IN-USE] (\"[INUSE] Mailbox in use\"); no recorded provider text"),
        ]),
        new(Kind.AppPasswordRequired, $"The {Side} server wants an app password instead of the account's normal password.",
        [
            new(@"application[- ]specific password",
                "Gmail: \"[ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)\""),
            new(@"\bapp(?:lication)?[- ]passwords?\b", "common wording (\"app password\"); no recorded provider text"),
            new(@"парол\w* (?:для )?(?:внешнего |внешних )?приложени", "Mail.Ru/Yandex: \"пароль приложения\", \"пароль для внешнего приложения\""),
        ]),
        // Gmail's "Please log in via your web browser" / "Web login required": Google blocked a password sign-in it
        // found suspicious or no longer accepts. Signing in through the browser rarely unblocks a server-to-server
        // copy for long; an app password (two-step verification on) does, so this is filed as an app-password case.
        new(Kind.AppPasswordRequired,
            $"The {Side} provider blocked the sign-in and asks for a sign-in through a web browser; use an app password (two-step verification must be on).",
        [
            new(@"\bweb ?login required", "Gmail: \"NO [WEBALERT https://accounts.google.com/...] Web login required.\""),
            new(@"\blog ?in via your web ?browser",
                "Gmail: \"[ALERT] Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)\""),
            new(@"\[WEBALERT\b", "Gmail: \"NO [WEBALERT https://accounts.google.com/...] Web login required.\""),
        ]),
        // Yandex answers a wrong password and a switched-off IMAP with one text; the switch is the likelier cause.
        new(Kind.ProtocolDisabled, $"The {Side} account has IMAP/POP3 access switched off, or the password is wrong: the server does not say which.",
        [
            new(@"\b(?:invalid|wrong|bad|incorrect) (?:credentials|password|login)\b[^.\r\n]{0,20}\bor (?:IMAP4?|POP3?)\b[^.\r\n]{0,20}\b(?:disabled|not enabled|switched off|turned off)\b",
                "Yandex: \"[AUTHENTICATIONFAILED] LOGIN invalid credentials or IMAP is disabled\""),
        ]),
        new(Kind.ProtocolDisabled, $"The {Side} account has IMAP/POP3 access switched off.",
        [
            new(@"\bnot enabled for (?:IMAP|POP3?)\b",
                "Gmail: \"[ALERT] Your account is not enabled for IMAP use.\"; Gmail POP: \"-ERR [SYS/PERM] Your account is not enabled for POP access.\""),
            new(@"\benable your account for (?:IMAP|POP3?)\b", "Gmail: \"Please visit your Gmail settings page and enable your account for IMAP access.\""),
            new(@"\b(?:IMAP4?|POP3?)(?: access| protocol)?(?: is| has been)? (?:disabled|not enabled|not allowed|not permitted|turned off|switched off|blocked)\b",
                "Gmail: \"IMAP access is disabled for your domain. Please contact your domain administrator\""),
            new(@"\baccess (?:to|via|by|over|through) (?:IMAP4?|POP3?)(?: protocol)? (?:is |has been )?(?:disabled|denied|not allowed|blocked)\b",
                "common wording; no recorded provider text"),
            new(@"\bdoes not have access rights to this service", "Yandex: \"This user does not have access rights to this service\""),
            new(@"\byet to enable (?:IMAP|POP)", "Zoho: \"You are yet to enable IMAP for your account\""),
            new(@"\b(?:IMAP4?|POP3?)\b[^.\r\n]{0,40}(?:отключ|запрещ|выключ|недоступ)", "Mail.Ru/Yandex: \"Доступ по протоколу IMAP отключен\""),
            new(@"(?:отключ|запрещ|выключ)[^.\r\n]{0,40}\b(?:IMAP4?|POP3?)\b", "the Mail.Ru/Yandex words in the other order; no recorded provider text"),
        ]),
        // Exchange Online accepts the login, then refuses every command: IMAP switched off for the mailbox is the usual
        // cause, but it answers a wrong password the same way, so the message names both.
        new(Kind.ProtocolDisabled,
            $"The {Side} server (Exchange) accepted the login but refuses the mailbox: IMAP is usually switched off for it, or the password is wrong.",
        [
            new(@"\bUser is authenticated but not connected", "Exchange Online: \"BAD User is authenticated but not connected.\""),
        ]),
        new(Kind.TlsRequired, $"The {Side} server accepts a login only over a secure (SSL/STARTTLS) connection.",
        [
            new(@"\[PRIVACYREQUIRED\]", "RFC 5530 [PRIVACYREQUIRED]"),
            new(@"\bLOGIN command is disabled", "MailKit: \"The LOGIN command is disabled.\" when the server announces LOGINDISABLED"),
            new(@"\bLOGINDISABLED\b", "RFC 3501 / RFC 9051 capability LOGINDISABLED"),
            new(@"\bplaintext auth\w* (?:is )?(?:disallowed|not allowed)", "Dovecot: \"Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\""),
            new(@"\b(?:requires?|must use|only over|only with) (?:an? )?(?:SSL|TLS|STARTTLS|secure|encrypted)\b", "common wording; no recorded provider text"),
        ]),
        new(Kind.LoginRefused, $"The {Side} provider has locked or restricted the account; unlock it by signing in on the provider's web site.",
        [
            new(@"\[CONTACTADMIN\]", "RFC 5530 [CONTACTADMIN]"),
            new(@"\baccount (?:has been |is |was )?(?:temporarily )?(?:disabled|locked|suspended|blocked|restricted|frozen)\b", "common wording; no recorded provider text"),
            new(@"\baccess to (?:your|this) account (?:has been |is )?(?:temporarily )?(?:restricted|blocked|suspended)",
                "Yandex: \"Access to your account has been temporarily restricted as Yandex suspects it may have been hacked.\""),
            new("заблокирован", "Russian \"blocked\"; no recorded provider text"),
        ]),
        new(Kind.ServerUnavailable, $"The {Side} server reports a temporary failure.",
        [
            new(@"\[UNAVAILABLE\]", "RFC 5530 [UNAVAILABLE]"),
            new(@"\[SYS/TEMP\]", "RFC 3206 POP3 [SYS/TEMP]"),
            new(@"\btemporar(?:y|ily)\b", "Gmail: \"[UNAVAILABLE] Temporary System Error\"; Dovecot: \"[UNAVAILABLE] Temporary authentication failure.\""),
            new(@"\bunavailable\b", "Exchange: \"* BYE Server Unavailable. 15\""),
            new("временн", "Russian \"temporar(y/ily)\"; no recorded provider text"),
        ]),
        new(Kind.ServerFault, $"The {Side} server reports an internal error.",
        [
            new(@"\[SERVERBUG\]", "RFC 5530 [SERVERBUG]"),
            new(@"\[CORRUPTION\]", "RFC 5530 [CORRUPTION]"),
            new(@"\binternal (?:server )?error", "Dovecot: \"Internal error occurred. Refer to server log for more information.\""),
            new(@"\b(?:system|server) error\b", "common wording; no recorded provider text"),
            new(@"\bunexpected error", "common wording; no recorded provider text"),
            new("внутренняя ошибка", "Russian \"internal error\"; no recorded provider text"),
        ]),
        new(Kind.Throttled, $"The {Side} server asked MailImport to try again later.",
        [
            new(@"\b(?:please )?(?:try|retry|come back)(?: again)? later\b", "common wording; no recorded provider text"),
            new(@"\btry again in \d", "common wording, a delay ParseRetryAfter reads (\"try again in 5 minutes\")"),
            new(@"\bretry after \d", "common wording, a delay ParseRetryAfter reads (\"retry after 30 seconds\")"),
            new(@"\bretry-after\b", "HTTP's Retry-After (RFC 9110 §10.2.3) quoted in a reply, a delay ParseRetryAfter reads"),
            new("попробуйте (?:позже|ещё раз|еще раз)", "Russian \"try later\" / \"try again\"; no recorded provider text"),
            new("повторите (?:попытку )?позже", "Russian \"repeat (the attempt) later\"; no recorded provider text"),
        ]),
        new(Kind.LoginRefused, $"The {Side} account's password has expired.",
        [
            new(@"\[EXPIRED\]", "RFC 5530 [EXPIRED]"),
            new(@"\bpassword (?:has )?expired", "the words after [EXPIRED]; no recorded provider text"),
            new(@"\bcredentials (?:have )?expired", "the words after [EXPIRED]; no recorded provider text"),
        ]),
        new(Kind.LoginRefused, $"The {Side} server refused the login and password.",
        [
            new(@"\[AUTHENTICATIONFAILED\]", "RFC 5530 [AUTHENTICATIONFAILED]"),
            new(@"\[AUTHORIZATIONFAILED\]", "RFC 5530 [AUTHORIZATIONFAILED]"),
            new(@"\[AUTH\]", "RFC 3206 POP3 [AUTH]"),
            new(@"\bauthenticat\w* (?:failed|failure|unsuccessful|error)", "Dovecot: \"Authentication failed.\"; Exchange: \"AUTHENTICATE failed.\""),
            new(@"\b(?:login|logon|sign-?in) (?:failed|failure|incorrect|denied|rejected)\b", "Exchange: \"LOGIN failed.\""),
            new(@"\binvalid (?:credentials|login|user(?:name)?|password|e-?mail)\b", "Gmail: \"Invalid credentials (Failure)\""),
            new(@"\b(?:incorrect|wrong|bad) (?:password|login|user(?:name)?|credentials)\b", "common wording; no recorded provider text"),
            new(@"\b(?:username|login|user) (?:and|or) password\b", "Gmail POP: \"-ERR [AUTH] Username and password not accepted.\""),
            new(@"\bpassword (?:incorrect|invalid|not accepted)", "Gmail POP: \"-ERR [AUTH] Username and password not accepted.\""),
            new(@"неверн\w* (?:логин|пароль|имя)", "Mail.Ru: \"Неверный логин или пароль\""),
            new("ошибка (?:авторизации|аутентификации)", "Russian \"authorisation/authentication error\"; no recorded provider text"),
        ]),
        new(Kind.OverQuota, $"The {Side} mailbox is over its quota.",
        [
            new(@"\[OVERQUOTA\]", "RFC 5530 [OVERQUOTA]"),
            new(@"\bquota (?:exceeded|reached|is full)", "Dovecot: \"Quota exceeded (mailbox for user is full)\""),
            new(@"\bover (?:the |its |your )?quota", "common wording; no recorded provider text"),
            new(@"\bexceed\w* (?:the |your |its |mailbox |storage )*quota", "common wording; no recorded provider text"),
            new(@"\bmailbox (?:is )?full\b", "common wording; no recorded provider text"),
            new(@"\bmailbox size limit", "common wording; no recorded provider text"),
            new(@"\bnot enough (?:disk |storage )?space", "common wording; no recorded provider text"),
            new(@"\binsufficient (?:storage|space)", "common wording; no recorded provider text"),
            new(@"превышен\w* квот", "Russian \"quota exceeded\"; no recorded provider text"),
            new("квота превышена", "Russian \"quota exceeded\"; no recorded provider text"),
            new("ящик переполнен", "Russian \"mailbox full\"; no recorded provider text"),
        ]),
        new(Kind.MessageTooBig, $"The message is larger than the {Side} server accepts.",
        [
            new(@"\[TOOBIG\]", "RFC 4469 [TOOBIG]"),
            new(@"\[LIMIT\]", "RFC 5530 [LIMIT]"),
            new(@"\btoo (?:large|big)\b", "Exchange and others: \"Message too large\""),
            new(@"\bsize exceeds", "others: \"message size exceeds ...\""),
            new(@"\bexceeds (?:the )?(?:maximum|max|allowed|size)", "common wording; no recorded provider text"),
            new(@"\blarger than (?:the )?(?:maximum|max|allowed)",
                "Dovecot (quota_max_mail_size): \"Mail size is larger than the maximum size allowed by server configuration\""),
            new(@"\bmaximum (?:message |mail )?size",
                "Dovecot (quota_max_mail_size): \"Mail size is larger than the maximum size allowed by server configuration\""),
            new(@"\bmessage size limit", "common wording; no recorded provider text"),
            new("слишком (?:большое|большой|велико)", "Russian \"too large\"; no recorded provider text"),
        ]),
        new(Kind.FolderUnavailable, $"A {Side} folder could not be opened.",
        [
            new(@"\[NONEXISTENT\]", "RFC 5530 [NONEXISTENT]"),
            new(@"\[TRYCREATE\]", "RFC 3501 / RFC 9051 [TRYCREATE]"),
            new(@"\[CANNOT\]", "RFC 5530 [CANNOT]"),
            new(@"\[NOPERM\]", "RFC 5530 [NOPERM]"),
            new(@"\bmailbox (?:doesn't|does not|don't) exist", "Dovecot: \"Mailbox doesn't exist: X\""),
            new(@"\bunknown (?:mailbox|folder)", "Gmail: \"[NONEXISTENT] Unknown Mailbox: X (Failure)\""),
            new(@"\bno such (?:mailbox|folder)\b", "common wording; no recorded provider text"),
            new(@"\b(?:mailbox|folder) (?:not found|does not exist|doesn't exist|is not selectable|cannot be selected)", "common wording; no recorded provider text"),
            new(@"\bpermission denied", "common wording; no recorded provider text"),
            new(@"\bnot (?:allowed|permitted) to (?:select|access|open)\b", "common wording; no recorded provider text"),
        ]),
        new(Kind.MessageBroken, $"The {Side} server could not handle this message.",
        [
            new(@"\[EXPUNGEISSUED\]", "RFC 5530 [EXPUNGEISSUED]"),
            new(@"\[PARSE\]", "RFC 3501 / RFC 9051 [PARSE]"),
            new(@"\bexpunged\b", "common wording; no recorded provider text"),
            new(@"\bmessage (?:has been |was )?(?:deleted|expunged|removed)\b", "common wording; no recorded provider text"),
            new(@"\bsome messages could not be fetched", "Gmail: \"Some messages could not be FETCHed (Failure)\""),
            new(@"\bunable to parse", "common wording; no recorded provider text"),
            new(@"\bcould not parse message", "common wording; no recorded provider text"),
            new(@"\binvalid message\b", "common wording; no recorded provider text"),
        ]),
        // BYE texts, the reasons a server gives for closing.
        new(Kind.ConnectionLost, $"The {Side} server closed the connection.",
        [
            new(@"\bconnection (?:is |was |has been )?(?:closed|reset|lost|dropped)\b", "Exchange: \"* BYE Connection closed. 14\""),
            new(@"\bautologout\b", "RFC 3501 §7.1.5 example: \"* BYE Autologout; idle for too long\""),
            new(@"\bidle for too long", "RFC 3501 §7.1.5 example: \"* BYE Autologout; idle for too long\""),
            new(@"\binactivity\b", "Dovecot: \"* BYE Disconnected for inactivity.\""),
            new(@"\bsession (?:expired|timed out|terminated)\b", "common wording; no recorded provider text"),
            new(@"\bshutting down\b", "Dovecot: \"* BYE Server shutting down.\""),
            new(@"\bdisconnect(?:ed|ing)\b", "Dovecot: \"* BYE Disconnected for inactivity.\""),
            new(@"\blogged out\b", "common wording; no recorded provider text"),
        ]),
        new(Kind.Permanent, $"The {Side} server refused the command for good.",
        [
            new(@"\[CLIENTBUG\]", "RFC 5530 [CLIENTBUG]"),
            new(@"\[BADCHARSET\]", "RFC 3501 / RFC 9051 [BADCHARSET]"),
            // Last, so that any more specific words that came with it decide.
            new(@"\[SYS/PERM\]", "RFC 3206 POP3 [SYS/PERM]"),
        ]),
    ];
}
