using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using MailImport.Core;
using MailImport.Core.Errors;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;

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
/// <para>Where it lives: this file, the entry points, the matching of server texts and the mapping from a kind of fault to
/// a catalogue code; MailErrorClassifier.Rules.cs, the provider-text table (data only);
/// MailErrorClassifier.Exceptions.cs, the switch over the thrown exception's type and MailKit's command and protocol
/// faults; MailErrorClassifier.Transport.cs, sockets, timeouts, TLS and certificates; MailErrorClassifier.Text.cs, the
/// cleaning and redaction of every text that reaches a message, and the server's retry hint.</para>
/// </remarks>
public static partial class MailErrorClassifier
{
    // Stands for "source" or "destination" in a message until the side is known; a private-use character no server
    // text carries (Clean removes it all the same).
    private const string Side = "\uE001";

    // Every kind, so the set of codes this class can return is derived, not kept by hand.
    private static readonly Kind[] AllKinds = Enum.GetValues<Kind>();

    /// <summary>What kind of fault, before the side turns it into a code.</summary>
    internal enum Kind
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
        LimitReached,
        ServerUnavailable,
        ServerFault,
        Refused,
        Permanent,
        Unexpected,
        FolderUnavailable,
        FolderRefused,
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

    /// <summary>The first row of <see cref="Rules"/> whose wordings match <paramref name="text"/>, or null.</summary>
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
            Kind.LimitReached => ErrorCode.SourceLimitReached,
            Kind.FolderUnavailable or Kind.FolderRefused => ErrorCode.SourceFolderUnavailable,
            Kind.MessageTooBig or Kind.MessageRejected or Kind.MessageBroken => ErrorCode.MessageUnreadable,
            Kind.Internal => ErrorCode.InternalError,
            // A dropped connection or a server in trouble answered something the exchange did not allow for.
            _ => ErrorCode.SourceProtocolError,
        }
        : kind switch
        {
            Kind.LoginRefused or Kind.ProtocolDisabled or Kind.AppPasswordRequired => ErrorCode.DestinationAuthFailed,
            // The destination's own limits are a slow-down like any other: its writes are ours to pace.
            Kind.Throttled or Kind.LimitReached => ErrorCode.DestinationThrottled,
            Kind.OverQuota => ErrorCode.DestinationOverQuota,
            Kind.FolderRefused => ErrorCode.DestinationFolderRefused,
            Kind.MessageTooBig => ErrorCode.MessageTooBig,
            Kind.MessageRejected or Kind.MessageBroken => ErrorCode.MessageRejected,
            Kind.Internal => ErrorCode.InternalError,
            // The destination has one code for "could not do it": its message says which way.
            _ => ErrorCode.DestinationUnavailable,
        };

    // Server texts are matched case-insensitively and culture-invariantly: the table's rows and the retry hints alike.
    private const RegexOptions TextOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    /// <summary>One row of the provider-text table: the kind of fault its wordings name, and the message
    /// (<see cref="Side"/> marks the side). Its wordings are tried as one alternation, in one regular expression.</summary>
    internal sealed record Rule(Kind Kind, string Message, Wording[] Wordings)
    {
        // Built once from the row, since a [GeneratedRegex] needs one constant pattern: the same engine, options and
        // (default, unlimited) match timeout. Each wording is a whole alternative with its groups closed, so joining
        // them with '|' gives exactly the alternation it would be on one line.
        public Regex Pattern { get; } = new(string.Join('|', Wordings.Select(w => w.Pattern)), TextOptions);
    }

    /// <summary>One alternative of a row: a pattern, and where servers were seen (or documented) to say it.</summary>
    internal sealed record Wording([StringSyntax(StringSyntaxAttribute.Regex)] string Pattern, string Source);
}
