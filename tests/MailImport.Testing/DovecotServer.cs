using System.Diagnostics;
using System.Text;
using MailImport.Core;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;

namespace MailImport.Testing;

/// <summary>One self-contained Dovecot instance started by <c>scripts/dovecot</c> on 127.0.0.1.</summary>
public sealed class DovecotServer
{
    private DovecotServer(string name, int imap, int imaps, int pop3, int pop3s)
    {
        Name = name;
        ImapPort = imap;
        ImapsPort = imaps;
        Pop3Port = pop3;
        Pop3sPort = pop3s;
    }

    public string Name { get; }

    public int ImapPort { get; }

    public int ImapsPort { get; }

    public int Pop3Port { get; }

    public int Pop3sPort { get; }

    /// <summary>The SHA-256 fingerprint of the instance's self-signed certificate.</summary>
    public string CertificateSha256 { get; private set; } = "";

    /// <summary>The passwd-file the instance authenticates against.</summary>
    public string PasswdFile { get; private set; } = "";

    /// <summary>The instance's dovecot.conf.</summary>
    public string ConfigFile { get; private set; } = "";

    /// <summary>The instance's log/dovecot.log, for failure messages.</summary>
    public string LogFile { get; private set; } = "";

    /// <summary>The URL tokens are posted to when the instance accepts XOAUTH2/OAUTHBEARER
    /// (<c>--oauth2-introspection</c>), else null.</summary>
    public string? OAuth2Introspection { get; private set; }

    /// <summary>Starts (or finds running) an instance; ports are base+143, +993, +110, +995.</summary>
    public static DovecotServer Start(string name, int portBase, params string[] extra)
    {
        portBase = TestPorts.Shift(portBase);
        var server = new DovecotServer(name, portBase + 143, portBase + 993, portBase + 110, portBase + 995);
        Run("start", [name, "--imap", $"{server.ImapPort}", "--imaps", $"{server.ImapsPort}", "--pop3", $"{server.Pop3Port}", "--pop3s", $"{server.Pop3sPort}", .. extra]);
        var env = Run("env", [name]).Split('\n')
            .Select(l => l.Trim().Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim('\'', '"'), StringComparer.Ordinal);
        server.CertificateSha256 = env["DOVECOT_CERT_SHA256"].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
        server.PasswdFile = env["DOVECOT_PASSWD_FILE"];
        server.ConfigFile = env["DOVECOT_CONF"];
        server.LogFile = env["DOVECOT_LOG"];
        server.OAuth2Introspection = env["DOVECOT_OAUTH2_INTROSPECTION"] is { Length: > 0 } url ? url : null;
        return server;
    }

    /// <summary>Installs Dovecot from Debian when it is missing.</summary>
    public static void Install() => Run("install", []);

    /// <summary>Adds a user with the given password and waits until Dovecot accepts it.</summary>
    public MailAccount AddUser(string login, string password)
    {
        Run("add-user", [Name, login, "--password-stdin"], password + "\n");
        return new MailAccount(login, new Secret(password));
    }

    /// <summary>Delivers raw bytes as one message with doveadm save, past IMAP's rules: NULs, bare CR or LF, zero
    /// bytes, any size of header.</summary>
    public void Save(MailAccount account, byte[] raw, string folder = "INBOX") =>
        ScriptRunner.Run("dovecot", "doveadm", [Name, "save", "-u", account.Login, "-m", folder], raw);

    /// <summary>Adds a user with a fresh unique login.</summary>
    public MailAccount AddUniqueUser(string prefix = "u", string password = "Secret12")
    {
        return AddUser($"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, 30)], password);
    }

    /// <summary>IMAP over TLS on connect, trusting the instance's self-signed certificate by fingerprint.</summary>
    public ServerEndpoint Imaps => new("127.0.0.1", ImapsPort, TransportSecurity.SslOnConnect, CertificateSha256);

    /// <summary>Plain IMAP, for the tests that need no TLS.</summary>
    public ServerEndpoint Imap => new("127.0.0.1", ImapPort, TransportSecurity.None);

    /// <summary>This instance as an IMAP source server.</summary>
    public SourceServer ImapSource => new(MailProtocol.Imap, "127.0.0.1", ImapsPort, TransportSecurity.SslOnConnect, SourceProvider.Custom, CertificateSha256);

    /// <summary>This instance as a POP3 source server.</summary>
    public SourceServer Pop3Source => new(MailProtocol.Pop3, "127.0.0.1", Pop3sPort, TransportSecurity.SslOnConnect, SourceProvider.Custom, CertificateSha256);

    /// <summary>Runs doveadm against this instance.</summary>
    public string Doveadm(params string[] arguments) => Run("doveadm", [Name, .. arguments]);

    private static string Run(string command, string[] arguments, string? input = null) => ScriptRunner.Run("dovecot", command, arguments, input);
}

/// <summary>Runs one of the project's scripts and returns what it printed; a failure throws with its output.</summary>
public static class ScriptRunner
{
    public static string Run(string script, string command, string[] arguments, string? input = null) =>
        Run(script, command, arguments, input is null ? null : Encoding.UTF8.GetBytes(input));

    /// <summary>Runs a script with bytes on its standard input, exactly as given (NULs, bare CRs, no encoding).</summary>
    public static string Run(string script, string command, string[] arguments, byte[]? input)
    {
        var start = new ProcessStartInfo(RepositoryPaths.Script(script))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(command);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.BaseStream.Write(input);
            process.StandardInput.Close();
        }

        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/{script} {command} did not finish in 5 minutes.");
        }

        output.Append(stdout.Result);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/{script} {command} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        return output.ToString();
    }
}

/// <summary>The Dovecot instances every mail test shares: a source, a destination, and a destination with a
/// small size limit and quota. Started once per test run by the project's own script.</summary>
public sealed class DovecotFixture
{
    public DovecotFixture()
    {
        DovecotServer.Install();
        Source = DovecotServer.Start("mi-test-source", 21000);
        Destination = DovecotServer.Start("mi-test-dest", 22000);
        Limited = DovecotServer.Start("mi-test-limited", 23000, "--max-message-kb", "1024", "--quota-mb", "6");
    }

    public DovecotServer Source { get; }

    public DovecotServer Destination { get; }

    /// <summary>APPENDLIMIT 1 MB and a 6 MB quota.</summary>
    public DovecotServer Limited { get; }
}
