namespace MailImport.Infrastructure.Settings;

/// <summary>Settings of a self-hosted Dovecot destination (the local demo and the tests).</summary>
public sealed class DovecotDirectoryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Dovecot";

    /// <summary>The passwd-file Dovecot authenticates against.</summary>
    public string PasswdFile { get; set; } = "";

    /// <summary>The instance's dovecot.conf, for <c>doveadm auth test</c>; when empty, no wait for Dovecot to notice.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>Domains treated as confirmed (a self-hosted server has no confirmation of its own).</summary>
    public IList<string> ConfirmedDomains { get; } = [];
}
