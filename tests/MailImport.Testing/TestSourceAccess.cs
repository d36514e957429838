using MailImport.Mail.Connections;

namespace MailImport.Testing;

/// <summary>The source allow-list of the tests: their Dovecot and fake servers listen on 127.0.0.1 at test ports, which
/// MailImport refuses by default; the tests re-open loopback the way an operator re-opens a self-hosted server.</summary>
public static class TestSourceAccess
{
    /// <summary>The allow-list entry, as a setting value.</summary>
    public const string Loopback = "127.0.0.1";

    /// <summary>A policy that allows loopback on any port.</summary>
    public static SourceAccessPolicy LoopbackPolicy { get; } = new(new SourceAccessOptions { Allow = [Loopback] });
}
