using System.Text.RegularExpressions;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using static MailImport.Mail.Tests.Errors.ProviderReplies;

namespace MailImport.Mail.Tests.Errors;

// The provider-text table (MailErrorClassifier.Rules.cs) through ClassifyResponseText: RFC response codes, provider
// wordings, and the order in which the rows are tried.
public class MailErrorClassifierRulesTests
{
    // Each row's message at the source, which names the row that won.
    private const string OverLimit = "The source account is over its provider's bandwidth or command limit; the mailbox is paused until the limit allows more.";
    private const string SlowDown = "The source server asked MailImport to slow down.";
    private const string LoginDelay = "The source server allows the next login only after a delay (POP3 LOGIN-DELAY).";
    private const string InUse = "The source mailbox is in use by another session.";
    private const string AppPassword = "The source server wants an app password instead of the account's normal password.";
    private const string WebLogin = "The source provider blocked the sign-in and asks for a sign-in through a web browser; use an app password (two-step verification must be on).";
    private const string DisabledOrWrongPassword = "The source account has IMAP/POP3 access switched off, or the password is wrong: the server does not say which.";
    private const string ProtocolDisabled = "The source account has IMAP/POP3 access switched off.";
    private const string ExchangeNotConnected = "The source server (Exchange) accepted the login but refuses the mailbox: IMAP is usually switched off for it, or the password is wrong.";
    private const string TlsRequired = "The source server accepts a login only over a secure (SSL/STARTTLS) connection.";
    private const string AccountLocked = "The source provider has locked or restricted the account; unlock it by signing in on the provider's web site.";
    private const string Unavailable = "The source server reports a temporary failure.";
    private const string ServerFault = "The source server reports an internal error.";
    private const string TryLater = "The source server asked MailImport to try again later.";
    private const string Expired = "The source account's password has expired.";
    private const string LoginRefused = "The source server refused the login and password.";
    private const string OverQuota = "The source mailbox is over its quota.";
    private const string TooBig = "The message is larger than the source server accepts.";
    private const string Folder = "A source folder could not be opened.";
    private const string MessageBroken = "The source server could not handle this message.";
    private const string Closed = "The source server closed the connection.";
    private const string Permanent = "The source server refused the command for good.";

    // One sample per wording of the table, in the table's order (the provider's own words where the table cites them),
    // then texts that two or more rows match, to pin which row is tried first. Code and transience at the source.
    public static TheoryData<string, string, ErrorCode, bool> Samples { get; } = new()
    {
        { "Account exceeded command or bandwidth limits. (Failure)", OverLimit, ErrorCode.SourceLimitReached, true },
        { "Daily bandwidth limit reached", OverLimit, ErrorCode.SourceLimitReached, true },
        { "Request is throttled.", OverLimit, ErrorCode.SourceLimitReached, true },
        { "Suggested Backoff Time: 12345 msec", OverLimit, ErrorCode.SourceLimitReached, true },
        { "[THROTTLED] Please slow down", SlowDown, ErrorCode.SourceThrottled, true },
        { "Connection throttled", SlowDown, ErrorCode.SourceThrottled, true },
        { "Too many simultaneous connections. (Failure)", SlowDown, ErrorCode.SourceThrottled, true },
        { "Client exceeded rate limits", SlowDown, ErrorCode.SourceThrottled, true },
        { "Rate limit hit", SlowDown, ErrorCode.SourceThrottled, true },
        { "Server busy", SlowDown, ErrorCode.SourceThrottled, true },
        { "Слишком много подключений", SlowDown, ErrorCode.SourceThrottled, true },
        { "[LOGIN-DELAY] Minimum time between mail checks violated", LoginDelay, ErrorCode.SourceThrottled, true },
        { "[IN-USE] Unable to lock maildrop", InUse, ErrorCode.SourceThrottled, true },
        { "Mailbox in use", InUse, ErrorCode.SourceThrottled, true },
        { "Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)", AppPassword, ErrorCode.SourceAppPasswordRequired, false },
        { "Please use an app password", AppPassword, ErrorCode.SourceAppPasswordRequired, false },
        { "Для входа используйте пароль приложения", AppPassword, ErrorCode.SourceAppPasswordRequired, false },
        { "Web login required.", WebLogin, ErrorCode.SourceAppPasswordRequired, false },
        { "Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)", WebLogin, ErrorCode.SourceAppPasswordRequired, false },
        { "[WEBALERT https://accounts.google.com/signin/continue?x=1] Sign in first", WebLogin, ErrorCode.SourceAppPasswordRequired, false },
        { "Your account is not enabled for IMAP use.", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "Please visit your Gmail settings page and enable your account for IMAP access.", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "IMAP access is disabled for your domain. Please contact your domain administrator", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "Access via POP3 is denied", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "This user does not have access rights to this service", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "You are yet to enable IMAP for your account", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "Доступ по протоколу IMAP отключен", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "Отключен доступ по протоколу IMAP", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "LOGIN invalid credentials or IMAP is disabled sc=cYXlpv732Cg1_010534_2-1e59ad28a72c", DisabledOrWrongPassword, ErrorCode.SourceProtocolDisabled, false },
        { "User is authenticated but not connected.", ExchangeNotConnected, ErrorCode.SourceProtocolDisabled, false },
        { "[PRIVACYREQUIRED] Connection security level too low", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "The LOGIN command is disabled.", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "[CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "This server requires TLS", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "[CONTACTADMIN] Ask the postmaster", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "Your account is locked", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "Access to your account has been temporarily restricted as Yandex suspects it may have been hacked.", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "Ваш аккаунт заблокирован", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "[UNAVAILABLE] Temporary System Error", Unavailable, ErrorCode.SourceProtocolError, true },
        { "[SYS/TEMP] Server shutting down.", Unavailable, ErrorCode.SourceProtocolError, true },
        { "Temporary authentication failure. [mx1:2024-03-01 10:00:00]", Unavailable, ErrorCode.SourceProtocolError, true },
        { "* BYE Server Unavailable. 15", Unavailable, ErrorCode.SourceProtocolError, true },
        { "Сервис временно недоступен", Unavailable, ErrorCode.SourceProtocolError, true },
        { "[SERVERBUG] Internal error occurred. Refer to server log for more information.", ServerFault, ErrorCode.SourceProtocolError, true },
        { "[CORRUPTION] Mailbox index is corrupted", ServerFault, ErrorCode.SourceProtocolError, true },
        { "Internal error occurred. Refer to server log for more information.", ServerFault, ErrorCode.SourceProtocolError, true },
        { "System error", ServerFault, ErrorCode.SourceProtocolError, true },
        { "An unexpected error occurred", ServerFault, ErrorCode.SourceProtocolError, true },
        { "Внутренняя ошибка сервера", ServerFault, ErrorCode.SourceProtocolError, true },
        { "Please try again later", TryLater, ErrorCode.SourceThrottled, true },
        { "Try again in 5 minutes", TryLater, ErrorCode.SourceThrottled, true },
        { "Retry after 30 seconds", TryLater, ErrorCode.SourceThrottled, true },
        { "Retry-After: 60", TryLater, ErrorCode.SourceThrottled, true },
        { "Попробуйте позже", TryLater, ErrorCode.SourceThrottled, true },
        { "Повторите попытку позже", TryLater, ErrorCode.SourceThrottled, true },
        { "[EXPIRED] That password isn't valid any more", Expired, ErrorCode.SourceAuthFailed, false },
        { "Your password has expired", Expired, ErrorCode.SourceAuthFailed, false },
        { "Credentials have expired", Expired, ErrorCode.SourceAuthFailed, false },
        { "[AUTHENTICATIONFAILED] Authentication failed.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "[AUTHORIZATIONFAILED] No such authorization-ID", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "[AUTH] Username and password not accepted.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Authentication failed.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "LOGIN failed.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Invalid credentials (Failure)", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Wrong password", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Username and password not accepted.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Password incorrect", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Неверный логин или пароль", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "Ошибка авторизации", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "[OVERQUOTA] Quota exceeded", OverQuota, ErrorCode.SourceThrottled, true },
        { "Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs).", OverQuota, ErrorCode.SourceThrottled, true },
        { "Mailbox is over quota", OverQuota, ErrorCode.SourceThrottled, true },
        { "You have exceeded your storage quota", OverQuota, ErrorCode.SourceThrottled, true },
        { "Mailbox full", OverQuota, ErrorCode.SourceThrottled, true },
        { "Mailbox size limit exceeded", OverQuota, ErrorCode.SourceThrottled, true },
        { "Not enough disk space", OverQuota, ErrorCode.SourceThrottled, true },
        { "Insufficient storage", OverQuota, ErrorCode.SourceThrottled, true },
        { "Превышена квота почтового ящика", OverQuota, ErrorCode.SourceThrottled, true },
        { "Квота превышена", OverQuota, ErrorCode.SourceThrottled, true },
        { "Почтовый ящик переполнен", OverQuota, ErrorCode.SourceThrottled, true },
        { "[TOOBIG] Message too large", TooBig, ErrorCode.MessageUnreadable, false },
        { "[LIMIT] Too many mailboxes", TooBig, ErrorCode.MessageUnreadable, false },
        { "Message too large", TooBig, ErrorCode.MessageUnreadable, false },
        { "message size exceeds fixed maximum message size", TooBig, ErrorCode.MessageUnreadable, false },
        { "Message exceeds the maximum allowed", TooBig, ErrorCode.MessageUnreadable, false },
        { "Mail size is larger than the maximum size allowed by server configuration (0.007 + 0.000 + 0.006 secs).", TooBig, ErrorCode.MessageUnreadable, false },
        { "Maximum message size reached", TooBig, ErrorCode.MessageUnreadable, false },
        { "Message size limit exceeded", TooBig, ErrorCode.MessageUnreadable, false },
        { "Письмо слишком большое", TooBig, ErrorCode.MessageUnreadable, false },
        { "[NONEXISTENT] Unknown Mailbox: Archive (Failure)", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "[TRYCREATE] Mailbox doesn't exist: Sent", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "[CANNOT] Adjacent slashes are not allowed", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "[NOPERM] Access denied", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "Mailbox doesn't exist: INBOX.Doomed (0.001 + 0.000 secs).", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "Unknown Mailbox: Archive (Failure)", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "No such mailbox", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "Folder not found", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "Permission denied", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "Not allowed to select this folder", Folder, ErrorCode.SourceFolderUnavailable, false },
        { "[EXPUNGEISSUED] Some of the requested messages no longer exist", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "[PARSE] Invalid header", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Message 12 expunged", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Message has been deleted", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Some messages could not be FETCHed (Failure)", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Unable to parse message", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Could not parse message", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "Invalid message: bare NUL", MessageBroken, ErrorCode.MessageUnreadable, true },
        { "* BYE Connection closed. 14", Closed, ErrorCode.SourceProtocolError, true },
        { "* BYE Autologout; idle for too long", Closed, ErrorCode.SourceProtocolError, true },
        { "Idle for too long", Closed, ErrorCode.SourceProtocolError, true },
        { "Disconnected for inactivity.", Closed, ErrorCode.SourceProtocolError, true },
        { "Session expired", Closed, ErrorCode.SourceProtocolError, true },
        { "Server shutting down.", Closed, ErrorCode.SourceProtocolError, true },
        { "Disconnecting", Closed, ErrorCode.SourceProtocolError, true },
        { "You have been logged out", Closed, ErrorCode.SourceProtocolError, true },
        { "[CLIENTBUG] Done", Permanent, ErrorCode.SourceProtocolError, false },
        { "[BADCHARSET] (UTF-8)", Permanent, ErrorCode.SourceProtocolError, false },
        { "[SYS/PERM] Mailbox not available", Permanent, ErrorCode.SourceProtocolError, false },
        // Two or more rows match each of these: the earlier row wins.
        { "[OVERQUOTA] Account exceeded command or bandwidth limits.", OverLimit, ErrorCode.SourceLimitReached, true },
        { "[THROTTLED] Request is throttled. Suggested Backoff Time: 299961 milliseconds", OverLimit, ErrorCode.SourceLimitReached, true },
        { "[UNAVAILABLE] Too many requests", SlowDown, ErrorCode.SourceThrottled, true },
        { "Too many login failures: authentication failed", SlowDown, ErrorCode.SourceThrottled, true },
        { "[AUTHENTICATIONFAILED] Application-specific password required", AppPassword, ErrorCode.SourceAppPasswordRequired, false },
        { "LOGIN invalid credentials or IMAP is disabled", DisabledOrWrongPassword, ErrorCode.SourceProtocolDisabled, false },
        { "[SYS/PERM] Your account is not enabled for POP access.", ProtocolDisabled, ErrorCode.SourceProtocolDisabled, false },
        { "[PRIVACYREQUIRED] Authentication failed.", TlsRequired, ErrorCode.SourceTlsFailed, false },
        { "Access to your account has been temporarily restricted", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "[UNAVAILABLE] Temporary authentication failure.", Unavailable, ErrorCode.SourceProtocolError, true },
        { "Too many connections, try again later", SlowDown, ErrorCode.SourceThrottled, true },
        { "Invalid credentials: account locked", AccountLocked, ErrorCode.SourceAuthFailed, false },
        { "Temporary failure, try again later", Unavailable, ErrorCode.SourceProtocolError, true },
        { "Your password has expired: authentication failed", Expired, ErrorCode.SourceAuthFailed, false },
        { "Mailbox full: message too large", OverQuota, ErrorCode.SourceThrottled, true },
        { "[SYS/PERM] Authentication failed.", LoginRefused, ErrorCode.SourceAuthFailed, false },
        { "[CLIENTBUG] Invalid message", MessageBroken, ErrorCode.MessageUnreadable, true },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void ClassifyResponseText_TableSample_IsWonByItsRowInTableOrder(string text, string rowMessage, ErrorCode code, bool transient)
    {
        var failure = MailErrorClassifier.ClassifyResponseText(text, MailSide.Source);

        Assert.NotNull(failure);
        Assert.StartsWith(rowMessage + " Server said: ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(code, failure.Code);
        Assert.Equal(transient, failure.IsTransient);
    }

    [Fact]
    public void Rules_EveryWording_IsAWholeAlternativeWithASourceAndASample()
    {
        var samples = Samples.Select(row => (string)row[0]).ToList();
        foreach (var rule in MailErrorClassifier.Rules)
        {
            // What [GeneratedRegex(pattern, IgnoreCase | CultureInvariant)] gave: no timeout, no other option.
            Assert.Equal(RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, rule.Pattern.Options);
            Assert.Equal(Regex.InfiniteMatchTimeout, rule.Pattern.MatchTimeout);
            Assert.Equal(string.Join('|', rule.Wordings.Select(w => w.Pattern)), rule.Pattern.ToString());
            foreach (var wording in rule.Wordings)
            {
                Assert.False(string.IsNullOrWhiteSpace(wording.Source), wording.Pattern);
                // Parsing alone proves its groups are closed, so joining the row with '|' only adds alternatives.
                var alone = new Regex(wording.Pattern, rule.Pattern.Options);
                Assert.True(samples.Exists(alone.IsMatch), $"No sample text matches the wording {wording.Pattern}");
            }
        }
    }

    // RFC 5530 response codes and POP3 ones (RFC 2449, 3206), raw as a protocol log or a BYE/ALERT line shows them.
    [Theory]
    [InlineData("[UNAVAILABLE] Temporary System Error", MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("* BYE [UNAVAILABLE] Temporary System Error", MailSide.Destination, ErrorCode.DestinationUnavailable, true)]
    [InlineData("[UNAVAILABLE] " + DovecotTemporaryAuthFailure, MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("[UNAVAILABLE] Too many requests", MailSide.Source, ErrorCode.SourceThrottled, true)]
    [InlineData("[SERVERBUG] Internal error occurred. Refer to server log for more information.", MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("[CORRUPTION] Mailbox index is corrupted", MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("[AUTHENTICATIONFAILED] Authentication failed.", MailSide.Source, ErrorCode.SourceAuthFailed, false)]
    [InlineData("[AUTHORIZATIONFAILED] No such authorization-ID", MailSide.Source, ErrorCode.SourceAuthFailed, false)]
    [InlineData("[EXPIRED] That password isn't valid any more", MailSide.Source, ErrorCode.SourceAuthFailed, false)]
    [InlineData("[CONTACTADMIN] Ask the postmaster", MailSide.Source, ErrorCode.SourceAuthFailed, false)]
    [InlineData("[PRIVACYREQUIRED] Connection security level too low", MailSide.Source, ErrorCode.SourceTlsFailed, false)]
    [InlineData("[NOPERM] Access denied", MailSide.Source, ErrorCode.SourceFolderUnavailable, false)]
    [InlineData("[CANNOT] Adjacent slashes are not allowed", MailSide.Source, ErrorCode.SourceFolderUnavailable, false)]
    [InlineData("[NONEXISTENT] " + GmailUnknownMailbox, MailSide.Source, ErrorCode.SourceFolderUnavailable, false)]
    [InlineData("[TRYCREATE] Mailbox doesn't exist: Sent", MailSide.Destination, ErrorCode.DestinationUnavailable, true)]
    [InlineData("[INUSE] Mailbox in use", MailSide.Source, ErrorCode.SourceThrottled, true)]
    [InlineData("[EXPUNGEISSUED] Some of the requested messages no longer exist", MailSide.Source, ErrorCode.MessageUnreadable, true)]
    [InlineData("[PARSE] Invalid header", MailSide.Destination, ErrorCode.MessageRejected, false)]
    [InlineData("[OVERQUOTA] Quota exceeded", MailSide.Destination, ErrorCode.DestinationOverQuota, false)]
    [InlineData("[OVERQUOTA] " + GmailBandwidthLimit, MailSide.Source, ErrorCode.SourceLimitReached, true)]
    [InlineData("[OVERQUOTA] " + GmailBandwidthLimit, MailSide.Destination, ErrorCode.DestinationThrottled, true)]
    [InlineData("[ALERT] " + GmailBandwidthLimit, MailSide.Source, ErrorCode.SourceLimitReached, true)]
    [InlineData(OutlookThrottled, MailSide.Source, ErrorCode.SourceLimitReached, true)]
    [InlineData("[LIMIT] Too many mailboxes", MailSide.Destination, ErrorCode.MessageTooBig, false)]
    [InlineData("[TOOBIG] Message too large", MailSide.Destination, ErrorCode.MessageTooBig, false)]
    [InlineData("[CLIENTBUG] Done", MailSide.Source, ErrorCode.SourceProtocolError, false)]
    [InlineData("[THROTTLED]", MailSide.Source, ErrorCode.SourceThrottled, true)]
    [InlineData("-ERR [SYS/TEMP] Temporary system problem. Please try again later.", MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("-ERR [SYS/PERM] " + "Your account is not enabled for POP access.", MailSide.Source, ErrorCode.SourceProtocolDisabled, false)]
    [InlineData("-ERR [AUTH] Username and password not accepted.", MailSide.Source, ErrorCode.SourceAuthFailed, false)]
    [InlineData("-ERR [IN-USE] Unable to lock maildrop", MailSide.Source, ErrorCode.SourceThrottled, true)]
    [InlineData("-ERR [LOGIN-DELAY] Wait before logging in again", MailSide.Source, ErrorCode.SourceThrottled, true)]
    [InlineData("[ALERT] " + GmailImapDisabled, MailSide.Source, ErrorCode.SourceProtocolDisabled, false)]
    [InlineData("[WEBALERT https://accounts.google.com/signin/continue?x=1] Web login required.", MailSide.Source, ErrorCode.SourceAppPasswordRequired, false)]
    [InlineData("* BYE Autologout; idle for too long", MailSide.Source, ErrorCode.SourceProtocolError, true)]
    [InlineData("* BYE Connection closed. 14", MailSide.Destination, ErrorCode.DestinationUnavailable, true)]
    [InlineData("Превышена квота почтового ящика", MailSide.Destination, ErrorCode.DestinationOverQuota, false)]
    [InlineData("Слишком много подключений, попробуйте позже", MailSide.Source, ErrorCode.SourceThrottled, true)]
    public void ClassifyResponseText_ResponseCodesAndProviderTexts_MapToCodes(string text, MailSide side, ErrorCode expected, bool transient)
    {
        var failure = MailErrorClassifier.ClassifyResponseText(text, side);

        Assert.NotNull(failure);
        Assert.Equal(expected, failure.Code);
        Assert.Equal(transient, failure.IsTransient);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Success")]
    [InlineData("Completed")]
    [InlineData("[ALERT] Your mailbox will be migrated on Sunday")]
    [InlineData("Some words no rule knows")]
    public void ClassifyResponseText_NothingSpecific_IsNull(string? text)
    {
        Assert.Null(MailErrorClassifier.ClassifyResponseText(text, MailSide.Source));
    }

    [Fact]
    public void ClassifyResponseText_IsCaseInsensitive()
    {
        var failure = MailErrorClassifier.ClassifyResponseText("YOUR ACCOUNT IS NOT ENABLED FOR IMAP USE", MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolDisabled, failure?.Code);
        Assert.Equal(ErrorCode.SourceProtocolDisabled,
            MailErrorClassifier.ClassifyResponseText("доступ по протоколу imap ОТКЛЮЧЕН", MailSide.Source)?.Code);
    }
}
