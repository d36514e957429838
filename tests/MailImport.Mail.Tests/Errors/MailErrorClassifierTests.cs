using System.Net.Sockets;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using LoginRefused = MailKit.Security.AuthenticationException;
using TlsAuthenticationException = System.Security.Authentication.AuthenticationException;
using static MailImport.Mail.Tests.Errors.ProviderReplies;

namespace MailImport.Mail.Tests.Errors;

// The entry points (MailErrorClassifier.cs): APPEND failures, per-message codes, wrappers, and every shape the other
// test classes use, checked against the catalogue.
public class MailErrorClassifierTests
{
    [Theory]
    [InlineData(DovecotTooBig, ErrorCode.MessageTooBig, true)]
    [InlineData("Message too large", ErrorCode.MessageTooBig, true)]
    [InlineData("message size exceeds fixed maximum message size", ErrorCode.MessageTooBig, true)]
    [InlineData("[TOOBIG] Message too large", ErrorCode.MessageTooBig, true)]
    [InlineData(DovecotOverQuota, ErrorCode.DestinationOverQuota, false)]
    [InlineData("Quota exceeded", ErrorCode.DestinationOverQuota, false)]
    [InlineData("Mailbox is over quota", ErrorCode.DestinationOverQuota, false)]
    [InlineData(OutlookThrottled, ErrorCode.DestinationThrottled, false)]
    [InlineData("Temporary failure, try again later", ErrorCode.DestinationUnavailable, false)]
    [InlineData("Mailbox doesn't exist: Sent", ErrorCode.DestinationUnavailable, false)]
    [InlineData("Message contains a virus", ErrorCode.MessageRejected, true)]
    [InlineData("Invalid message: bare NUL", ErrorCode.MessageRejected, true)]
    public void ClassifyAppendFailure_NoAnswer_TellsMessageFromMailbox(string responseText, ErrorCode expected, bool perMessage)
    {
        var failure = MailErrorClassifier.ClassifyAppendFailure(ImapNo("APPEND", responseText));

        Assert.Equal(expected, failure.Code);
        Assert.Equal(perMessage, MailErrorClassifier.IsPerMessage(failure.Code));
    }

    [Fact]
    public void ClassifyAppendFailure_DovecotMessageTooBig_IsPerMessageWithTheServersWords()
    {
        // Observed: APPEND of 300 KB to an instance with --max-message-kb 200 (APPENDLIMIT=204800; MailKit sends it anyway).
        var failure = MailErrorClassifier.ClassifyAppendFailure(ImapNo("APPEND", DovecotTooBig));

        Assert.Equal(ErrorCode.MessageTooBig, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("larger than the maximum size", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassifyAppendFailure_DovecotQuota_IsMailboxLevel()
    {
        // Observed: the eighth 150 KB APPEND into a 1 MB quota.
        var failure = MailErrorClassifier.ClassifyAppendFailure(ImapNo("APPEND", DovecotOverQuota));

        Assert.Equal(ErrorCode.DestinationOverQuota, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.False(MailErrorClassifier.IsPerMessage(failure.Code));
    }

    [Fact]
    public void ClassifyAppendFailure_ThrottleCarriesItsDelay()
    {
        var failure = MailErrorClassifier.ClassifyAppendFailure(ImapNo("APPEND", OutlookThrottled));

        Assert.Equal(ErrorCode.DestinationThrottled, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Equal(TimeSpan.FromMilliseconds(299_961), failure.RetryAfter);
    }

    [Fact]
    public void ClassifyAppendFailure_BadAnswer_RefusesTheMessageOnly()
    {
        var exception = new ImapCommandException(ImapCommandResponse.Bad, "Invalid Arguments: Unable to parse message",
            "The IMAP server replied to the 'APPEND' command with a 'BAD' response: Invalid Arguments: Unable to parse message");

        var failure = MailErrorClassifier.ClassifyAppendFailure(exception);

        Assert.Equal(ErrorCode.MessageRejected, failure.Code);
        Assert.True(MailErrorClassifier.IsPerMessage(failure.Code));
    }

    [Fact]
    public void ClassifyAppendFailure_FolderDeletedMeanwhile_IsMailboxLevel()
    {
        // Observed: APPEND to a folder deleted after it was opened -> MailKit's FolderNotFoundException ([TRYCREATE]).
        var failure = MailErrorClassifier.ClassifyAppendFailure(new FolderNotFoundException("INBOX.Doomed"));

        Assert.Equal(ErrorCode.DestinationUnavailable, failure.Code);
        Assert.False(MailErrorClassifier.IsPerMessage(failure.Code));
    }

    [Fact]
    public void ClassifyAppendFailure_ConnectionFault_IsTransientDestinationUnavailable()
    {
        var reset = MailErrorClassifier.ClassifyAppendFailure(
            new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)));
        var bye = MailErrorClassifier.ClassifyAppendFailure(new ImapProtocolException("The IMAP server has unexpectedly disconnected."));

        Assert.Equal(ErrorCode.DestinationUnavailable, reset.Code);
        Assert.True(reset.IsTransient);
        Assert.Equal(ErrorCode.DestinationUnavailable, bye.Code);
        Assert.True(bye.IsTransient);
        Assert.False(MailErrorClassifier.IsPerMessage(reset.Code));
    }

    [Theory]
    [InlineData(DovecotTooBig)]
    [InlineData(DovecotOverQuota)]
    [InlineData("Message contains a virus")]
    public void Classify_AppendAnswerAtDestination_AgreesWithClassifyAppendFailure(string responseText)
    {
        var exception = ImapNo("APPEND", responseText);

        Assert.Equal(MailErrorClassifier.ClassifyAppendFailure(exception), MailErrorClassifier.Classify(exception, MailSide.Destination));
    }

    [Fact]
    public void IsPerMessage_OnlyMessageCodesOfOneMessage()
    {
        var perMessage = Enum.GetValues<ErrorCode>().Where(MailErrorClassifier.IsPerMessage).Order();

        Assert.Equal([ErrorCode.MessageTooBig, ErrorCode.MessageRejected, ErrorCode.MessageUnreadable], perMessage);
    }

    [Fact]
    public void Classify_AlreadyClassified_IsReturnedAsIs()
    {
        var failure = new MailFailure(ErrorCode.SourceThrottled, "Slow down.", true, TimeSpan.FromSeconds(3));

        Assert.Same(failure, MailErrorClassifier.Classify(new MailFailureException(failure), MailSide.Destination));
    }

    [Fact]
    public void Classify_AggregateException_ClassifiesTheFirstFault()
    {
        var exception = new AggregateException(new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal(ErrorCode.SourceConnectFailed, MailErrorClassifier.Classify(exception, MailSide.Source).Code);
    }

    [Fact]
    public void Classify_UnknownWrapperAroundKnownFault_ClassifiesTheFault()
    {
        var exception = new InvalidOperationException("Copy step failed.", new IOException("Broken pipe", new SocketException((int)SocketError.Shutdown)));

        Assert.Equal(ErrorCode.SourceProtocolError, MailErrorClassifier.Classify(exception, MailSide.Source).Code);
    }

    [Fact]
    public void Classify_UnknownException_IsTransientInternalError()
    {
        var failure = MailErrorClassifier.Classify(new InvalidOperationException("Sequence contains no elements"), MailSide.Source);

        Assert.Equal(ErrorCode.InternalError, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Contains("InvalidOperationException", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_NullException_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => MailErrorClassifier.Classify(null!, MailSide.Source));
        Assert.Throws<ArgumentNullException>(() => MailErrorClassifier.ClassifyAppendFailure(null!));
    }

    [Fact]
    public void ReturnableCodes_AreAllInTheCatalogue()
    {
        foreach (var code in MailErrorClassifier.ReturnableCodes)
        {
            Assert.Equal(code, ErrorCatalog.Get(code).Code);
        }

        Assert.Contains(ErrorCode.InternalError, MailErrorClassifier.ReturnableCodes);
    }

    [Fact]
    public void Classify_EveryShapeInTheseTests_ReturnsACataloguedCodeWithATransienceFlagThatFits()
    {
        foreach (var exception in AllShapes())
        {
            foreach (var side in new[] { MailSide.Source, MailSide.Destination })
            {
                var failure = MailErrorClassifier.Classify(exception, side);

                Assert.Contains(failure.Code, MailErrorClassifier.ReturnableCodes);
                Assert.Equal(failure.Code, ErrorCatalog.Get(failure.Code).Code);
                Assert.False(string.IsNullOrWhiteSpace(failure.Message));
                // A code of the other side would send the admin to the wrong server.
                Assert.NotEqual(side == MailSide.Source ? ErrorCategory.Destination : ErrorCategory.Source,
                    ErrorCatalog.Get(failure.Code).Category);
            }

            Assert.Contains(MailErrorClassifier.ClassifyAppendFailure(exception).Code, MailErrorClassifier.ReturnableCodes);
        }
    }

    private static IEnumerable<Exception> AllShapes()
    {
        string[] texts =
        [
            GmailImapDisabled, GmailDomainImapDisabled, GmailAppPasswordRequired, GmailWebLogin, GmailInvalidCredentials,
            GmailPopDisabled, GmailPopWrongPassword, GmailTooManyConnections, GmailBandwidthLimit, GmailBackoff,
            GmailUnknownMailbox, GmailFetchFailure, OutlookThrottled, OutlookNotConnected, OutlookLoginFailed,
            YandexImapDisabled, YandexNoAccessRights, YandexAccountRestricted, MailRuImapDisabledRu, MailRuImapDisabledEn,
            DovecotAuthFailed, DovecotTooBig, DovecotOverQuota, DovecotNoMailbox, DovecotShuttingDown, DovecotPopShuttingDown,
            DovecotTemporaryAuthFailure, "[CLIENTBUG] x", "[CORRUPTION] x", "[LIMIT] x", "[PARSE] x", "Unexplained refusal",
        ];
        foreach (var text in texts)
        {
            yield return new LoginRefused(text);
            yield return ImapNo("SELECT", text);
            yield return ImapNo("FETCH", text);
            yield return ImapNo("APPEND", text);
            yield return new ImapCommandException(ImapCommandResponse.Bad, text, "The IMAP server replied to the 'LIST' command with a 'BAD' response: " + text);
            yield return new ImapProtocolException(text, new ImapProtocolException("Bye."));
            yield return new Pop3CommandException("POP3 server did not respond with a +OK response to the RETR command.", text);
            yield return new Pop3ProtocolException(text);
        }

        foreach (var error in Enum.GetValues<SocketError>())
        {
            yield return new SocketException((int)error);
        }

        yield return new IOException("Broken pipe", new SocketException((int)SocketError.Shutdown));
        yield return new IOException("Failed to resolve host: x.invalid");
        yield return new TimeoutException();
        yield return new OperationCanceledException();
        yield return new SslHandshakeException(MailKitHandshakeMessage, new TlsAuthenticationException(TlsToPlainPort));
        yield return new TlsAuthenticationException(TlsToPlainPort);
        yield return new ServiceNotConnectedException();
        yield return new ServiceNotAuthenticatedException();
        yield return new FolderNotFoundException("x");
        yield return new MessageNotFoundException("x");
        yield return new ImapProtocolException("Syntax error in IMAP server greeting. Unexpected atom token: +OK");
        yield return new Pop3ProtocolException("Unexpected greeting from server: * OK");
        yield return new InvalidOperationException("x");
    }
}
