using System.Diagnostics;
using System.Text;
using MailImport.Core;
using MailImport.Infrastructure.Settings;

namespace MailImport.Infrastructure.Provisioning;

/// <summary>A self-hosted Dovecot as the destination directory: mailboxes are lines in its passwd-file.</summary>
/// <remarks>
/// A line is <c>login:{PLAIN.B64}base64::::::</c>: base64 keeps ':' and any other character of a password safe in
/// the ':'-separated file (the same format as scripts/dovecot writes). The login is <c>username@domain</c>, lower-case,
/// as Dovecot compares it (auth_username_format=%Lu).
/// </remarks>
public sealed class DovecotDirectory(DovecotDirectoryOptions options) : IDestinationDirectory
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <inheritdoc/>
    /// <remarks>A Dovecot serves its domains side by side: each domain is an organisation of its own.</remarks>
    public string OrganisationOf(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return $"dovecot:{domain.ToLowerInvariant()}";
    }

    /// <inheritdoc/>
    public Task<bool> IsDomainConfirmedAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult(options.ConfirmedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase));

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DirectoryMailbox>> ListMailboxesAsync(string domain, CancellationToken cancellationToken)
    {
        var suffix = $"@{domain}".ToLowerInvariant();
        return (await ReadLoginsAsync(cancellationToken))
            .Where(l => l.EndsWith(suffix, StringComparison.Ordinal))
            .Select(l => new DirectoryMailbox(l[..^suffix.Length]))
            .ToList();
    }

    /// <inheritdoc/>
    /// <remarks>A passwd-file has no place for names or an external id; those are Yandex 360's.</remarks>
    public async Task<ProvisioningResult> CreateMailboxAsync(NewMailbox mailbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var (domain, username, password) = (mailbox.Domain, mailbox.Username, mailbox.Password);
        var login = Login(domain, username);
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if ((await ReadLoginsAsync(cancellationToken)).Contains(login))
            {
                return new ProvisioningResult(ProvisioningOutcome.AlreadyExists);
            }

            var line = $"{login}:{{PLAIN.B64}}{Convert.ToBase64String(Encoding.UTF8.GetBytes(password.Reveal()))}::::::\n";
            var previous = File.Exists(options.PasswdFile) ? File.GetLastWriteTimeUtc(options.PasswdFile) : DateTime.MinValue;
            // Appending keeps the file's owner, group and mode (Dovecot's auth process reads it through its group).
            await File.AppendAllTextAsync(options.PasswdFile, line, cancellationToken);
            // Dovecot notices a changed passwd-file by its mtime in whole seconds (and size): keep it strictly increasing.
            var now = DateTime.UtcNow;
            File.SetLastWriteTimeUtc(options.PasswdFile, now.AddSeconds(-1) >= previous ? now : previous.AddSeconds(1));
        }
        finally
        {
            Gate.Release();
        }

        await WaitUntilDovecotAcceptsAsync(login, password, cancellationToken);
        return new ProvisioningResult(ProvisioningOutcome.Created);
    }

    private static string Login(string domain, string username) => $"{username}@{domain}".ToLowerInvariant();

    private async Task<HashSet<string>> ReadLoginsAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(options.PasswdFile))
        {
            return [];
        }

        var lines = await File.ReadAllLinesAsync(options.PasswdFile, cancellationToken);
        return lines.Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal);
    }

    private async Task WaitUntilDovecotAcceptsAsync(string login, Secret password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.ConfigFile))
        {
            return;
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            var start = new ProcessStartInfo("doveadm") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-c", options.ConfigFile, "auth", "test", "-x", "service=imap", login })
            {
                start.ArgumentList.Add(argument);
            }

            // The password goes on stdin, never on the command line where a process listing would show it.
            using var process = Process.Start(start)!;
            await process.StandardInput.WriteLineAsync(password.Reveal());
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode == 0)
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new DirectoryUnavailableException($"Dovecot did not accept the new mailbox {login} within 10 seconds.");
    }
}
