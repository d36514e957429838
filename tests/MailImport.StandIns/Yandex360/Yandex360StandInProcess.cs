using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MailImport.Core;

namespace MailImport.StandIns.Yandex360;

/// <summary>The Yandex 360 stand-in as a process (scripts/yandex360-standin): one organisation from the command line,
/// its secrets from files, one stdout line when it listens and one per request it answered, until SIGTERM or SIGINT.</summary>
/// <remarks>Secrets come from files only, as a command line is readable by every user through <c>ps</c>
/// (https://man7.org/linux/man-pages/man5/proc.5.html). A request line has the method, path, query and status, and
/// no header or body: the tokens travel in those.</remarks>
public static partial class Yandex360StandInProcess
{
    /// <summary>The command line it takes.</summary>
    public const string Usage = "usage: MailImport.StandIns yandex360 --port P --org ID --domain D [--domain D ...] [--unconfirmed-domain D ...] "
        + "--admin-token-file F [--service-app-client-id ID --service-app-secret-file F] [--mail-store-passwd FILE --mail-store-config FILE]";

    /// <summary>What starts each request line, so a reader can tell them from the rest of the output.</summary>
    public const string RequestLinePrefix = "answered ";

    /// <summary>Runs the stand-in until the process is asked to stop; returns the exit status (64: bad arguments, 66: a
    /// secret file that cannot be read or is empty).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        StandInOptions options;
        try
        {
            options = StandInOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await output.WriteLineAsync($"{e.Message}\n{Usage}");
            return 64;
        }

        string adminToken;
        Secret? serviceApplicationSecret;
        try
        {
            adminToken = ReadSecretFile(options.AdminTokenFile);
            serviceApplicationSecret = options.ServiceApplicationSecretFile is { } file ? new Secret(ReadSecretFile(file)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await output.WriteLineAsync(e.Message);
            return 66;
        }

        await using var standIn = new Yandex360StandIn(options.OrgId, adminToken);
        foreach (var (domain, verified) in options.Domains)
        {
            standIn.WithDomain(domain, verified);
        }

        if (options.ServiceApplicationClientId is { } clientId)
        {
            standIn.WithServiceApplication(clientId, serviceApplicationSecret!, Yandex360StandIn.ImapFullScope);
        }

        if (options.MailStorePasswd is { } passwd)
        {
            standIn.WithMailStore(passwd, options.MailStoreConfig!);
        }

        var lines = TextWriter.Synchronized(output);
        standIn.Answered = request => lines.WriteLine(RequestLine(request));
        var stop = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        await standIn.StartAsync(options.Port);
        await lines.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"listening on {standIn.BaseUrl} for org {options.OrgId}: directory {standIn.DirectoryUrl}, token {standIn.TokenUrl}, domains {string.Join(", ", options.Domains.Select(d => d.Verified ? d.Name : d.Name + " (unconfirmed)"))}"));
        await lines.FlushAsync();
        await stop.Task;
        return 0;

        void Stop(PosixSignalContext context)
        {
            // Stop here, disposing the stand-in, rather than by the runtime's default termination.
            context.Cancel = true;
            stop.TrySetResult();
        }
    }

    /// <summary>"answered GET /path?query 200", with the value of any query parameter whose name says it carries a
    /// credential replaced by <see cref="Secret.Mask"/>.</summary>
    public static string RequestLine(AnsweredRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = CredentialParameter().Replace(request.Query, m => m.Groups["name"].Value + "=" + Secret.Mask);
        return string.Create(CultureInfo.InvariantCulture, $"{RequestLinePrefix}{request.Method} {request.Path}{query} {request.Status}");
    }

    /// <summary>The first line of a file, which holds one secret.</summary>
    private static string ReadSecretFile(string path)
    {
        var value = File.ReadLines(path).FirstOrDefault();
        return string.IsNullOrEmpty(value) ? throw new IOException($"{path} is empty: its first line is the secret") : value;
    }

    [GeneratedRegex(@"(?<=[?&])(?<name>[^=&]*(?:token|secret|password|key|code)[^=&]*)=[^&]*", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialParameter();

    private sealed record StandInOptions(
        int Port,
        long OrgId,
        IReadOnlyList<(string Name, bool Verified)> Domains,
        string AdminTokenFile,
        string? ServiceApplicationClientId,
        string? ServiceApplicationSecretFile,
        string? MailStorePasswd,
        string? MailStoreConfig)
    {
        public static StandInOptions Parse(string[] args)
        {
            int? port = null;
            long? org = null;
            var domains = new List<(string, bool)>();
            string? tokenFile = null, clientId = null, secretFile = null, passwd = null, config = null;
            for (var i = 0; i < args.Length; i += 2)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--port":
                        port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p : throw new ArgumentException($"--port: not a port: {value}");
                        break;
                    case "--org":
                        org = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var o) && o > 0 ? o : throw new ArgumentException($"--org: not an organisation id: {value}");
                        break;
                    case "--domain":
                        domains.Add((value, true));
                        break;
                    case "--unconfirmed-domain":
                        domains.Add((value, false));
                        break;
                    case "--admin-token-file":
                        tokenFile = value;
                        break;
                    case "--service-app-client-id":
                        clientId = value;
                        break;
                    case "--service-app-secret-file":
                        secretFile = value;
                        break;
                    case "--mail-store-passwd":
                        passwd = value;
                        break;
                    case "--mail-store-config":
                        config = value;
                        break;
                    default:
                        throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            if (port is null || org is null || tokenFile is null || domains.Count == 0)
            {
                throw new ArgumentException("--port, --org, --domain and --admin-token-file are required");
            }

            if ((clientId is null) != (secretFile is null) || (passwd is null) != (config is null))
            {
                throw new ArgumentException("--service-app-client-id goes with --service-app-secret-file, --mail-store-passwd with --mail-store-config");
            }

            return new StandInOptions(port.Value, org.Value, domains, tokenFile, clientId, secretFile, passwd, config);
        }
    }
}
