using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailKit.Net.Imap;
using MailKit.Security;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;
using static MailImport.Mail.Tests.Errors.ProviderReplies;

namespace MailImport.Mail.Tests.Errors;

// Faults below the mail protocol (MailErrorClassifier.Transport.cs): sockets, timeouts, broken streams, TLS and certificates.
public class MailErrorClassifierTransportTests
{
    [Theory]
    [InlineData(SocketError.ConnectionRefused, ErrorCode.SourceConnectFailed)]
    [InlineData(SocketError.HostNotFound, ErrorCode.SourceConnectFailed)]
    [InlineData(SocketError.TryAgain, ErrorCode.SourceConnectFailed)]
    [InlineData(SocketError.NetworkUnreachable, ErrorCode.SourceConnectFailed)]
    [InlineData(SocketError.HostUnreachable, ErrorCode.SourceConnectFailed)]
    [InlineData(SocketError.TimedOut, ErrorCode.SourceTimeout)]
    [InlineData(SocketError.ConnectionReset, ErrorCode.SourceProtocolError)]
    [InlineData(SocketError.ConnectionAborted, ErrorCode.SourceProtocolError)]
    [InlineData(SocketError.Shutdown, ErrorCode.SourceProtocolError)]
    public void Classify_SocketErrorAtSource_IsTransientWithItsCode(SocketError error, ErrorCode expected)
    {
        var failure = MailErrorClassifier.Classify(new SocketException((int)error), MailSide.Source);

        Assert.Equal(expected, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused)]
    [InlineData(SocketError.HostNotFound)]
    [InlineData(SocketError.TimedOut)]
    [InlineData(SocketError.ConnectionReset)]
    public void Classify_SocketErrorAtDestination_IsTransientDestinationUnavailable(SocketError error)
    {
        var failure = MailErrorClassifier.Classify(new SocketException((int)error), MailSide.Destination);

        Assert.Equal(ErrorCode.DestinationUnavailable, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_NothingListeningOnThePort_IsSourceConnectFailed()
    {
        // Observed: System.Net.Sockets.SocketException "Connection refused", SocketErrorCode=ConnectionRefused (111),
        // for IMAP, POP3 and SslOnConnect alike; MailKit does not wrap it.
        var failure = MailErrorClassifier.Classify(new SocketException((int)SocketError.ConnectionRefused), MailSide.Source);

        Assert.Equal(ErrorCode.SourceConnectFailed, failure.Code);
        Assert.Contains("refused the connection", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_UnknownHost_IsSourceConnectFailed()
    {
        // Observed: SocketException "Name or service not known", SocketErrorCode=HostNotFound.
        var failure = MailErrorClassifier.Classify(new SocketException((int)SocketError.HostNotFound), MailSide.Source);

        Assert.Equal(ErrorCode.SourceConnectFailed, failure.Code);
        Assert.Contains("DNS", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_IOExceptionWrappingBrokenPipe_IsTransientSourceProtocolError()
    {
        // Observed: POP3 NOOP after `doveadm kick` -> IOException "Broken pipe" over SocketException(Shutdown).
        var exception = new IOException("Broken pipe", new SocketException((int)SocketError.Shutdown));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Theory]
    [InlineData(SocketError.ConnectionReset, ErrorCode.SourceProtocolError)]
    [InlineData(SocketError.TimedOut, ErrorCode.SourceTimeout)]
    [InlineData(SocketError.ConnectionRefused, ErrorCode.SourceConnectFailed)]
    public void Classify_IOExceptionWrappingSocketException_TakesTheSocketsCode(SocketError error, ErrorCode expected)
    {
        var exception = new IOException("Unable to read data from the transport connection.", new SocketException((int)error));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(expected, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_BareIOException_IsTransientConnectionLoss()
    {
        var failure = MailErrorClassifier.Classify(new IOException("Unexpected end of stream."), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_MailKitHostResolutionFailure_IsSourceConnectFailed()
    {
        var failure = MailErrorClassifier.Classify(new IOException("Failed to resolve host: imap.example.invalid"), MailSide.Source);

        Assert.Equal(ErrorCode.SourceConnectFailed, failure.Code);
    }

    [Fact]
    public void Classify_ReadTimeout_IsSourceTimeout()
    {
        // Observed for a plain connect to the TLS port (41993/41995) and for an unanswering host: the greeting never
        // comes, and MailKit's NetworkStream throws this after Timeout.
        var exception = new TimeoutException("Operation timed out after 5000 milliseconds", new TaskCanceledException());

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceTimeout, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Contains("5000 milliseconds", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ConnectTimeout_IsSourceTimeout()
    {
        // MailKit's connect timeout: new TimeoutException() when its own timer, not the caller, cancelled.
        Assert.Equal(ErrorCode.SourceTimeout, MailErrorClassifier.Classify(new TimeoutException(), MailSide.Source).Code);
    }

    [Fact]
    public void Classify_CancellationFromATimeout_IsSourceTimeout()
    {
        var failure = MailErrorClassifier.Classify(new OperationCanceledException(), MailSide.Source);

        Assert.Equal(ErrorCode.SourceTimeout, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_TimeoutAtDestination_IsDestinationUnavailable()
    {
        Assert.Equal(ErrorCode.DestinationUnavailable, MailErrorClassifier.Classify(new TimeoutException(), MailSide.Destination).Code);
    }

    [Fact]
    public void Classify_TlsToPlainPort_IsSourceTlsFailedWithAPortHint()
    {
        // Observed for SslOnConnect to Dovecot's plain IMAP and POP3 ports: SslHandshakeException (no certificate)
        // over System.Security.Authentication.AuthenticationException "Cannot determine the frame size ...".
        var exception = new SslHandshakeException(MailKitHandshakeMessage, new TlsAuthenticationException(TlsToPlainPort));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceTlsFailed, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("STARTTLS", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FAQ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_BareTlsAuthenticationException_IsSourceTlsFailed()
    {
        var failure = MailErrorClassifier.Classify(new TlsAuthenticationException(TlsToPlainPort), MailSide.Source);

        Assert.Equal(ErrorCode.SourceTlsFailed, failure.Code);
        Assert.False(failure.IsTransient);
    }

    // The connection cut inside the TLS handshake (found by the fault proxy, tests/MailImport.Testing/Faults): SslStream's bare IOException.
    private const string HandshakeEof = "Received an unexpected EOF or 0 bytes from the transport stream.";

    [Theory]
    [InlineData(MailSide.Source, ErrorCode.SourceProtocolError)]
    [InlineData(MailSide.Destination, ErrorCode.DestinationUnavailable)]
    public void Classify_ConnectionCutDuringTlsHandshake_IsTransientConnectionLost(MailSide side, ErrorCode code)
    {
        foreach (var cause in new Exception[] { new IOException(HandshakeEof), new IOException("reset", new SocketException((int)SocketError.ConnectionReset)) })
        {
            var failure = MailErrorClassifier.Classify(new SslHandshakeException(MailKitHandshakeMessage, cause), side);

            Assert.Equal(code, failure.Code);
            Assert.True(failure.IsTransient, failure.Message);
            Assert.Contains("during the TLS handshake", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Classify_HandshakeFailureAtDestination_IsPermanentDestinationUnavailable()
    {
        var exception = new SslHandshakeException(MailKitHandshakeMessage, new TlsAuthenticationException(TlsToPlainPort));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Destination);

        Assert.Equal(ErrorCode.DestinationUnavailable, failure.Code);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public async Task Classify_SelfSignedCertificateWithDefaultValidation_IsSourceCertificateUntrusted()
    {
        // The same shape as observed against Dovecot's self-signed certificate, made here by a real handshake on
        // loopback, since SslHandshakeException.ServerCertificate has no public setter.
        var (exception, thumbprint) = await SelfSignedHandshakeFailureAsync();

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceCertificateUntrusted, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains(thumbprint, failure.Message, StringComparison.Ordinal);
        Assert.Contains("CN=localhost", failure.Message, StringComparison.Ordinal);
        Assert.Contains("self-signed", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\n", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Classify_UntrustedCertificateAtDestination_IsPermanentDestinationUnavailable()
    {
        var (exception, _) = await SelfSignedHandshakeFailureAsync();

        var failure = MailErrorClassifier.Classify(exception, MailSide.Destination);

        Assert.Equal(ErrorCode.DestinationUnavailable, failure.Code);
        Assert.False(failure.IsTransient);
    }

    private static async Task<(SslHandshakeException Exception, string Thumbprint)> SelfSignedHandshakeFailureAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost, O=MailImport classifier test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var certificate = X509CertificateLoader.LoadPkcs12(generated.Export(X509ContentType.Pfx), null);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var server = Task.Run(async () =>
            {
                using var connection = await listener.AcceptTcpClientAsync();
                using var tls = new SslStream(connection.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(certificate);
                }
                catch (Exception e) when (e is TlsAuthenticationException or IOException)
                {
                    // The client refuses the certificate: that is the point.
                }
            });

            using var client = new ImapClient { Timeout = 10_000 };
            var exception = await Assert.ThrowsAsync<SslHandshakeException>(
                () => client.ConnectAsync(IPAddress.Loopback.ToString(), port, SecureSocketOptions.SslOnConnect));
            await server;
            return (exception, certificate.GetCertHashString(HashAlgorithmName.SHA256));
        }
        finally
        {
            listener.Stop();
        }
    }
}
