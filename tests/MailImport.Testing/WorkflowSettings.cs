using System.Globalization;

namespace MailImport.Testing;

/// <summary>The settings a workflow host needs to run against the test servers: Azurite for storage and the local
/// secret store, a Dovecot destination as the directory and the IMAP endpoint, example.org as the confirmed domain.</summary>
public static class WorkflowSettings
{
    /// <summary>The domain the tests import into.</summary>
    public const string Domain = "example.org";

    /// <summary>Settings by their configuration keys; <paramref name="extra"/> adds or overrides.</summary>
    public static Dictionary<string, string?> For(DovecotServer destination, AzuriteServer azurite, params (string Key, string? Value)[] extra)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(azurite);
        var settings = new Dictionary<string, string?>
        {
            ["MailImport:StorageConnectionString"] = azurite.ConnectionString,
            ["MailImport:LocalSecretKey"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
            ["MailImport:Directory"] = "Dovecot",
            ["MailImport:Dovecot:PasswdFile"] = destination.PasswdFile,
            ["MailImport:Dovecot:ConfigFile"] = destination.ConfigFile,
            ["MailImport:Dovecot:ConfirmedDomains:0"] = Domain,
            ["MailImport:Destination:ImapHost"] = "127.0.0.1",
            ["MailImport:Destination:ImapPort"] = destination.ImapsPort.ToString(CultureInfo.InvariantCulture),
            ["MailImport:Destination:TrustedCertificateSha256"] = destination.CertificateSha256,
            // The test destinations are Dovecot with its default separator (scripts/dovecot --separator).
            ["MailImport:Destination:HierarchySeparator"] = ".",
            // The sources are Dovecot on loopback at test ports, which only the operator's allow-list re-opens.
            ["MailImport:SourceAccess:Allow:0"] = TestSourceAccess.Loopback,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }
}
