using System.Net.Sockets;
using System.Text;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using LoginRefused = MailKit.Security.AuthenticationException;
using static MailImport.Mail.Tests.Errors.ProviderReplies;

namespace MailImport.Mail.Tests.Errors;

// What reaches a message (MailErrorClassifier.Text.cs): server texts cleaned, credentials masked, the retry hint read.
public class MailErrorClassifierTextTests
{
    // The canary: put only where no server text goes. It must never reach a message.
    private const string Canary = "S3cr3t-CANARY-Pa55";

    [Fact]
    public void Classify_FolderNameWithBraces_DoesNotBreakTheMessage()
    {
        var failure = MailErrorClassifier.Classify(new FolderNotFoundException("Projects {0} {x}"), MailSide.Source);

        Assert.Contains("Projects {0} {x}", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OutlookThrottled, 299_961, ErrorCode.SourceLimitReached)]
    [InlineData(GmailBackoff, 12_345, ErrorCode.SourceLimitReached)]
    [InlineData("Too many connections, retry after 30 seconds", 30_000, ErrorCode.SourceThrottled)]
    [InlineData("Server busy, try again in 5 minutes", 300_000, ErrorCode.SourceThrottled)]
    [InlineData("Rate limit hit. Retry-After: 60", 60_000, ErrorCode.SourceThrottled)]
    public void Classify_ThrottleWithDelay_CarriesTheDelay(string responseText, int milliseconds, ErrorCode expected)
    {
        var failure = MailErrorClassifier.Classify(ImapNo("FETCH", responseText), MailSide.Source);

        Assert.Equal(expected, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), failure.RetryAfter);
    }

    [Fact]
    public void Classify_OutlookThrottleAsBad_IsStillTransient()
    {
        // Exchange sends its throttle as BAD too; the words prove it transient although BAD is not.
        var exception = new ImapCommandException(ImapCommandResponse.Bad, OutlookThrottled,
            "The IMAP server replied to the 'FETCH' command with a 'BAD' response: " + OutlookThrottled);

        var failure = MailErrorClassifier.Classify(exception, MailSide.Source);

        Assert.Equal(ErrorCode.SourceLimitReached, failure.Code);
        Assert.True(failure.IsTransient);
        Assert.Equal(TimeSpan.FromMilliseconds(299_961), failure.RetryAfter);
    }

    [Fact]
    public void Classify_ThrottleWithoutDelay_HasNoRetryAfter()
    {
        var failure = MailErrorClassifier.Classify(ImapNo("FETCH", GmailBandwidthLimit), MailSide.Source);

        Assert.Equal(ErrorCode.SourceLimitReached, failure.Code);
        Assert.Null(failure.RetryAfter);
    }

    [Fact]
    public void Classify_AbsurdBackoff_IsCappedAtOneDay()
    {
        var failure = MailErrorClassifier.Classify(ImapNo("FETCH", "Suggested Backoff Time: 999999999999999 milliseconds"), MailSide.Source);

        Assert.Equal(TimeSpan.FromDays(1), failure.RetryAfter);
    }

    [Fact]
    public void Classify_ThrottleAtDestination_IsDestinationThrottled()
    {
        var failure = MailErrorClassifier.Classify(ImapNo("LIST", OutlookThrottled), MailSide.Destination);

        Assert.Equal(ErrorCode.DestinationThrottled, failure.Code);
        Assert.Equal(TimeSpan.FromMilliseconds(299_961), failure.RetryAfter);
    }

    [Fact]
    public void Classify_CanaryOutsideServerText_NeverReachesTheMessage()
    {
        // The canary sits in Exception.Data, in inner exceptions of unknown wrappers and in client command lines:
        // places where a password could be, never server text.
        var withData = new Exception[]
        {
            new LoginRefused(DovecotAuthFailed),
            ImapNo("SELECT", DovecotNoMailbox),
            new Pop3CommandException("POP3 server did not respond with a +OK response to the PASS command.", GmailPopWrongPassword),
            new ImapProtocolException(DovecotShuttingDown),
            new SocketException((int)SocketError.ConnectionRefused),
            new IOException("Broken pipe", new SocketException((int)SocketError.Shutdown)),
            new TimeoutException(),
            new InvalidOperationException("Unexpected state"),
        };
        foreach (var exception in withData)
        {
            exception.Data["password"] = Canary;
            exception.Data["command"] = $"A00000002 LOGIN probe@example.org {Canary}";
        }

        var plainPlain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0probe@example.org\0{Canary}"));
        var withCommands = new Exception[]
        {
            new InvalidOperationException($"Command failed: A00000002 LOGIN probe@example.org {Canary}"),
            new InvalidOperationException($"C: A00000001 AUTHENTICATE PLAIN {plainPlain}"),
            new InvalidOperationException($"C: PASS {Canary}"),
            new InvalidOperationException($"Sent: AUTH PLAIN {plainPlain}"),
            new InvalidOperationException("Wrapper", new FormatException($"Bad input {Canary}")),
            new IOException($"Write failed after 'a1 LOGIN \"probe@example.org\" \"{Canary}\"'"),
            new ImapCommandException(ImapCommandResponse.No, DovecotAuthFailed,
                $"The IMAP server replied to the 'A1 LOGIN probe@example.org {Canary}' command with a 'NO' response: {DovecotAuthFailed}"),
        };

        foreach (var exception in withData.Concat(withCommands))
        {
            foreach (var side in new[] { MailSide.Source, MailSide.Destination })
            {
                var failure = MailErrorClassifier.Classify(exception, side);

                Assert.DoesNotContain(Canary, failure.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(plainPlain, failure.Message, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(Canary, MailErrorClassifier.ClassifyAppendFailure(exception).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Classify_ClientLoginLineInAMessage_IsMasked()
    {
        var failure = MailErrorClassifier.Classify(
            new InvalidOperationException($"Command failed: A00000002 LOGIN probe@example.org {Canary}"), MailSide.Source);

        Assert.Contains("A00000002 LOGIN ***", failure.Message, StringComparison.Ordinal);
    }
}
