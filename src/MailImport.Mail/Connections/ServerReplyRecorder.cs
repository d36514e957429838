using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Connections;

/// <summary>Passes the protocol log through and remembers the last line the server sent before the login, so a refused
/// login can be classified by the server's own words.</summary>
/// <remarks>MailKit 4.18.2 throws a bare <c>AuthenticationException("Authentication failed.")</c> when a SASL
/// AUTHENTICATE is answered NO (unless the answer has an [ALERT]) and when a POP3 login gets -ERR: the text is lost, so
/// "NO [THROTTLED] ... try again in 2 seconds" or Dovecot's "NO [UNAVAILABLE] Temporary authentication failure" would
/// read as a wrong password, which is never retried; a greeting BYE loses its words the same way. Server lines never carry the client's password; recording stops
/// once the login succeeded, so message bodies are never looked at.</remarks>
internal sealed partial class ServerReplyRecorder(IProtocolLogger inner) : IProtocolLogger
{
    private const int MaxLine = 1024;
    private readonly StringBuilder current = new();
    private bool recording = true;

    /// <summary>The last complete line from the server while recording.</summary>
    public string? LastLine { get; private set; }

    /// <inheritdoc/>
    public IAuthenticationSecretDetector? AuthenticationSecretDetector
    {
        get => inner.AuthenticationSecretDetector;
        set => inner.AuthenticationSecretDetector = value!;
    }

    /// <summary>Stops recording (the login is done).</summary>
    public void Stop() => recording = false;

    /// <summary>The exception to classify: MailKit's textless login refusal gets the server's refusal as its message; a
    /// failure after the server said BYE gets the BYE's words. MailKit 4.18.2 reads a greeting
    /// "* BYE [UNAVAILABLE] Too many simultaneous connections." (a response code other than ALERT) as a good greeting
    /// and then fails on the closed connection, so without this the reason would be "disconnected".</summary>
    public Exception Explain(Exception exception) => exception switch
    {
        _ when Bye() is { } text => new ImapProtocolException(text, exception),
        MailKit.Security.AuthenticationException { Message: "Authentication failed." } when Refusal() is { } text =>
            new MailKit.Security.AuthenticationException(text, exception),
        _ => exception,
    };

    private string? Bye() =>
        LastLine is { } line && line.StartsWith("* BYE ", StringComparison.OrdinalIgnoreCase) && line[6..].Trim() is { Length: > 0 } text ? text : null;

    /// <summary>The text of the last line when it is a refusal: an IMAP tagged NO/BAD or a POP3 -ERR.</summary>
    private string? Refusal()
    {
        var match = LastLine is null ? null : RefusalLine().Match(LastLine);
        return match is { Success: true } && match.Groups["text"].Value.Trim() is { Length: > 0 } text ? text : null;
    }

    /// <inheritdoc/>
    public void LogConnect(Uri uri) => inner.LogConnect(uri);

    /// <inheritdoc/>
    public void LogClient(byte[] buffer, int offset, int count) => inner.LogClient(buffer, offset, count);

    /// <inheritdoc/>
    public void LogServer(byte[] buffer, int offset, int count)
    {
        inner.LogServer(buffer, offset, count);
        if (!recording)
        {
            return;
        }

        for (var i = offset; i < offset + count; i++)
        {
            var c = (char)buffer[i];
            if (c == '\n')
            {
                LastLine = current.ToString().TrimEnd('\r');
                current.Clear();
            }
            else if (current.Length < MaxLine)
            {
                current.Append(c);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();

    // "A00000001 NO [THROTTLED] Too many login attempts", "-ERR [SYS/TEMP] Server busy".
    [GeneratedRegex(@"^(?:[^\s*+]+ (?:NO|BAD)|-ERR)\b ?(?<text>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex RefusalLine();
}
