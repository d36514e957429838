using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using MailImport.Core;
using MailImport.Core.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;

namespace MailImport.Mail.Errors;

/// <summary>Classifies, once, whatever was thrown while talking to a mail server through MailKit into a catalogued
/// <see cref="MailFailure"/>: the stable code, a message for the admin, whether a retry can cure it, and the delay the
/// server asked for.</summary>
/// <remarks>
/// <para>How it decides. The exception type says what kind of fault it was (MailKit keeps one type per failure kind:
/// a refused login, a NO/BAD answer, a broken protocol exchange, a TLS handshake); the server's own text, where there
/// is one, refines it (Gmail's "not enabled for IMAP use" is a refused login by type but a switched-off protocol by
/// meaning). Texts are recognised case-insensitively in English and Russian, from wording real providers send
/// (Gmail, Outlook/Exchange Online, Yandex, Mail.Ru, Dovecot) and from the RFC 5530 / RFC 2449 / RFC 3206 response
/// codes.</para>
/// <para>MailKit strips IMAP response codes: for <c>NO [OVERQUOTA] Quota exceeded</c> both
/// <see cref="ImapCommandException.ResponseText"/> and a refused login's message hold only "Quota exceeded", so every
/// code is also recognised by the words servers put after it. <see cref="ClassifyResponseText"/> accepts raw lines
/// with the bracketed codes too (a BYE or ALERT text, a protocol-log line). POP3 keeps them in
/// <see cref="Pop3CommandException.StatusText"/> (<c>[SYS/TEMP] Server shutting down.</c>), but MailKit 4.18.2 drops
/// the server's text of a refused POP3 login altogether (always <c>AuthenticationException("Authentication failed.")</c>),
/// so a POP3 source with POP switched off (Gmail's "-ERR [SYS/PERM] Your account is not enabled for POP access")
/// can only be reported as <see cref="ErrorCode.SourceAuthFailed"/>.</para>
/// <para>Transience: the catalogue's <see cref="ErrorInfo.IsTransient"/> of the chosen code, except where the evidence
/// says otherwise: a BAD answer, a permanent POP3 error, a port that speaks another protocol, TLS and certificate
/// failures (also when they are filed under <see cref="ErrorCode.DestinationUnavailable"/>) are never transient; a
/// server's quota answer on the source side means Gmail's download limit and becomes
/// <see cref="ErrorCode.SourceThrottled"/>.</para>
/// <para>Cancellation: pass only an <see cref="OperationCanceledException"/> that the caller did not request itself;
/// every one that reaches this class is read as a timeout.</para>
/// <para>Secrets: messages are built from server texts and from MailKit's own messages, which never hold a password
/// (MailKit names only the command, never its arguments). Beyond that every message is scrubbed of anything that
/// looks like a client LOGIN/AUTHENTICATE/PASS/APOP/AUTH command line (the arguments become <see cref="Secret.Mask"/>).
/// Only the thrown exception's own message is read, and an inner one's only where its shape is known (socket, timeout
/// and TLS faults); <see cref="Exception.Data"/> and stack traces never are.</para>
/// </remarks>
public static partial class MailErrorClassifier
{
    // Stands for "source" or "destination" in a message until the side is known; a private-use character no server
    // text carries (Clean removes it all the same).
    private const string Side = "\uE001";

    // Server texts quoted in a message are cut here: enough for any real reply, short enough for a report line.
    private const int MaxServerTextLength = 300;

    // A server's hint is a hint: nothing it says makes us wait longer than this.
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);

    // Ordered: the first rule that matches wins. Throttling comes first because throttle texts travel inside other
    // codes (Gmail sends its download limit as [OVERQUOTA], Outlook's backoff as a plain NO or BAD); switched-off
    // protocols and app passwords come before refused logins because they arrive as refused logins.
    private static readonly Rule[] Rules =
    [
        new(ThrottledText(), Kind.Throttled, $"The {Side} server asked MailImport to slow down."),
        new(LoginDelayText(), Kind.Throttled, $"The {Side} server allows the next login only after a delay (POP3 LOGIN-DELAY)."),
        new(InUseText(), Kind.Throttled, $"The {Side} mailbox is in use by another session."),
        new(AppPasswordText(), Kind.AppPasswordRequired, $"The {Side} server wants an app password instead of the account's normal password."),
        // Gmail's "Please log in via your web browser" / "Web login required": Google blocked a password sign-in it
        // found suspicious or no longer accepts. Signing in through the browser rarely unblocks a server-to-server
        // copy for long; an app password (two-step verification on) does, so this is filed as an app-password case.
        new(WebLoginText(), Kind.AppPasswordRequired,
            $"The {Side} provider blocked the sign-in and asks for a sign-in through a web browser; use an app password (two-step verification must be on)."),
        // Yandex answers a wrong password and a switched-off IMAP with one text; the switch is the likelier cause.
        new(CredentialsOrDisabledText(), Kind.ProtocolDisabled,
            $"The {Side} account has IMAP/POP3 access switched off, or the password is wrong: the server does not say which."),
        new(ProtocolDisabledText(), Kind.ProtocolDisabled, $"The {Side} account has IMAP/POP3 access switched off."),
        // Exchange Online accepts the login, then refuses every command: IMAP switched off for the mailbox is the usual
        // cause, but it answers a wrong password the same way, so the message names both.
        new(AuthenticatedNotConnectedText(), Kind.ProtocolDisabled,
            $"The {Side} server (Exchange) accepted the login but refuses the mailbox: IMAP is usually switched off for it, or the password is wrong."),
        new(TlsRequiredText(), Kind.TlsRequired, $"The {Side} server accepts a login only over a secure (SSL/STARTTLS) connection."),
        new(AccountLockedText(), Kind.LoginRefused, $"The {Side} provider has locked or restricted the account; unlock it by signing in on the provider's web site."),
        new(UnavailableText(), Kind.ServerUnavailable, $"The {Side} server reports a temporary failure."),
        new(ServerFaultText(), Kind.ServerFault, $"The {Side} server reports an internal error."),
        new(TryLaterText(), Kind.Throttled, $"The {Side} server asked MailImport to try again later."),
        new(ExpiredText(), Kind.LoginRefused, $"The {Side} account's password has expired."),
        new(LoginRefusedText(), Kind.LoginRefused, $"The {Side} server refused the login and password."),
        new(OverQuotaText(), Kind.OverQuota, $"The {Side} mailbox is over its quota."),
        new(TooBigText(), Kind.MessageTooBig, $"The message is larger than the {Side} server accepts."),
        new(FolderText(), Kind.FolderUnavailable, $"A {Side} folder could not be opened."),
        new(MessageGoneText(), Kind.MessageBroken, $"The {Side} server could not handle this message."),
        new(ConnectionClosedText(), Kind.ConnectionLost, $"The {Side} server closed the connection."),
        new(PermanentText(), Kind.Permanent, $"The {Side} server refused the command for good."),
    ];

    // Every kind, so the set of codes this class can return is derived, not kept by hand.
    private static readonly Kind[] AllKinds = Enum.GetValues<Kind>();

    /// <summary>What kind of fault, before the side turns it into a code.</summary>
    private enum Kind
    {
        LoginRefused,
        ProtocolDisabled,
        AppPasswordRequired,
        TlsRequired,
        ConnectFailed,
        WrongProtocol,
        Timeout,
        ConnectionLost,
        TlsFailed,
        CertificateUntrusted,
        Throttled,
        ServerUnavailable,
        ServerFault,
        Refused,
        Permanent,
        Unexpected,
        FolderUnavailable,
        OverQuota,
        MessageTooBig,
        MessageRejected,
        MessageBroken,
        Internal,
    }

    /// <summary>Every code <see cref="Classify"/>, <see cref="ClassifyResponseText"/> and
    /// <see cref="ClassifyAppendFailure"/> can return.</summary>
    internal static IReadOnlySet<ErrorCode> ReturnableCodes { get; } =
        AllKinds.SelectMany(k => new[] { CodeFor(k, MailSide.Source), CodeFor(k, MailSide.Destination) }).ToHashSet();

    /// <summary>Classifies anything thrown while talking to the <paramref name="side"/> server through MailKit.</summary>
    /// <param name="exception">What was thrown. A <see cref="MailFailureException"/> is returned as already classified.</param>
    /// <param name="side">Which server the failing call talked to.</param>
    /// <returns>The failure, never null: an exception nothing here recognises is <see cref="ErrorCode.InternalError"/>.</returns>
    public static MailFailure Classify(Exception exception, MailSide side)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = Unwrap(exception);
        return e switch
        {
            MailFailureException classified => classified.Failure,
            SslHandshakeException handshake => FromSslHandshake(handshake, side),
            MailKit.Security.AuthenticationException login => FromLoginRefused(login, side),
            ImapCommandException command when side == MailSide.Destination && CommandOf(command) == "APPEND" =>
                FromAppendAnswer(command),
            ImapCommandException command => FromImapCommand(command, side),
            ImapProtocolException protocol => FromImapProtocol(protocol, side),
            Pop3CommandException command => FromPop3Command(command, side),
            Pop3ProtocolException protocol => FromPop3Protocol(protocol, side),
            ServiceNotConnectedException => Build(Kind.ConnectionLost, side,
                $"The connection to the {Side} server had already been lost when MailImport used it."),
            FolderNotFoundException folder => Build(Kind.FolderUnavailable, side,
                $"The {Side} folder \"{Clean(folder.FolderName)}\" does not exist (any more)."),
            MessageNotFoundException => Build(Kind.MessageBroken, side,
                $"The {Side} server did not return the message; it was probably deleted meanwhile."),
            _ => FromTransport(e, side) ?? FromInner(e, side) ?? Internal(e, side),
        };
    }

    /// <summary>Recognises what a server's text says: a NO/BAD answer, a BYE, an ALERT, a POP3 -ERR line, with or without
    /// its bracketed response code.</summary>
    /// <param name="responseText">The server's words.</param>
    /// <param name="side">Which server said it.</param>
    /// <returns>The failure the text names, or null when it names nothing specific.</returns>
    public static MailFailure? ClassifyResponseText(string? responseText, MailSide side)
    {
        var rule = Recognise(responseText);
        return rule is null ? null : Build(rule.Kind, side, rule.Message, responseText);
    }

    /// <summary>Classifies a failed APPEND to the destination, telling a refused message from a refused mailbox.</summary>
    /// <remarks>Per message (<see cref="IsPerMessage"/> true: skip the message, count it, go on):
    /// <see cref="ErrorCode.MessageTooBig"/> for <c>[TOOBIG]</c>/<c>[LIMIT]</c> or "too large"-like words, and
    /// <see cref="ErrorCode.MessageRejected"/> for any other NO or BAD. Per mailbox (stop or retry the mailbox):
    /// <see cref="ErrorCode.DestinationOverQuota"/>, <see cref="ErrorCode.DestinationThrottled"/>,
    /// <see cref="ErrorCode.DestinationAuthFailed"/>, and <see cref="ErrorCode.DestinationUnavailable"/> for a missing or
    /// forbidden folder (<c>[TRYCREATE]</c>, <c>[NONEXISTENT]</c>, <c>[CANNOT]</c>, <c>[NOPERM]</c>) and for every
    /// connection fault. After a connection fault the message may or may not have been stored: the caller's reconcile
    /// decides, not this class.</remarks>
    /// <param name="exception">What the APPEND threw.</param>
    /// <returns>The failure, on the destination side.</returns>
    public static MailFailure ClassifyAppendFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Unwrap(exception) is ImapCommandException command
            ? FromAppendAnswer(command)
            : Classify(exception, MailSide.Destination);
    }

    /// <summary>True when <paramref name="code"/> concerns one message only, so the mailbox goes on without it; false
    /// when the whole mailbox (or the connection) is affected.</summary>
    public static bool IsPerMessage(ErrorCode code) =>
        code is ErrorCode.MessageTooBig or ErrorCode.MessageRejected or ErrorCode.MessageUnreadable;

    /// <summary>Reads the delay a server text asks for: "Suggested Backoff Time: 12345 msec" (Gmail, Exchange Online;
    /// milliseconds unless another unit follows), "retry after 30 seconds", "try again in 5 minutes",
    /// "Retry-After: 60". Capped at one day.</summary>
    /// <returns>The delay, or null when the text gives none.</returns>
    internal static TimeSpan? ParseRetryAfter(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var backoff = BackoffTime().Match(text);
        if (backoff.Success)
        {
            return ToDelay(backoff, defaultUnitMilliseconds: 1);
        }

        var retry = RetryAfterText().Match(text);
        return retry.Success ? ToDelay(retry, defaultUnitMilliseconds: 1000) : null;
    }

    private static TimeSpan? ToDelay(Match match, long defaultUnitMilliseconds)
    {
        if (!decimal.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return null;
        }

        var unit = match.Groups["u"].Value;
        long unitMilliseconds = unit.Length == 0 ? defaultUnitMilliseconds
            : unit.StartsWith("ms", StringComparison.OrdinalIgnoreCase) || unit.StartsWith("milli", StringComparison.OrdinalIgnoreCase) ? 1
            : unit.StartsWith('h') || unit.StartsWith('H') ? 3_600_000
            : unit.StartsWith("min", StringComparison.OrdinalIgnoreCase) || unit.Equals("m", StringComparison.OrdinalIgnoreCase) ? 60_000
            : 1000;
        var milliseconds = amount * unitMilliseconds;
        return milliseconds >= (decimal)MaxRetryAfter.TotalMilliseconds
            ? MaxRetryAfter
            : TimeSpan.FromMilliseconds((double)milliseconds);
    }

    private static Rule? Recognise(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        foreach (var rule in Rules)
        {
            if (rule.Pattern.IsMatch(text))
            {
                return rule;
            }
        }

        return null;
    }

    private static Exception Unwrap(Exception exception)
    {
        // Task.Wait and Parallel wrap; the first real fault is the one to report.
        while (exception is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
        {
            exception = aggregate.Flatten().InnerExceptions[0];
        }

        return exception;
    }

    private static MailFailure FromLoginRefused(MailKit.Security.AuthenticationException exception, MailSide side)
    {
        // MailKit puts the server's text of a refused IMAP login into the message (without its [CODE]); for POP3 and
        // for its own checks the message is its own.
        var text = exception.Message;
        if (text.Contains("LOGIN command is disabled", StringComparison.OrdinalIgnoreCase))
        {
            return Build(Kind.TlsRequired, side,
                $"The {Side} server does not allow a login over a plain connection (LOGINDISABLED); choose SSL or STARTTLS.");
        }

        var rule = Recognise(text);
        if (rule is not null && rule.Kind is not (Kind.LoginRefused or Kind.ConnectionLost or Kind.FolderUnavailable
            or Kind.MessageBroken or Kind.MessageTooBig or Kind.OverQuota or Kind.Permanent))
        {
            return Build(rule.Kind, side, rule.Message, text);
        }

        // MailKit's own default says nothing the code does not; quoting it would pretend the server said it.
        var serverText = string.Equals(text, "Authentication failed.", StringComparison.Ordinal) ? null : text;
        var message = rule is { Kind: Kind.LoginRefused } ? rule.Message : $"The {Side} server refused the login and password.";
        return Build(Kind.LoginRefused, side, message, serverText);
    }

    private static MailFailure FromImapCommand(ImapCommandException exception, MailSide side)
    {
        var name = CommandOf(exception);
        var answer = exception.Response.ToString().ToUpperInvariant();
        var text = exception.ResponseText;
        var rule = Recognise(text);
        if (rule is not null)
        {
            return Build(rule.Kind, side, $"{rule.Message.TrimEnd('.')} ({name ?? "the command"} answered {answer}).", text);
        }

        var command = name is null ? "a command" : $"the {name} command";
        if (exception.Response == ImapCommandResponse.Bad)
        {
            // BAD: the server could not parse what we sent. Sending it again gets the same answer.
            return Build(Kind.Permanent, side, $"The {Side} server rejected {command} as malformed (BAD).", text);
        }

        var kind = (side, name) switch
        {
            (MailSide.Source, "SELECT" or "EXAMINE" or "STATUS") => Kind.FolderUnavailable,
            (MailSide.Source, "FETCH") => Kind.MessageBroken,
            _ => Kind.Refused,
        };
        return Build(kind, side, $"The {Side} server refused {command} ({answer}).", text);
    }

    private static MailFailure FromAppendAnswer(ImapCommandException exception)
    {
        var text = exception.ResponseText;
        var answer = exception.Response.ToString().ToUpperInvariant();
        var rule = Recognise(text);
        var kind = rule?.Kind switch
        {
            // Whatever does not name the mailbox, the connection or the server names this message: skip it, go on.
            null or Kind.Refused or Kind.Permanent or Kind.Unexpected or Kind.MessageBroken => Kind.MessageRejected,
            var k => k.Value,
        };
        var message = kind == Kind.MessageRejected
            ? $"The {Side} server refused the message (APPEND answered {answer})."
            : $"{rule!.Message.TrimEnd('.')} (APPEND answered {answer}).";
        return Build(kind, MailSide.Destination, message, text);
    }

    private static MailFailure FromImapProtocol(ImapProtocolException exception, MailSide side)
    {
        var text = exception.Message;
        if (text.StartsWith("Syntax error in IMAP server greeting", StringComparison.Ordinal))
        {
            return Build(Kind.WrongProtocol, side,
                $"The {Side} server does not greet like an IMAP server: check the protocol and the port (IMAP 143/993, POP3 110/995). MailKit: {Clean(text)}");
        }

        if (IsDisconnect(text))
        {
            return Build(Kind.ConnectionLost, side, $"The {Side} server closed the connection in the middle of a command.");
        }

        // A BYE carries the server's reason as the message, with the disconnect inside.
        var rule = Recognise(text);
        if (rule is not null)
        {
            return Build(rule.Kind, side, rule.Message, text);
        }

        if (exception.InnerException is ImapProtocolException inner && IsDisconnect(inner.Message))
        {
            return Build(Kind.ConnectionLost, side, $"The {Side} server closed the connection.", text);
        }

        if (text.Contains("unexpectedly refused the connection", StringComparison.Ordinal))
        {
            return Build(Kind.ServerUnavailable, side, $"The {Side} server greeted with BYE and refused the connection.");
        }

        return Build(Kind.Unexpected, side, $"The {Side} server sent an answer MailImport could not parse. MailKit: {Clean(text)}");
    }

    private static MailFailure FromPop3Command(Pop3CommandException exception, MailSide side)
    {
        var text = exception.StatusText;
        var name = Pop3CommandOf(exception);
        var rule = Recognise(text);
        if (rule is not null)
        {
            return Build(rule.Kind, side, $"{rule.Message.TrimEnd('.')} ({name ?? "the command"} answered -ERR).", text);
        }

        var kind = name switch
        {
            "RETR" or "TOP" => Kind.MessageBroken,
            "USER" or "PASS" or "APOP" or "AUTH" => Kind.LoginRefused,
            _ => Kind.Refused,
        };
        return Build(kind, side, $"The {Side} server refused {(name is null ? "a command" : $"the {name} command")} (-ERR).", text);
    }

    private static MailFailure FromPop3Protocol(Pop3ProtocolException exception, MailSide side)
    {
        var text = exception.Message;
        if (text.StartsWith("Unexpected greeting from server", StringComparison.Ordinal))
        {
            return Build(Kind.WrongProtocol, side,
                $"The {Side} server does not greet like a POP3 server: check the protocol and the port (POP3 110/995, IMAP 143/993). MailKit: {Clean(text)}");
        }

        if (IsDisconnect(text))
        {
            return Build(Kind.ConnectionLost, side, $"The {Side} server closed the connection in the middle of a command.");
        }

        var rule = Recognise(text);
        return rule is not null
            ? Build(rule.Kind, side, rule.Message, text)
            : Build(Kind.Unexpected, side, $"The {Side} server sent an answer MailImport could not parse. MailKit: {Clean(text)}");
    }

    private static bool IsDisconnect(string text) =>
        text.Contains("unexpectedly disconnected", StringComparison.Ordinal) || string.Equals(text, "Bye.", StringComparison.Ordinal);

    private static MailFailure FromSslHandshake(SslHandshakeException exception, MailSide side)
    {
        // MailKit keeps the certificate only when its validation callback refused it; without one, the handshake
        // itself failed (wrong port, no common protocol version, connection dropped during the handshake).
        if (exception.ServerCertificate is { } certificate)
        {
            return Build(Kind.CertificateUntrusted, side,
                $"The {Side} server's certificate is not trusted: {CertificateReasons(exception.Message)}. {Describe(certificate, exception.RootCertificateAuthority)} "
                + "Fix the certificate, or trust this one by giving its SHA-256 fingerprint.");
        }

        var innermost = Innermost(exception);
        var cause = innermost == exception ? null : Clean(innermost.Message);
        if (DroppedDuringHandshake(exception))
        {
            // The connection ended (EOF or reset) before the handshake could: a network fault that a retry cures, not a
            // TLS setting. If it persists the retries end and the message still points at the port.
            return Build(Kind.ConnectionLost, side,
                $"The connection to the {Side} server was lost during the TLS handshake ({cause}); if this persists, check the port and the security setting.");
        }

        return Build(Kind.TlsFailed, side, TlsFailureMessage(cause));
    }

    /// <summary>True when the handshake failed because the transport closed under it, not because TLS said no: .NET
    /// raises a bare <see cref="IOException"/> ("Received an unexpected EOF or 0 bytes from the transport stream") or a
    /// socket reset, where a TLS refusal is an <see cref="TlsAuthenticationException"/>.</summary>
    private static bool DroppedDuringHandshake(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case TlsAuthenticationException:
                    return false;
                case SocketException socket:
                    return socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown;
                case IOException when inner.InnerException is null:
                    return true;
            }
        }

        return false;
    }

    private static string TlsFailureMessage(string? cause)
    {
        var message = $"The secure (TLS) connection to the {Side} server failed";
        message += cause is null ? "." : $": {cause}";
        if (!message.EndsWith('.'))
        {
            message += ".";
        }

        // .NET reports a plain-text greeting read as TLS as a bad frame: the classic "SSL chosen for port 143/110".
        if (cause is not null && cause.Contains("frame", StringComparison.OrdinalIgnoreCase))
        {
            message += " The server did not answer in TLS: the port probably expects a plain connection or STARTTLS (SSL is for 993/995).";
        }

        return message;
    }

    private static string CertificateReasons(string mailKitMessage)
    {
        // MailKit's message: a fixed first line, then the reasons as bullet lines under a heading ending in ':'.
        var reasons = mailKitMessage.Split('\n')
            .Skip(1)
            .Select(line => line.Trim().TrimStart('•').Trim())
            .Where(line => line.Length > 0 && !line.EndsWith(':'))
            .Select(line => line.Contains("rejected by the provided RemoteCertificateValidationCallback", StringComparison.Ordinal)
                ? "MailImport's certificate check refused it (for example, it is not the certificate whose fingerprint was given)"
                : line.TrimEnd('.'))
            .ToList();
        return reasons.Count == 0 ? "it failed validation" : Clean(string.Join("; ", reasons))!;
    }

    private static string Describe(X509Certificate certificate, X509Certificate? root)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"Certificate: subject \"{Clean(certificate.Subject)}\", issuer \"{Clean(certificate.Issuer)}\", SHA-256 {certificate.GetCertHashString(HashAlgorithmName.SHA256)}");
        if (certificate is X509Certificate2 full)
        {
            text.Append(CultureInfo.InvariantCulture, $", valid {full.NotBefore.ToUniversalTime():yyyy-MM-dd} to {full.NotAfter.ToUniversalTime():yyyy-MM-dd}");
        }

        if (root is not null && !string.Equals(root.Subject, certificate.Subject, StringComparison.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"; root authority \"{Clean(root.Subject)}\"");
        }

        return text.Append('.').ToString();
    }

    private static MailFailure? FromTransport(Exception exception, MailSide side) => exception switch
    {
        SocketException socket => FromSocket(socket, side),
        TlsAuthenticationException tls => Build(Kind.TlsFailed, side, TlsFailureMessage(Clean(tls.Message))),
        TimeoutException timeout => Build(Kind.Timeout, side, $"The {Side} server did not answer in time ({Clean(timeout.Message)})."),
        OperationCanceledException => Build(Kind.Timeout, side, $"The {Side} server did not answer in time (the operation was cancelled)."),
        IOException io => FromIo(io, side),
        _ => null,
    };

    private static MailFailure FromIo(IOException exception, MailSide side)
    {
        // SslStream and NetworkStream wrap the socket's error; the innermost known fault is the real one.
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException or TimeoutException or TlsAuthenticationException)
            {
                return FromTransport(inner, side)!;
            }
        }

        // MailKit's own words when DNS answered with no address at all.
        if (exception.Message.StartsWith("Failed to resolve host", StringComparison.Ordinal))
        {
            return Build(Kind.ConnectFailed, side, $"The {Side} server's host name could not be resolved ({Clean(exception.Message)}).");
        }

        return Build(Kind.ConnectionLost, side, $"The connection to the {Side} server broke: {Clean(exception.Message)}");
    }

    private static MailFailure FromSocket(SocketException exception, MailSide side)
    {
        var detail = $"{Clean(exception.Message)}, {exception.SocketErrorCode}";
        return exception.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => Build(Kind.ConnectFailed, side,
                $"The {Side} server refused the connection: nothing listens on that host and port, or a firewall blocks it ({detail})."),
            SocketError.HostNotFound or SocketError.NoData => Build(Kind.ConnectFailed, side,
                $"The {Side} server's host name is not known to DNS ({detail})."),
            SocketError.TryAgain => Build(Kind.ConnectFailed, side,
                $"The {Side} server's host name could not be looked up right now ({detail})."),
            SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.NetworkDown or SocketError.HostDown
                or SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported or SocketError.AccessDenied =>
                Build(Kind.ConnectFailed, side, $"The {Side} server could not be reached over the network ({detail})."),
            SocketError.TimedOut => Build(Kind.Timeout, side, $"The {Side} server did not answer in time ({detail})."),
            SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected
                or SocketError.Disconnecting or SocketError.OperationAborted => Build(Kind.ConnectionLost, side,
                $"The connection to the {Side} server broke ({detail})."),
            _ => Build(Kind.ConnectFailed, side, $"A network error stopped the connection to the {Side} server ({detail})."),
        };
    }

    private static MailFailure? FromInner(Exception exception, MailSide side)
    {
        // A wrapper we do not know (ours or a library's) around a fault we do: report the fault.
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is MailFailureException or SslHandshakeException or MailKit.Security.AuthenticationException
                or CommandException or ProtocolException or ServiceNotConnectedException or FolderNotFoundException
                or MessageNotFoundException or SocketException or IOException or TimeoutException
                or OperationCanceledException or TlsAuthenticationException)
            {
                return Classify(inner, side);
            }
        }

        return null;
    }

    private static MailFailure Internal(Exception exception, MailSide side) =>
        Build(Kind.Internal, side,
            $"MailImport met an unexpected {exception.GetType().Name} while talking to the {Side} server: {Clean(exception.Message)}");

    private static string? CommandOf(ImapCommandException exception)
    {
        var match = ImapCommandName().Match(exception.Message);
        return match.Success ? match.Groups["cmd"].Value : null;
    }

    private static string? Pop3CommandOf(Pop3CommandException exception)
    {
        var match = Pop3CommandName().Match(exception.Message);
        return match.Success ? match.Groups["cmd"].Value : null;
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    private static MailFailure Build(Kind kind, MailSide side, string messageFormat, string? serverText = null)
    {
        var code = CodeFor(kind, side);
        // A marker, not string.Format: the message carries server and folder texts, which may hold braces.
        var message = messageFormat.Replace(Side, side == MailSide.Source ? "source" : "destination", StringComparison.Ordinal);
        var quoted = Clean(serverText);
        if (quoted is not null)
        {
            message += $" Server said: \"{quoted}\"";
        }

        return new MailFailure(code, Redact(message), TransienceOf(kind) ?? ErrorCatalog.Get(code).IsTransient, ParseRetryAfter(serverText));
    }

    // Only where the kind proves the code's usual transience wrong: these fail the same way however often they are
    // retried, also when they are filed under a code that is usually transient (SourceProtocolError,
    // DestinationUnavailable, MessageUnreadable).
    private static bool? TransienceOf(Kind kind) =>
        kind is Kind.Permanent or Kind.WrongProtocol or Kind.TlsFailed or Kind.CertificateUntrusted or Kind.TlsRequired
            or Kind.MessageTooBig
            ? false
            : null;

    private static ErrorCode CodeFor(Kind kind, MailSide side) => side == MailSide.Source
        ? kind switch
        {
            Kind.LoginRefused => ErrorCode.SourceAuthFailed,
            Kind.ProtocolDisabled => ErrorCode.SourceProtocolDisabled,
            Kind.AppPasswordRequired => ErrorCode.SourceAppPasswordRequired,
            Kind.TlsRequired or Kind.TlsFailed => ErrorCode.SourceTlsFailed,
            Kind.CertificateUntrusted => ErrorCode.SourceCertificateUntrusted,
            Kind.ConnectFailed or Kind.WrongProtocol => ErrorCode.SourceConnectFailed,
            Kind.Timeout => ErrorCode.SourceTimeout,
            // A source never stores, so its quota answer is Gmail's "[OVERQUOTA] Account exceeded command or bandwidth limits".
            Kind.Throttled or Kind.OverQuota => ErrorCode.SourceThrottled,
            Kind.FolderUnavailable => ErrorCode.SourceFolderUnavailable,
            Kind.MessageTooBig or Kind.MessageRejected or Kind.MessageBroken => ErrorCode.MessageUnreadable,
            Kind.Internal => ErrorCode.InternalError,
            // A dropped connection or a server in trouble answered something the exchange did not allow for.
            _ => ErrorCode.SourceProtocolError,
        }
        : kind switch
        {
            Kind.LoginRefused or Kind.ProtocolDisabled or Kind.AppPasswordRequired => ErrorCode.DestinationAuthFailed,
            Kind.Throttled => ErrorCode.DestinationThrottled,
            Kind.OverQuota => ErrorCode.DestinationOverQuota,
            Kind.MessageTooBig => ErrorCode.MessageTooBig,
            Kind.MessageRejected or Kind.MessageBroken => ErrorCode.MessageRejected,
            Kind.Internal => ErrorCode.InternalError,
            // The destination has one code for "could not do it": its message says which way.
            _ => ErrorCode.DestinationUnavailable,
        };

    /// <summary>Makes a text fit for one report line: one line, no Dovecot timing suffix, no client command, bounded.</summary>
    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var cleaned = Redact(text).Replace(Side, string.Empty, StringComparison.Ordinal);
        cleaned = DovecotTiming().Replace(cleaned, string.Empty);
        cleaned = Whitespace().Replace(cleaned, " ").Trim();
        if (cleaned.Length > MaxServerTextLength)
        {
            cleaned = string.Concat(cleaned.AsSpan(0, MaxServerTextLength), "…");
        }

        return cleaned.Length == 0 ? null : cleaned;
    }

    /// <summary>Replaces the arguments of anything that looks like a client's LOGIN, AUTHENTICATE, PASS, APOP or AUTH
    /// command with <see cref="Secret.Mask"/>: a protocol-log line or a wrapped message must not carry a password out.</summary>
    private static string Redact(string text)
    {
        text = ImapCredentialCommand().Replace(text, m => $"{m.Groups["head"].Value} {Secret.Mask}");
        return Pop3CredentialCommand().Replace(text, m => $"{m.Groups["head"].Value} {Secret.Mask}");
    }

    /// <summary>One recognised wording: the pattern, what kind of fault it names, and the message (<see cref="Side"/> marks the side).</summary>
    private sealed record Rule(Regex Pattern, Kind Kind, string Message);

    private const RegexOptions Text = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    // Gmail: "[ALERT] Too many simultaneous connections. (Failure)", "[OVERQUOTA] Account exceeded command or bandwidth
    // limits."; Exchange Online: "Request is throttled. Suggested Backoff Time: 299961 milliseconds"; Gmail [THROTTLED].
    [GeneratedRegex(@"\[THROTTLED\]|\bthrottl|\btoo many (?:simultaneous |concurrent |parallel |open |active )?(?:connections|sessions|logins?|login (?:attempts|failures)|authentication (?:attempts|failures)|requests|commands)\b|\bexceeded (?:the |your )?(?:command|bandwidth|rate|download|request|connection)s?\b|\bbandwidth limit|\brate limit|\bsuggested backoff time|\bserver (?:is )?(?:too )?busy|слишком много", Text)]
    private static partial Regex ThrottledText();

    // RFC 2449 POP3 response codes.
    [GeneratedRegex(@"\[LOGIN-DELAY\]", Text)]
    private static partial Regex LoginDelayText();

    // RFC 2449 [IN-USE] (POP3 maildrop locked), RFC 5530 [INUSE].
    [GeneratedRegex(@"\[IN-?USE\]|\bmailbox (?:is )?(?:locked|in use)\b", Text)]
    private static partial Regex InUseText();

    // Gmail: "[ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)";
    // Mail.Ru/Yandex: "пароль приложения" / "пароль для внешнего приложения".
    [GeneratedRegex(@"application[- ]specific password|\bapp(?:lication)?[- ]passwords?\b|парол\w* (?:для )?(?:внешнего |внешних )?приложени", Text)]
    private static partial Regex AppPasswordText();

    // Gmail: "[ALERT] Please log in via your web browser: https://support.google.com/mail/accounts/answer/78754 (Failure)",
    // "NO [WEBALERT https://accounts.google.com/...] Web login required."
    [GeneratedRegex(@"\bweb ?login required|\blog ?in via your web ?browser|\[WEBALERT\b", Text)]
    private static partial Regex WebLoginText();

    // Gmail: "[ALERT] Your account is not enabled for IMAP use. Please visit your Gmail settings page and enable your
    // account for IMAP access.", "IMAP access is disabled for your domain. Please contact your domain administrator";
    // Gmail POP: "-ERR [SYS/PERM] Your account is not enabled for POP access."; Yandex: "[AUTHENTICATIONFAILED] LOGIN
    // invalid credentials or IMAP is disabled", "This user does not have access rights to this service"; Zoho: "You are
    // yet to enable IMAP for your account"; Mail.Ru / Yandex Russian: "Доступ по протоколу IMAP отключен".
    [GeneratedRegex(@"\bnot enabled for (?:IMAP|POP3?)\b|\benable your account for (?:IMAP|POP3?)\b|\b(?:IMAP4?|POP3?)(?: access| protocol)?(?: is| has been)? (?:disabled|not enabled|not allowed|not permitted|turned off|switched off|blocked)\b|\baccess (?:to|via|by|over|through) (?:IMAP4?|POP3?)(?: protocol)? (?:is |has been )?(?:disabled|denied|not allowed|blocked)\b|\bdoes not have access rights to this service|\byet to enable (?:IMAP|POP)|\b(?:IMAP4?|POP3?)\b[^.\r\n]{0,40}(?:отключ|запрещ|выключ|недоступ)|(?:отключ|запрещ|выключ)[^.\r\n]{0,40}\b(?:IMAP4?|POP3?)\b", Text)]
    private static partial Regex ProtocolDisabledText();

    // Yandex: "[AUTHENTICATIONFAILED] LOGIN invalid credentials or IMAP is disabled".
    [GeneratedRegex(@"\b(?:invalid|wrong|bad|incorrect) (?:credentials|password|login)\b[^.\r\n]{0,20}\bor (?:IMAP4?|POP3?)\b[^.\r\n]{0,20}\b(?:disabled|not enabled|switched off|turned off)\b", Text)]
    private static partial Regex CredentialsOrDisabledText();

    // Exchange Online: "BAD User is authenticated but not connected."
    [GeneratedRegex(@"\bUser is authenticated but not connected", Text)]
    private static partial Regex AuthenticatedNotConnectedText();

    // RFC 5530 [PRIVACYREQUIRED]; RFC 3501 LOGINDISABLED; Dovecot: "Plaintext authentication disallowed on non-secure
    // (SSL/TLS) connections."
    [GeneratedRegex(@"\[PRIVACYREQUIRED\]|\bLOGIN command is disabled|\bLOGINDISABLED\b|\bplaintext auth\w* (?:is )?(?:disallowed|not allowed)|\b(?:requires?|must use|only over|only with) (?:an? )?(?:SSL|TLS|STARTTLS|secure|encrypted)\b", Text)]
    private static partial Regex TlsRequiredText();

    // RFC 5530 [CONTACTADMIN]; Yandex: "Access to your account has been temporarily restricted as Yandex suspects it may
    // have been hacked."
    [GeneratedRegex(@"\[CONTACTADMIN\]|\baccount (?:has been |is |was )?(?:temporarily )?(?:disabled|locked|suspended|blocked|restricted|frozen)\b|\baccess to (?:your|this) account (?:has been |is )?(?:temporarily )?(?:restricted|blocked|suspended)|заблокирован", Text)]
    private static partial Regex AccountLockedText();

    // RFC 5530 [UNAVAILABLE], RFC 3206 [SYS/TEMP]; Gmail: "[UNAVAILABLE] Temporary System Error"; Dovecot:
    // "[UNAVAILABLE] Temporary authentication failure."; Exchange: "* BYE Server Unavailable. 15".
    [GeneratedRegex(@"\[UNAVAILABLE\]|\[SYS/TEMP\]|\btemporar(?:y|ily)\b|\bunavailable\b|временн", Text)]
    private static partial Regex UnavailableText();

    // RFC 5530 [SERVERBUG], [CORRUPTION]; Dovecot: "Internal error occurred. Refer to server log for more information."
    [GeneratedRegex(@"\[SERVERBUG\]|\[CORRUPTION\]|\binternal (?:server )?error|\b(?:system|server) error\b|\bunexpected error|внутренняя ошибка", Text)]
    private static partial Regex ServerFaultText();

    [GeneratedRegex(@"\b(?:please )?(?:try|retry|come back)(?: again)? later\b|\btry again in \d|\bretry after \d|\bretry-after\b|попробуйте (?:позже|ещё раз|еще раз)|повторите (?:попытку )?позже", Text)]
    private static partial Regex TryLaterText();

    // RFC 5530 [EXPIRED].
    [GeneratedRegex(@"\[EXPIRED\]|\bpassword (?:has )?expired|\bcredentials (?:have )?expired", Text)]
    private static partial Regex ExpiredText();

    // RFC 5530 [AUTHENTICATIONFAILED]/[AUTHORIZATIONFAILED], RFC 3206 [AUTH]; Gmail: "Invalid credentials (Failure)",
    // Gmail POP: "-ERR [AUTH] Username and password not accepted."; Exchange: "LOGIN failed.", "AUTHENTICATE failed.";
    // Dovecot: "Authentication failed."; Mail.Ru: "Неверный логин или пароль".
    [GeneratedRegex(@"\[AUTHENTICATIONFAILED\]|\[AUTHORIZATIONFAILED\]|\[AUTH\]|\bauthenticat\w* (?:failed|failure|unsuccessful|error)|\b(?:login|logon|sign-?in) (?:failed|failure|incorrect|denied|rejected)\b|\binvalid (?:credentials|login|user(?:name)?|password|e-?mail)\b|\b(?:incorrect|wrong|bad) (?:password|login|user(?:name)?|credentials)\b|\b(?:username|login|user) (?:and|or) password\b|\bpassword (?:incorrect|invalid|not accepted)|неверн\w* (?:логин|пароль|имя)|ошибка (?:авторизации|аутентификации)", Text)]
    private static partial Regex LoginRefusedText();

    // RFC 5530 [OVERQUOTA]; Dovecot: "Quota exceeded (mailbox for user is full)".
    [GeneratedRegex(@"\[OVERQUOTA\]|\bquota (?:exceeded|reached|is full)|\bover (?:the |its |your )?quota|\bexceed\w* (?:the |your |its |mailbox |storage )*quota|\bmailbox (?:is )?full\b|\bmailbox size limit|\bnot enough (?:disk |storage )?space|\binsufficient (?:storage|space)|превышен\w* квот|квота превышена|ящик переполнен", Text)]
    private static partial Regex OverQuotaText();

    // RFC 4469 [TOOBIG], RFC 5530 [LIMIT]; Dovecot (quota_max_mail_size): "Mail size is larger than the maximum size
    // allowed by server configuration"; Exchange/others: "Message too large", "message size exceeds ...".
    [GeneratedRegex(@"\[TOOBIG\]|\[LIMIT\]|\btoo (?:large|big)\b|\bsize exceeds|\bexceeds (?:the )?(?:maximum|max|allowed|size)|\blarger than (?:the )?(?:maximum|max|allowed)|\bmaximum (?:message |mail )?size|\bmessage size limit|слишком (?:большое|большой|велико)", Text)]
    private static partial Regex TooBigText();

    // RFC 5530 [NONEXISTENT], [CANNOT], [NOPERM]; RFC 3501 [TRYCREATE]; Dovecot: "Mailbox doesn't exist: X"; Gmail:
    // "[NONEXISTENT] Unknown Mailbox: X (Failure)".
    [GeneratedRegex(@"\[NONEXISTENT\]|\[TRYCREATE\]|\[CANNOT\]|\[NOPERM\]|\bmailbox (?:doesn't|does not|don't) exist|\bunknown (?:mailbox|folder)|\bno such (?:mailbox|folder)\b|\b(?:mailbox|folder) (?:not found|does not exist|doesn't exist|is not selectable|cannot be selected)|\bpermission denied|\bnot (?:allowed|permitted) to (?:select|access|open)\b", Text)]
    private static partial Regex FolderText();

    // RFC 5530 [EXPUNGEISSUED], RFC 3501 [PARSE]; Gmail: "Some messages could not be FETCHed (Failure)".
    [GeneratedRegex(@"\[EXPUNGEISSUED\]|\[PARSE\]|\bexpunged\b|\bmessage (?:has been |was )?(?:deleted|expunged|removed)\b|\bsome messages could not be fetched|\bunable to parse|\bcould not parse message|\binvalid message\b", Text)]
    private static partial Regex MessageGoneText();

    // BYE texts: Dovecot "Server shutting down.", "Disconnected for inactivity."; Exchange "Connection closed. 14";
    // RFC 3501's "Autologout; idle for too long".
    [GeneratedRegex(@"\bconnection (?:is |was |has been )?(?:closed|reset|lost|dropped)\b|\bautologout\b|\bidle for too long|\binactivity\b|\bsession (?:expired|timed out|terminated)\b|\bshutting down\b|\bdisconnect(?:ed|ing)\b|\blogged out\b", Text)]
    private static partial Regex ConnectionClosedText();

    // RFC 5530 [CLIENTBUG], [BADCHARSET]; RFC 3206 [SYS/PERM] (when no more specific words came with it).
    [GeneratedRegex(@"\[CLIENTBUG\]|\[BADCHARSET\]|\[SYS/PERM\]", Text)]
    private static partial Regex PermanentText();

    [GeneratedRegex(@"\bsuggested backoff time:?\s*(?<n>\d{1,15})\s*(?<u>milliseconds?|msecs?|ms|seconds?|secs?|s\b|minutes?|mins?\b)?", Text)]
    private static partial Regex BackoffTime();

    [GeneratedRegex(@"(?:\b(?:retry|try again|come back|wait)\s+(?:after|in|for)?\s*|\bretry-after:?\s*)(?<n>\d{1,15})\s*(?<u>milliseconds?|msecs?|ms\b|seconds?|secs?\b|s\b|minutes?|mins?\b|m\b|hours?|h\b)?", Text)]
    private static partial Regex RetryAfterText();

    [GeneratedRegex(@"replied to the '(?<cmd>[A-Z]+)' command", RegexOptions.CultureInvariant)]
    private static partial Regex ImapCommandName();

    [GeneratedRegex(@"response to the (?<cmd>[A-Z]+) command", RegexOptions.CultureInvariant)]
    private static partial Regex Pop3CommandName();

    // An IMAP client command is "tag LOGIN user pass" / "tag AUTHENTICATE PLAIN base64": the tag holds a digit, which
    // keeps a server's own "LOGIN failed." or Yandex's "LOGIN invalid credentials ..." readable. Case-sensitive: clients
    // send the commands in capitals, servers write "log in"/"login" in their prose.
    [GeneratedRegex(@"(?<head>(?<![^\s:""'])[A-Za-z.]*\d[A-Za-z0-9.]*\s+(?:LOGIN|AUTHENTICATE))\s+[^\r\n]*", RegexOptions.CultureInvariant)]
    private static partial Regex ImapCredentialCommand();

    [GeneratedRegex(@"(?<head>(?<![^\s:""'])(?:PASS|APOP|AUTH\s+[A-Z0-9-]+))\s+[^\r\n]*", RegexOptions.CultureInvariant)]
    private static partial Regex Pop3CredentialCommand();

    // Dovecot appends its timing to tagged answers: "Quota exceeded (mailbox for user is full) (0.001 + 0.000 secs)."
    [GeneratedRegex(@"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)", RegexOptions.CultureInvariant)]
    private static partial Regex DovecotTiming();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
