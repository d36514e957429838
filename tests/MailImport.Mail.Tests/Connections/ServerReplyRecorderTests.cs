using System.Text;
using MailImport.Core.Errors;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using LoginRefused = MailKit.Security.AuthenticationException;

namespace MailImport.Mail.Tests.Connections;

/// <summary>MailKit drops the server's words from a refused SASL or POP3 login; the recorder puts them back so a throttled
/// or temporarily failing login is retried instead of reported as a wrong password (found by the fault proxy, #7).</summary>
public class ServerReplyRecorderTests
{
    private static ServerReplyRecorder Recorded(params string[] lines)
    {
        var recorder = new ServerReplyRecorder(new NullProtocolLogger());
        foreach (var line in lines)
        {
            var bytes = Encoding.ASCII.GetBytes(line + "\r\n");
            // In two pieces, as a socket may deliver it.
            recorder.LogServer(bytes, 0, bytes.Length / 2);
            recorder.LogServer(bytes, bytes.Length / 2, bytes.Length - (bytes.Length / 2));
        }

        return recorder;
    }

    [Theory]
    [InlineData("A00000001 NO [THROTTLED] Too many login attempts, try again in 2 seconds", ErrorCode.SourceThrottled, true)]
    [InlineData("A00000001 NO [UNAVAILABLE] Temporary authentication failure. [mx1:2024-03-01 10:00:00]", ErrorCode.SourceProtocolError, true)]
    [InlineData("A00000001 NO [AUTHENTICATIONFAILED] Authentication failed.", ErrorCode.SourceAuthFailed, false)]
    [InlineData("-ERR [SYS/TEMP] Server busy, try again in 30 seconds", ErrorCode.SourceThrottled, true)]
    [InlineData("-ERR [AUTH] Authentication failed.", ErrorCode.SourceAuthFailed, false)]
    public void Explain_MailKitsTextlessLoginRefusal_IsClassifiedByTheServersWords(string refusal, ErrorCode code, bool transient)
    {
        var recorder = Recorded("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready.", refusal);

        var failure = MailErrorClassifier.Classify(recorder.Explain(new LoginRefused()), MailSide.Source);

        Assert.Equal(code, failure.Code);
        Assert.Equal(transient, failure.IsTransient);
    }

    [Fact]
    public void Explain_ThrottledWithADelay_CarriesTheHintedDelay()
    {
        var recorder = Recorded("A00000001 NO [THROTTLED] Too many login attempts, try again in 2 seconds");

        Assert.Equal(TimeSpan.FromSeconds(2), MailErrorClassifier.Classify(recorder.Explain(new LoginRefused()), MailSide.Source).RetryAfter);
    }

    [Theory]
    [InlineData("The IMAP server unexpectedly refused the connection.")]
    [InlineData("The IMAP server has unexpectedly disconnected.")]
    public void Explain_GreetingBye_IsClassifiedByItsWords(string mailKitMessage)
    {
        var recorder = Recorded("* BYE [UNAVAILABLE] Too many simultaneous connections. Try again in 60 seconds.");

        var failure = MailErrorClassifier.Classify(recorder.Explain(new ImapProtocolException(mailKitMessage)), MailSide.Source);

        Assert.Equal(ErrorCode.SourceThrottled, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(60), failure.RetryAfter);
    }

    [Fact]
    public void Explain_LastLineNotARefusalOrOtherException_LeavesTheExceptionAlone()
    {
        var refused = new LoginRefused();
        var other = new IOException("cut");

        Assert.Same(refused, Recorded("* OK ready.").Explain(refused));
        Assert.Same(other, Recorded("A1 NO [THROTTLED] slow down").Explain(other));
    }

    [Fact]
    public void LogServer_AfterStop_RecordsNothingMore()
    {
        var recorder = Recorded("A1 NO [THROTTLED] slow down");
        recorder.Stop();
        var bytes = Encoding.ASCII.GetBytes("* 1 FETCH (BODY[] {5}\r\nA2 NO x\r\n");
        recorder.LogServer(bytes, 0, bytes.Length);

        Assert.Equal("A1 NO [THROTTLED] slow down", recorder.LastLine);
    }
}
