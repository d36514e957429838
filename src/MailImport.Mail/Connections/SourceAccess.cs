using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;

namespace MailImport.Mail.Connections;

/// <summary>Which source servers the operator re-opens beyond the public mail servers (the hosts bind it from
/// MailImport:SourceAccess). Settings only: nothing an admin sends through the API can widen it.</summary>
public sealed class SourceAccessOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:SourceAccess";

    /// <summary>Host names (matched whole, case-insensitively) and address ranges (an IP address, or CIDR such as
    /// 10.20.0.0/16) a source may be on although they are loopback, private, link-local or otherwise special-purpose;
    /// on these any port is allowed too. Empty by default: only public addresses on the mail ports.</summary>
    public IList<string> Allow { get; init; } = [];

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Allow.Count; i++)
        {
            if (SourceAccessPolicy.ParseEntry(Allow[i]) is null)
            {
                yield return new ValidationResult(
                    $"'{Allow[i]}' is neither a host name nor an IP address or CIDR range (such as 10.20.0.0/16).",
                    [$"{nameof(Allow)}:{i}"]);
            }
        }
    }
}

/// <summary>Where a source may be: by default only public addresses on the IMAP and POP3 ports, so a source setting
/// cannot turn MailImport into a scanner of the network it runs in (its loopback, its VNet, the cloud's metadata
/// service). The operator's allow-list re-opens named hosts and ranges for self-hosted sources.</summary>
/// <remarks>
/// <para>The check runs twice: on the settings as given (a literal address or a non-mail port is refused at upload,
/// naming the field), and when connecting, after DNS resolution. The connector then connects to one of the addresses
/// that passed, never to the name again, so a name that resolves differently the second time (DNS rebinding) cannot
/// reach an address that was not checked.</para>
/// <para>The special-purpose ranges are IANA's registries
/// (https://www.iana.org/assignments/iana-ipv4-special-registry/, https://www.iana.org/assignments/iana-ipv6-special-registry/,
/// RFC 6890), plus Azure's platform address 168.63.129.16
/// (https://learn.microsoft.com/en-us/azure/virtual-network/what-is-ip-address-168-63-129-16). The instance metadata
/// address 169.254.169.254 (https://learn.microsoft.com/en-us/azure/virtual-machines/instance-metadata-service) is
/// link-local, AWS's IPv6 one (fd00:ec2::254) unique-local.</para>
/// </remarks>
public sealed class SourceAccessPolicy
{
    /// <summary>The ports a source may use without the allow-list: IMAP 143 and 993, POP3 110 and 995
    /// (https://www.iana.org/assignments/service-names-port-numbers/, RFC 8314).</summary>
    public static IReadOnlySet<int> MailPorts { get; } = new HashSet<int> { 143, 993, 110, 995 };

    private static readonly IPNetwork[] SpecialPurpose =
    [
        // IPv4: "this network", private, shared (carrier-grade NAT), loopback, link-local (metadata), private,
        // IETF protocol assignments, documentation, 6to4 relay, private, benchmarking, documentation ×2, multicast,
        // reserved and broadcast; Azure's platform address.
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("192.88.99.0/24"),
        IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("168.63.129.16/32"),
        // IPv6: unspecified, loopback and the deprecated IPv4-compatible form, local-use NAT64, discard-only, IETF
        // protocol assignments (Teredo among them), documentation, unique-local, link-local, the deprecated site-local,
        // multicast. IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address,
        // which is checked instead.
        IPNetwork.Parse("::/96"), IPNetwork.Parse("64:ff9b:1::/48"), IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001::/23"), IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("fec0::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly HashSet<string> hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> ranges = [];
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    /// <summary>A policy with the operator's allow-list.</summary>
    /// <param name="options">The allow-list; every entry must parse (the settings are validated at start).</param>
    /// <param name="resolve">How a host name becomes addresses; DNS unless a test says otherwise.</param>
    public SourceAccessPolicy(SourceAccessOptions options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var entry in options.Allow)
        {
            switch (ParseEntry(entry))
            {
                case IPNetwork range:
                    ranges.Add(range);
                    break;
                case string host:
                    hosts.Add(host);
                    break;
                default:
                    throw new ArgumentException($"MailImport:SourceAccess:Allow: '{entry}' is neither a host name nor an address range.", nameof(options));
            }
        }

        this.resolve = resolve ?? Dns.GetHostAddressesAsync;
    }

    /// <summary>The default: public addresses on the mail ports, nothing re-opened.</summary>
    public static SourceAccessPolicy PublicOnly { get; } = new(new SourceAccessOptions());

    /// <summary>Checks the source as the admin gave it, before anything is stored: a literal special-purpose address,
    /// or a port other than the mail ports, that the allow-list does not re-open. What a host name resolves to is
    /// checked when connecting.</summary>
    /// <returns>The field at fault ("host" or "port") and why, or null when the settings may go on.</returns>
    public (string Field, string Message)? CheckSetting(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        var literal = IPAddress.TryParse(host, out var address) ? address : null;
        if (literal is not null && !IsAllowed(literal))
        {
            return ("host", $"MailImport does not connect to {host}: it is a loopback, private, link-local or otherwise "
                + "special-purpose address. Give the mail server's public host name.");
        }

        // A name on another port may still resolve into an allowed range: that is decided after DNS.
        var reopened = hosts.Contains(host) || (literal is null ? ranges.Count > 0 : InAllowedRange(literal));
        return reopened || MailPorts.Contains(port)
            ? null
            : ("port", NotAMailPort(port));
    }

    /// <summary>Resolves a source host and keeps the addresses it may be reached at: all of them for a host the
    /// allow-list names; else the public ones on a mail port, and those in an allowed range on any port.</summary>
    /// <exception cref="MailFailureException">Nothing is left: <see cref="ErrorCode.SourceAddressRefused"/>, which no
    /// retry cures and which names neither the addresses nor the ranges (the report must not map the admin's network
    /// for whoever typed the host).</exception>
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, cancellationToken);
        if (hosts.Contains(host))
        {
            return addresses;
        }

        var allowed = addresses.Where(a => InAllowedRange(a) || (MailPorts.Contains(port) && !IsSpecialPurpose(a))).ToList();
        if (allowed.Count > 0)
        {
            return allowed;
        }

        var why = MailPorts.Contains(port) || addresses.Any(IsSpecialPurpose)
            ? $"The source host {host} resolves only to loopback, private, link-local or other special-purpose addresses, which MailImport does not connect to."
            : NotAMailPort(port);
        throw new MailFailureException(MailFailure.Permanent(ErrorCode.SourceAddressRefused, why));
    }

    /// <summary>True for the loopback, private, link-local, shared, documentation, multicast and reserved ranges, and
    /// the cloud platform's own addresses: nothing a public mail server is on.</summary>
    public static bool IsSpecialPurpose(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (EmbeddedIPv4(address) is { } inner)
        {
            return IsSpecialPurpose(inner);
        }

        return SpecialPurpose.Any(range => range.Contains(address));
    }

    /// <summary>An allow-list entry: an address range (an IP alone is its own /32 or /128), a host name, or null when
    /// it is neither.</summary>
    internal static object? ParseEntry(string? entry)
    {
        var text = entry?.Trim().TrimEnd('.');
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (IPNetwork.TryParse(text, out var range))
        {
            return range;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }

        return Uri.CheckHostName(text) == UriHostNameType.Dns ? text.ToLowerInvariant() : null;
    }

    private static string NotAMailPort(int port) =>
        $"The port {port} is not a mail port; MailImport connects to 993 or 143 (IMAP) and 995 or 110 (POP3).";

    private bool IsAllowed(IPAddress address) => !IsSpecialPurpose(address) || InAllowedRange(address);

    private bool InAllowedRange(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return ranges.Any(range => range.Contains(plain) || range.Contains(address));
    }

    // The IPv4 address inside an IPv4-mapped, NAT64 (RFC 6052) or 6to4 (RFC 3056) IPv6 address, whose traffic goes to it.
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        return Nat64.Contains(address) ? new IPAddress(bytes[12..16])
            : SixToFour.Contains(address) ? new IPAddress(bytes[2..6])
            : null;
    }
}
