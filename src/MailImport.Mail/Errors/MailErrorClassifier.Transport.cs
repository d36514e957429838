using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailImport.Core.Errors;
using MailKit.Security;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;

namespace MailImport.Mail.Errors;

// Faults below the mail protocol: the TLS handshake and its certificate, sockets, timeouts and broken streams.
public static partial class MailErrorClassifier
{
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

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }
}
