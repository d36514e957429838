using System.Net;
using System.Net.Sockets;
using MailImport.Core.Errors;

namespace MailImport.Core.Sources;

/// <summary>The source server as the admin chose it on the page or in the API: a preset, or custom fields.</summary>
/// <param name="Preset">gmail, mailru, yandex, outlook; empty or "custom" for a server of one's own.</param>
/// <param name="Protocol">imap (the default) or pop3.</param>
/// <param name="Host">Host name or IP address; required for custom.</param>
/// <param name="Port">TCP port; defaults to the standard one for the protocol and security.</param>
/// <param name="Security">ssl, starttls, or none; defaults to ssl, or starttls on ports 143 and 110.</param>
/// <param name="TrustedCertificateSha256">SHA-256 fingerprint of a certificate to trust although it does not validate.</param>
/// <param name="CheckCertificateRevocation">False to skip the certificate's revocation check, for a server whose CA
/// publishes no reachable CRL or OCSP responder; checked by default.</param>
/// <param name="Authentication">How the mailboxes are logged in to; none means each line's password
/// (<see cref="SourceAuthenticationSettings.Resolve"/>).</param>
public sealed record SourceServerRequest(
    string? Preset = null,
    string? Protocol = null,
    string? Host = null,
    int? Port = null,
    string? Security = null,
    string? TrustedCertificateSha256 = null,
    bool? CheckCertificateRevocation = null,
    SourceAuthenticationRequest? Authentication = null);

/// <summary>One invalid source setting.</summary>
/// <param name="Field">The request field at fault (preset, protocol, host, port, security, trustedCertificateSha256).</param>
/// <param name="Code">The stable error code.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record SettingProblem(string Field, ErrorCode Code, string Message);

/// <summary>A resolved source server, or the problems that prevent one.</summary>
/// <param name="Server">The server, when there are no problems.</param>
/// <param name="Problems">Every invalid field.</param>
public sealed record SourceServerResult(SourceServer? Server, IReadOnlyList<SettingProblem> Problems);

/// <summary>Turns what the admin chose into a <see cref="SourceServer"/>, or says exactly which field is wrong.</summary>
public static class SourceServerSettings
{
    /// <summary>Resolves presets and defaults and validates every field.</summary>
    public static SourceServerResult Resolve(SourceServerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<SettingProblem>();

        var protocol = ParseProtocol(request.Protocol, problems);
        var security = ParseSecurity(request.Security, problems);
        var thumbprint = ParseThumbprint(request.TrustedCertificateSha256, problems);
        if (request.Port is { } port and (< 1 or > 65535))
        {
            problems.Add(new("port", ErrorCode.SettingsInvalidPort, $"The port {port} is not between 1 and 65535."));
        }

        var presetName = request.Preset?.Trim();
        SourceServer? server;
        if (string.IsNullOrEmpty(presetName) || presetName.Equals(SourcePresets.Custom, StringComparison.OrdinalIgnoreCase))
        {
            server = ResolveCustom(request, protocol, security, problems);
        }
        else if (SourcePresets.TryGet(presetName, protocol, out var preset))
        {
            CheckAgainstPreset(request, preset, security, presetName, problems);
            server = preset;
        }
        else
        {
            problems.Add(new("preset", ErrorCode.SettingsUnknownPreset,
                $"The preset '{Shorten(presetName)}' is unknown; choose {string.Join(", ", SourcePresets.Names)} or {SourcePresets.Custom}."));
            server = null;
        }

        if (server is not null && thumbprint is not null && server.Security == TransportSecurity.None)
        {
            problems.Add(new("trustedCertificateSha256", ErrorCode.SettingsInvalidSecurity,
                "A trusted certificate only makes sense with ssl or starttls; the security is none."));
        }

        return problems.Count > 0
            ? new SourceServerResult(null, problems)
            : new SourceServerResult(server! with { TrustedCertificateSha256 = thumbprint, CheckCertificateRevocation = request.CheckCertificateRevocation ?? true }, problems);
    }

    private static SourceServer? ResolveCustom(SourceServerRequest request, MailProtocol protocol, TransportSecurity? security, List<SettingProblem> problems)
    {
        var host = ValidateHost(request.Host, problems);
        // Ports 143 and 110 are the plain ports that upgrade with STARTTLS; anything else defaults to TLS on connect.
        var chosenSecurity = security ?? (request.Port is 143 or 110 ? TransportSecurity.StartTls : TransportSecurity.SslOnConnect);
        var port = request.Port ?? SourcePresets.StandardPort(protocol, chosenSecurity);
        return host is null ? null : new SourceServer(protocol, host, port, chosenSecurity, ProviderOf(host));
    }

    private static void CheckAgainstPreset(SourceServerRequest request, SourceServer preset, TransportSecurity? security, string presetName, List<SettingProblem> problems)
    {
        var name = presetName.ToLowerInvariant();
        if (!string.IsNullOrWhiteSpace(request.Host) && !request.Host.Trim().TrimEnd('.').Equals(preset.Host, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(new("host", ErrorCode.SettingsConflictWithPreset,
                $"The preset {name} uses the host {preset.Host}, not '{Shorten(request.Host)}'; leave the host empty or choose {SourcePresets.Custom}."));
        }

        if (request.Port is { } port && port != preset.Port)
        {
            problems.Add(new("port", ErrorCode.SettingsConflictWithPreset,
                $"The preset {name} uses the port {preset.Port}, not {port}; leave the port empty or choose {SourcePresets.Custom}."));
        }

        if (security is { } s && s != preset.Security)
        {
            problems.Add(new("security", ErrorCode.SettingsConflictWithPreset,
                $"The preset {name} uses ssl; leave the security empty or choose {SourcePresets.Custom}."));
        }
    }

    private static MailProtocol ParseProtocol(string? value, List<SettingProblem> problems)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "imap":
                return MailProtocol.Imap;
            case "pop3" or "pop":
                return MailProtocol.Pop3;
            default:
                problems.Add(new("protocol", ErrorCode.SettingsInvalidProtocol,
                    $"The protocol '{Shorten(value!)}' is unknown; choose imap (all folders) or pop3 (inbox only)."));
                return MailProtocol.Imap;
        }
    }

    private static TransportSecurity? ParseSecurity(string? value, List<SettingProblem> problems)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "":
                return null;
            case "ssl" or "tls" or "sslonconnect":
                return TransportSecurity.SslOnConnect;
            case "starttls":
                return TransportSecurity.StartTls;
            case "none":
                return TransportSecurity.None;
            default:
                problems.Add(new("security", ErrorCode.SettingsInvalidSecurity,
                    $"The security '{Shorten(value!)}' is unknown; choose ssl, starttls, or none (none sends the password in clear text)."));
                return null;
        }
    }

    private static string? ParseThumbprint(string? value, List<SettingProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var hex = value.Trim().Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        if (hex.Length == 64 && hex.All(char.IsAsciiHexDigit))
        {
            return hex;
        }

        problems.Add(new("trustedCertificateSha256", ErrorCode.SettingsInvalidCertificate,
            hex.Length == 40 && hex.All(char.IsAsciiHexDigit)
                ? "That is a SHA-1 fingerprint; give the certificate's SHA-256 fingerprint (64 hexadecimal digits)."
                : "The trusted certificate must be a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed."));
        return null;
    }

    private static string? ValidateHost(string? value, List<SettingProblem> problems)
    {
        var host = value?.Trim().TrimEnd('.');
        if (string.IsNullOrEmpty(host))
        {
            problems.Add(new("host", ErrorCode.SettingsInvalidHost, "The host is empty; give the server's host name, such as imap.example.org, or choose a preset."));
            return null;
        }

        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
        {
            problems.Add(new("host", ErrorCode.SettingsInvalidHost, $"Give just the host name, without a scheme or path: not '{Shorten(host)}'."));
            return null;
        }

        var bracketed = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bracketed, out var address) && (address.AddressFamily == AddressFamily.InterNetworkV6 || bracketed.Count(c => c == '.') == 3))
        {
            return address.ToString();
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            problems.Add(new("host", ErrorCode.SettingsInvalidHost, $"Give the port in the port field, not in the host: '{Shorten(host)}'."));
            return null;
        }

        if (!host.All(char.IsAscii))
        {
            problems.Add(new("host", ErrorCode.SettingsInvalidHost,
                $"The host '{Shorten(host)}' has non-Latin characters; give its ASCII (xn--) form."));
            return null;
        }

        if (!IsDnsName(host))
        {
            problems.Add(new("host", ErrorCode.SettingsInvalidHost,
                $"The host '{Shorten(host)}' is not a valid host name: use letters, digits, '-' and '.', labels of at most 63 characters."));
            return null;
        }

        return host.ToLowerInvariant();
    }

    /// <summary>RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 1–63 each, 253 in all.</summary>
    private static bool IsDnsName(string host) =>
        host.Length <= 253
        && host.Split('.').All(label =>
            label.Length is >= 1 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-');

    /// <summary>A known provider's host typed by hand gets the provider's handling too.</summary>
    private static SourceProvider ProviderOf(string host) => host switch
    {
        "imap.gmail.com" or "pop.gmail.com" => SourceProvider.Gmail,
        "imap.mail.ru" or "pop.mail.ru" => SourceProvider.MailRu,
        "imap.yandex.ru" or "pop.yandex.ru" or "imap.yandex.com" or "pop.yandex.com" => SourceProvider.Yandex,
        "outlook.office365.com" => SourceProvider.Outlook,
        _ => SourceProvider.Custom,
    };

    private static string Shorten(string value) => Rules.DestinationRules.Shorten(value, 80);
}
