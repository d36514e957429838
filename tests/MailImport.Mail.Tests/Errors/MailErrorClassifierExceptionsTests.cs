using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using LoginRefused = MailKit.Security.AuthenticationException;
using static MailImport.Mail.Tests.Errors.ProviderReplies;

namespace MailImport.Mail.Tests.Errors;

// The switch over MailKit's exception types (MailErrorClassifier.Exceptions.cs): refused logins, NO/BAD answers, BYEs,
// POP3 -ERR answers and protocol faults.
public class MailErrorClassifierExceptionsTests
{
    [Fact]
    public void Classify_GmailImapDisabledAlert_IsSourceProtocolDisabled()
    {
        var failure = MailErrorClassifier.Classify(new LoginRefused(GmailImapDisabled), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolDisabled, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("not enabled for IMAP use", failure.Message, StringComparison.Ordinal);
        Assert.Contains("source", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_GmailPopDisabled_IsSourceProtocolDisabled()
    {
        var failure = MailErrorClassifier.Classify(
            new Pop3CommandException("POP3 server did not respond with a +OK response to the PASS command.", GmailPopDisabled),
            MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolDisabled, failure.Code);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public void Classify_GmailAppPasswordAlert_IsSourceAppPasswordRequired()
    {
        var failure = MailErrorClassifier.Classify(new LoginRefused(GmailAppPasswordRequired), MailSide.Source);

        Assert.Equal(ErrorCode.SourceAppPasswordRequired, failure.Code);
        Assert.Contains("185833", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_GmailWebLoginAlert_IsSourceAppPasswordRequired()
    {
        // Decided: Google blocked the password sign-in; an app password is the fix that lasts for a server-side copy.
        var failure = MailErrorClassifier.Classify(new LoginRefused(GmailWebLogin), MailSide.Source);

        Assert.Equal(ErrorCode.SourceAppPasswordRequired, failure.Code);
        Assert.Contains("web browser", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GmailImapDisabled, ErrorCode.SourceProtocolDisabled)]
    [InlineData(GmailDomainImapDisabled, ErrorCode.SourceProtocolDisabled)]
    [InlineData(GmailAppPasswordRequired, ErrorCode.SourceAppPasswordRequired)]
    [InlineData(GmailWebLogin, ErrorCode.SourceAppPasswordRequired)]
    [InlineData("Web login required.", ErrorCode.SourceAppPasswordRequired)]
    [InlineData(GmailInvalidCredentials, ErrorCode.SourceAuthFailed)]
    [InlineData(GmailTooManyConnections, ErrorCode.SourceThrottled)]
    [InlineData(GmailBandwidthAlert, ErrorCode.SourceLimitReached)]
    [InlineData(OutlookLoginFailed, ErrorCode.SourceAuthFailed)]
    [InlineData("AUTHENTICATE failed.", ErrorCode.SourceAuthFailed)]
    [InlineData(OutlookNotConnected, ErrorCode.SourceProtocolDisabled)]
    [InlineData(YandexImapDisabled, ErrorCode.SourceProtocolDisabled)]
    [InlineData(YandexNoAccessRights, ErrorCode.SourceProtocolDisabled)]
    [InlineData(YandexAccountRestricted, ErrorCode.SourceAuthFailed)]
    [InlineData(MailRuImapDisabledRu, ErrorCode.SourceProtocolDisabled)]
    [InlineData(MailRuImapDisabledEn, ErrorCode.SourceProtocolDisabled)]
    [InlineData("Неверный логин или пароль", ErrorCode.SourceAuthFailed)]
    [InlineData("Для входа используйте пароль приложения", ErrorCode.SourceAppPasswordRequired)]
    [InlineData(DovecotAuthFailed, ErrorCode.SourceAuthFailed)]
    [InlineData(DovecotTemporaryAuthFailure, ErrorCode.SourceProtocolError)]
    [InlineData("The LOGIN command is disabled.", ErrorCode.SourceTlsFailed)]
    [InlineData("Plaintext authentication disallowed on non-secure (SSL/TLS) connections.", ErrorCode.SourceTlsFailed)]
    [InlineData("No credentials could be found for the IMAP server.", ErrorCode.SourceAuthFailed)]
    public void Classify_LoginRefusedWithProviderText_GetsTheTextsCode(string serverText, ErrorCode expected)
    {
        var failure = MailErrorClassifier.Classify(new LoginRefused(serverText), MailSide.Source);

        Assert.Equal(expected, failure.Code);
    }

    [Theory]
    [InlineData(GmailImapDisabled)]
    [InlineData(GmailAppPasswordRequired)]
    [InlineData(DovecotAuthFailed)]
    [InlineData(OutlookNotConnected)]
    public void Classify_LoginRefusedAtDestination_IsDestinationAuthFailed(string serverText)
    {
        var failure = MailErrorClassifier.Classify(new LoginRefused(serverText), MailSide.Destination);

        Assert.Equal(ErrorCode.DestinationAuthFailed, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("destination", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_DovecotWrongPassword_IsSourceAuthFailedWithoutPretendingToQuote()
    {
        // Observed for IMAP and POP3, plain, SSL and STARTTLS alike: MailKit.Security.AuthenticationException("Authentication failed.").
        var failure = MailErrorClassifier.Classify(new LoginRefused(DovecotAuthFailed), MailSide.Source);

        Assert.Equal(ErrorCode.SourceAuthFailed, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Null(failure.RetryAfter);
        Assert.DoesNotContain("Server said", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_MailKitDefaultLoginRefusal_IsSourceAuthFailed()
    {
        var failure = MailErrorClassifier.Classify(new LoginRefused(), MailSide.Source);

        Assert.Equal(ErrorCode.SourceAuthFailed, failure.Code);
    }

    [Fact]
    public void Classify_YandexAmbiguousRefusal_NamesBothCausesAndKeepsTheServersWords()
    {
        // The server's "LOGIN ..." prose must survive the scrubbing of client LOGIN command lines.
        var failure = MailErrorClassifier.Classify(new LoginRefused(YandexImapDisabled), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolDisabled, failure.Code);
        Assert.Contains("LOGIN invalid credentials or IMAP is disabled", failure.Message, StringComparison.Ordinal);
        Assert.Contains("or the password is wrong", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ByeAfterKick_IsTransientSourceProtocolError()
    {
        // Observed: NOOP after `doveadm kick` -> ImapProtocolException("Server shutting down.") over
        // ImapProtocolException("The IMAP server has unexpectedly disconnected.").
        var exception = new ImapProtocolException(DovecotShuttingDown,
            new ImapProtocolException("The IMAP server has unexpectedly disconnected."));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Contains(DovecotShuttingDown, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("The IMAP server has unexpectedly disconnected.")]
    [InlineData("Bye.")]
    public void Classify_ImapDisconnectMidCommand_IsTransient(string message)
    {
        var failure = MailErrorClassifier.Classify(new ImapProtocolException(message), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_ByeWithGmailConnectionLimit_IsSourceThrottled()
    {
        var exception = new ImapProtocolException(GmailTooManyConnections, new ImapProtocolException("Bye."));

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceThrottled, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_ImapClientOnPop3Port_IsPermanentSourceConnectFailed()
    {
        // Observed: ImapClient to Dovecot's POP3 port.
        var exception = new ImapProtocolException("Syntax error in IMAP server greeting. Unexpected atom token: +OK");

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceConnectFailed, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("port", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_Pop3ClientOnImapPort_IsPermanentSourceConnectFailed()
    {
        // Observed: Pop3Client to Dovecot's IMAP port.
        var exception = new Pop3ProtocolException(
            "Unexpected greeting from server: * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE APPENDLIMIT=204800 LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.");

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceConnectFailed, failure.Code);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public void Classify_Pop3Disconnect_IsTransient()
    {
        var failure = MailErrorClassifier.Classify(new Pop3ProtocolException("The POP3 server has unexpectedly disconnected."), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public void Classify_ClientAlreadyDisconnected_IsTransient()
    {
        // Observed: the next command after the BYE above -> ServiceNotConnectedException "The ImapClient is not connected.".
        var failure = MailErrorClassifier.Classify(new ServiceNotConnectedException("The ImapClient is not connected."), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Theory]
    [InlineData(DovecotPopShuttingDown, "NOOP", ErrorCode.SourceProtocolError, true)]
    [InlineData(GmailPopDisabled, "PASS", ErrorCode.SourceProtocolDisabled, false)]
    [InlineData(GmailPopWrongPassword, "PASS", ErrorCode.SourceAuthFailed, false)]
    [InlineData("[IN-USE] Unable to lock maildrop", "PASS", ErrorCode.SourceThrottled, true)]
    [InlineData("[LOGIN-DELAY] Minimum time between mail checks violated", "PASS", ErrorCode.SourceThrottled, true)]
    [InlineData("[SYS/PERM] Mailbox not available", "STAT", ErrorCode.SourceProtocolError, false)]
    [InlineData("There is no message 12", "RETR", ErrorCode.MessageUnreadable, true)]
    [InlineData("Something else", "UIDL", ErrorCode.SourceProtocolError, true)]
    public void Classify_Pop3ErrAnswer_UsesStatusTextThenCommand(string statusText, string command, ErrorCode expected, bool transient)
    {
        var exception = new Pop3CommandException($"POP3 server did not respond with a +OK response to the {command} command.", statusText);

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(expected, failure.Code);
        Assert.Equal(transient, failure.IsTransient);
    }

    [Fact]
    public void Classify_SelectOfDeletedFolder_IsSourceFolderUnavailable()
    {
        // Observed: EXAMINE of a folder deleted behind our back.
        var exception = ImapNo("EXAMINE", DovecotNoMailbox);

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceFolderUnavailable, failure.Code);
        Assert.False(failure.IsTransient);
        Assert.Contains("Mailbox doesn't exist: INBOX.Doomed", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secs", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT", GmailUnknownMailbox, ErrorCode.SourceFolderUnavailable)]
    [InlineData("SELECT", "Unexplained refusal", ErrorCode.SourceFolderUnavailable)]
    [InlineData("STATUS", "Unexplained refusal", ErrorCode.SourceFolderUnavailable)]
    [InlineData("FETCH", GmailFetchFailure, ErrorCode.MessageUnreadable)]
    [InlineData("FETCH", "Unexplained refusal", ErrorCode.MessageUnreadable)]
    [InlineData("LIST", "Unexplained refusal", ErrorCode.SourceProtocolError)]
    [InlineData("FETCH", GmailBandwidthLimit, ErrorCode.SourceLimitReached)]
    [InlineData("SELECT", GmailBandwidthLimit, ErrorCode.SourceLimitReached)]
    [InlineData("SELECT", "Temporary System Error", ErrorCode.SourceProtocolError)]
    [InlineData("FETCH", "Internal error occurred. Refer to server log for more information. [2024-03-01 10:00:00]", ErrorCode.SourceProtocolError)]
    public void Classify_ImapNoAtSource_UsesTextThenCommand(string command, string responseText, ErrorCode expected)
    {
        var failure = MailErrorClassifier.Classify(ImapNo(command, responseText), MailSide.Source);

        Assert.Equal(expected, failure.Code);
    }

    [Fact]
    public void Classify_UnknownNoAtSource_IsTransientSourceProtocolError()
    {
        var failure = MailErrorClassifier.Classify(ImapNo("LIST", "Unexplained refusal"), MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Contains("Unexplained refusal", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_BadAnswer_IsNotTransient()
    {
        var exception = new ImapCommandException(ImapCommandResponse.Bad, "Error in IMAP command LIST: Invalid arguments",
            "The IMAP server replied to the 'LIST' command with a 'BAD' response: Error in IMAP command LIST: Invalid arguments");

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceProtocolError, failure.Code);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public void Classify_OutlookNotConnectedAsBad_IsSourceProtocolDisabled()
    {
        var exception = new ImapCommandException(ImapCommandResponse.Bad, OutlookNotConnected,
            "The IMAP server replied to the 'NAMESPACE' command with a 'BAD' response: " + OutlookNotConnected);

        Assert.Equal(ErrorCode.SourceProtocolDisabled, MailErrorClassifier.Classify(exception, MailSide.Source).Code);
    }

    [Fact]
    public void Classify_FolderNotFound_IsSourceFolderUnavailableNamingTheFolder()
    {
        // Observed: GetFolderAsync/GetSubfolder of a missing folder -> FolderNotFoundException "The requested folder could not be found.".
        var failure = MailErrorClassifier.Classify(new FolderNotFoundException("Archive/2019"), MailSide.Source);

        Assert.Equal(ErrorCode.SourceFolderUnavailable, failure.Code);
        Assert.Contains("Archive/2019", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_MessageNotReturned_IsMessageUnreadable()
    {
        // Observed: GetStreamAsync of a UID that does not exist -> MessageNotFoundException.
        var failure = MailErrorClassifier.Classify(new MessageNotFoundException("The IMAP server did not return the requested stream."), MailSide.Source);

        Assert.Equal(ErrorCode.MessageUnreadable, failure.Code);
        Assert.True(MailErrorClassifier.IsPerMessage(failure.Code));
    }
}
