using MailImport.Core.Errors;
using MailImport.Core.Sources;

namespace MailImport.Core.Tests.Sources;

public class SourceServerSettingsTests
{
    [Theory]
    [InlineData("gmail", "imap", "imap.gmail.com", 993, SourceProvider.Gmail)]
    [InlineData("gmail", "pop3", "pop.gmail.com", 995, SourceProvider.Gmail)]
    [InlineData("mailru", "imap", "imap.mail.ru", 993, SourceProvider.MailRu)]
    [InlineData("MailRu", "pop3", "pop.mail.ru", 995, SourceProvider.MailRu)]
    [InlineData("yandex", null, "imap.yandex.ru", 993, SourceProvider.Yandex)]
    [InlineData("yandex", "pop", "pop.yandex.ru", 995, SourceProvider.Yandex)]
    [InlineData("outlook", "imap", "outlook.office365.com", 993, SourceProvider.Outlook)]
    [InlineData("outlook", "pop3", "outlook.office365.com", 995, SourceProvider.Outlook)]
    public void Resolve_Preset_FillsEverythingIn(string preset, string? protocol, string host, int port, SourceProvider provider)
    {
        var server = Resolve(new(Preset: preset, Protocol: protocol));

        Assert.Equal(host, server.Host);
        Assert.Equal(port, server.Port);
        Assert.Equal(TransportSecurity.SslOnConnect, server.Security);
        Assert.Equal(provider, server.Provider);
        Assert.Null(server.TrustedCertificateSha256);
    }

    [Theory]
    [InlineData("imap", null, null, 993, TransportSecurity.SslOnConnect)]
    [InlineData("imap", 143, null, 143, TransportSecurity.StartTls)]
    [InlineData("pop3", 110, null, 110, TransportSecurity.StartTls)]
    [InlineData("pop3", null, "starttls", 110, TransportSecurity.StartTls)]
    [InlineData("imap", null, "none", 143, TransportSecurity.None)]
    [InlineData("imap", 10143, "ssl", 10143, TransportSecurity.SslOnConnect)]
    [InlineData("imap", 10143, null, 10143, TransportSecurity.SslOnConnect)]
    public void Resolve_Custom_DefaultsPortAndSecurity_PlaintextOnlyWhenAsked(string protocol, int? port, string? security, int expectedPort, TransportSecurity expectedSecurity)
    {
        var server = Resolve(new(Preset: "custom", Protocol: protocol, Host: "Mail.Example.org.", Port: port, Security: security));

        Assert.Equal("mail.example.org", server.Host);
        Assert.Equal(expectedPort, server.Port);
        Assert.Equal(expectedSecurity, server.Security);
        Assert.Equal(SourceProvider.Custom, server.Provider);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]", "::1")]
    [InlineData("::1", "::1")]
    public void Resolve_IpAddressHost_IsAccepted(string host, string expected)
    {
        Assert.Equal(expected, Resolve(new(Host: host)).Host);
    }

    [Fact]
    public void Resolve_GmailHostTypedByHand_IsTreatedAsGmail()
    {
        Assert.Equal(SourceProvider.Gmail, Resolve(new(Host: "imap.gmail.com")).Provider);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, true, true)]
    [InlineData(null, false, false)]
    [InlineData("gmail", null, true)]
    [InlineData("gmail", false, false)]
    public void Resolve_RevocationCheck_IsOnUnlessSwitchedOffForThisSource(string? preset, bool? requested, bool expected)
    {
        var server = Resolve(new(Preset: preset, Host: preset is null ? "mail.example.org" : null, CheckCertificateRevocation: requested));

        Assert.Equal(expected, server.CheckCertificateRevocation);
    }

    [Fact]
    public void Resolve_TrustedCertificate_IsNormalisedToUpperHex()
    {
        var fingerprint = string.Join(":", Enumerable.Repeat("ab", 32));

        var server = Resolve(new(Host: "mail.example.org", TrustedCertificateSha256: fingerprint));

        Assert.Equal(string.Concat(Enumerable.Repeat("AB", 32)), server.TrustedCertificateSha256);
    }

    [Theory]
    [InlineData("hotmail", null, null, null, null, "preset", ErrorCode.SettingsUnknownPreset)]
    [InlineData(null, "smtp", "mail.example.org", null, null, "protocol", ErrorCode.SettingsInvalidProtocol)]
    [InlineData(null, null, null, null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "  ", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "imap://mail.example.org", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "mail.example.org:993", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "mail_server.example.org", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "-mail.example.org", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "почта.рф", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "a..b", null, null, "host", ErrorCode.SettingsInvalidHost)]
    [InlineData(null, null, "mail.example.org", 0, null, "port", ErrorCode.SettingsInvalidPort)]
    [InlineData(null, null, "mail.example.org", 65536, null, "port", ErrorCode.SettingsInvalidPort)]
    [InlineData(null, null, "mail.example.org", null, "plain-please", "security", ErrorCode.SettingsInvalidSecurity)]
    [InlineData("gmail", null, "imap.evil.example", null, null, "host", ErrorCode.SettingsConflictWithPreset)]
    [InlineData("gmail", null, null, 143, null, "port", ErrorCode.SettingsConflictWithPreset)]
    [InlineData("gmail", null, null, null, "none", "security", ErrorCode.SettingsConflictWithPreset)]
    public void Resolve_InvalidField_NamesTheField(string? preset, string? protocol, string? host, int? port, string? security, string field, ErrorCode code)
    {
        var result = SourceServerSettings.Resolve(new(preset, protocol, host, port, security));

        Assert.Null(result.Server);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(field, problem.Field);
        Assert.Equal(code, problem.Code);
    }

    [Theory]
    [InlineData("abcd", "none", ErrorCode.SettingsInvalidCertificate)]
    [InlineData("0123456789abcdef0123456789abcdef01234567", null, ErrorCode.SettingsInvalidCertificate)]
    public void Resolve_BadCertificateFingerprint_IsRefused(string fingerprint, string? security, ErrorCode code)
    {
        var result = SourceServerSettings.Resolve(new(Host: "mail.example.org", Security: security, TrustedCertificateSha256: fingerprint));

        Assert.Equal(code, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void Resolve_TrustedCertificateWithoutTls_IsRefused()
    {
        var result = SourceServerSettings.Resolve(new(Host: "mail.example.org", Security: "none", TrustedCertificateSha256: new string('a', 64)));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ErrorCode.SettingsInvalidSecurity, problem.Code);
    }

    [Fact]
    public void Resolve_SeveralBadFields_ReportsEach()
    {
        var result = SourceServerSettings.Resolve(new(Protocol: "x", Host: "", Port: -1, Security: "y"));

        Assert.Equal(["protocol", "security", "port", "host"], result.Problems.Select(p => p.Field));
    }

    private static SourceServer Resolve(SourceServerRequest request)
    {
        var result = SourceServerSettings.Resolve(request);
        Assert.Empty(result.Problems);
        return Assert.IsType<SourceServer>(result.Server);
    }
}
