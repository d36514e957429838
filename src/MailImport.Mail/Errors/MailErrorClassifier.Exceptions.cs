using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailImport.Core.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;

namespace MailImport.Mail.Errors;

// The switch over what was thrown: MailKit keeps one exception type per failure kind, and each type says where the
// server's own words are (a refused login's message, a NO/BAD's ResponseText, a POP3 -ERR's StatusText, a BYE's message).
public static partial class MailErrorClassifier
{
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
            // MailKit's documented answer to StartTls on a server without the extension (ImapClient/Pop3Client.Connect:
            // "NotSupportedException: options was set to StartTls and the server does not support the STARTTLS
            // extension"): a setting to fix, not a fault to retry.
            NotSupportedException notSupported when notSupported.Message.Contains("STARTTLS", StringComparison.Ordinal) ||
                notSupported.Message.Contains("STLS", StringComparison.Ordinal) => Build(Kind.TlsFailed, side,
                $"The {Side} server does not offer STARTTLS on this port, so MailImport did not send the password in clear text. "
                + "Choose SSL (ports 993 and 995), or the server's STARTTLS port."),
            ServiceNotConnectedException => Build(Kind.ConnectionLost, side,
                $"The connection to the {Side} server had already been lost when MailImport used it."),
            FolderNotFoundException folder => Build(Kind.FolderUnavailable, side,
                $"The {Side} folder \"{Clean(folder.FolderName)}\" does not exist (any more)."),
            MessageNotFoundException => Build(Kind.MessageBroken, side,
                $"The {Side} server did not return the message; it was probably deleted meanwhile."),
            _ => FromTransport(e, side) ?? FromInner(e, side) ?? Internal(e, side),
        };
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
        if (side == MailSide.Destination && name == "CREATE" && exception.Response == ImapCommandResponse.No
            && rule?.Kind is null or Kind.Refused or Kind.Permanent or Kind.Unexpected or Kind.FolderUnavailable or Kind.MessageTooBig)
        {
            // A CREATE answered NO for a reason of the folder's own (its name: RFC 5530 section 3 [CANNOT], [NOPERM]; a
            // folder count limit: [LIMIT], which names no message here), not of the mailbox or the connection (quota,
            // throttling, a dropped link keep their kinds): it costs that folder alone.
            return Build(Kind.FolderRefused, side, $"The {Side} server refused to create the folder ({answer}).", text);
        }

        if (rule is not null)
        {
            return Build(rule.Kind, side, Answered(rule, name ?? "the command", answer), text);
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
            : Answered(rule!, "APPEND", answer);
        return Build(kind, MailSide.Destination, message, text);
    }

    private static MailFailure FromImapProtocol(ImapProtocolException exception, MailSide side)
    {
        var text = exception.Message;
        return FromProtocolText(text, side, "Syntax error in IMAP server greeting", "an IMAP server", "IMAP 143/993, POP3 110/995")
            ?? (exception.InnerException is ImapProtocolException inner && IsDisconnect(inner.Message)
                ? Build(Kind.ConnectionLost, side, $"The {Side} server closed the connection.", text)
                : null)
            ?? (text.Contains("unexpectedly refused the connection", StringComparison.Ordinal)
                ? Build(Kind.ServerUnavailable, side, $"The {Side} server greeted with BYE and refused the connection.")
                : null)
            ?? Unparsed(text, side);
    }

    private static MailFailure FromPop3Command(Pop3CommandException exception, MailSide side)
    {
        var text = exception.StatusText;
        var name = Pop3CommandOf(exception);
        var rule = Recognise(text);
        if (rule is not null)
        {
            return Build(rule.Kind, side, Answered(rule, name ?? "the command", "-ERR"), text);
        }

        var kind = name switch
        {
            "RETR" or "TOP" => Kind.MessageBroken,
            "USER" or "PASS" or "APOP" or "AUTH" => Kind.LoginRefused,
            _ => Kind.Refused,
        };
        return Build(kind, side, $"The {Side} server refused {(name is null ? "a command" : $"the {name} command")} (-ERR).", text);
    }

    private static MailFailure FromPop3Protocol(Pop3ProtocolException exception, MailSide side) =>
        FromProtocolText(exception.Message, side, "Unexpected greeting from server", "a POP3 server", "POP3 110/995, IMAP 143/993")
            ?? Unparsed(exception.Message, side);

    /// <summary>What IMAP and POP3 protocol faults have in common, in this order: a greeting MailKit could not read (the
    /// port speaks another protocol), a disconnect in the middle of a command, and a BYE whose words the table knows.</summary>
    /// <returns>The failure, or null when the text is none of these.</returns>
    private static MailFailure? FromProtocolText(string text, MailSide side, string badGreeting, string protocolServer, string ports)
    {
        if (text.StartsWith(badGreeting, StringComparison.Ordinal))
        {
            // The greeting is not quoted: a report that repeats whatever a port answers would tell an admin (or anyone
            // with an API key) which service runs on any host and port they name.
            return Build(Kind.WrongProtocol, side,
                $"The {Side} server is not {protocolServer}: its first line is not {protocolServer}'s greeting. Check the protocol and the port ({ports}).");
        }

        if (IsDisconnect(text))
        {
            return Build(Kind.ConnectionLost, side, $"The {Side} server closed the connection in the middle of a command.");
        }

        // A BYE carries the server's reason as the message, with the disconnect inside.
        var rule = Recognise(text);
        return rule is null ? null : Build(rule.Kind, side, rule.Message, text);
    }

    private static MailFailure Unparsed(string text, MailSide side) =>
        Build(Kind.Unexpected, side, $"The {Side} server sent an answer MailImport could not parse. MailKit: {Clean(text)}");

    /// <summary>A row's message with the command and the answer that carried the text: "... (FETCH answered NO)."</summary>
    private static string Answered(Rule rule, string command, string answer) => $"{rule.Message.TrimEnd('.')} ({command} answered {answer}).";

    private static bool IsDisconnect(string text) =>
        text.Contains("unexpectedly disconnected", StringComparison.Ordinal) || string.Equals(text, "Bye.", StringComparison.Ordinal);

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

    [GeneratedRegex(@"replied to the '(?<cmd>[A-Z]+)' command", RegexOptions.CultureInvariant)]
    private static partial Regex ImapCommandName();

    [GeneratedRegex(@"response to the (?<cmd>[A-Z]+) command", RegexOptions.CultureInvariant)]
    private static partial Regex Pop3CommandName();
}
