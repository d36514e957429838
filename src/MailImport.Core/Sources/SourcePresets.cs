using System.Collections.Frozen;

namespace MailImport.Core.Sources;

/// <summary>The well-known providers whose servers an admin can pick by name.</summary>
public static class SourcePresets
{
    private static readonly FrozenDictionary<string, (SourceProvider Provider, string ImapHost, string Pop3Host)> Presets =
        new Dictionary<string, (SourceProvider, string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["gmail"] = (SourceProvider.Gmail, "imap.gmail.com", "pop.gmail.com"),
            ["mailru"] = (SourceProvider.MailRu, "imap.mail.ru", "pop.mail.ru"),
            ["yandex"] = (SourceProvider.Yandex, "imap.yandex.ru", "pop.yandex.ru"),
            ["outlook"] = (SourceProvider.Outlook, "outlook.office365.com", "outlook.office365.com"),
        }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The preset names, in the order a page should offer them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gmail", "mailru", "yandex", "outlook"];

    /// <summary>The name that stands for "no preset: I give host, port and security".</summary>
    public const string Custom = "custom";

    /// <summary>The server a preset stands for, for the given protocol; SSL on connect on the standard port.</summary>
    public static bool TryGet(string name, MailProtocol protocol, out SourceServer server)
    {
        if (!Presets.TryGetValue(name, out var preset))
        {
            server = null!;
            return false;
        }

        server = new SourceServer(
            protocol,
            protocol == MailProtocol.Imap ? preset.ImapHost : preset.Pop3Host,
            StandardPort(protocol, TransportSecurity.SslOnConnect),
            TransportSecurity.SslOnConnect,
            preset.Provider);
        return true;
    }

    /// <summary>The port a protocol uses by default with a given security (IANA: 993/143 for IMAP, 995/110 for POP3).</summary>
    public static int StandardPort(MailProtocol protocol, TransportSecurity security) => (protocol, security) switch
    {
        (MailProtocol.Imap, TransportSecurity.SslOnConnect) => 993,
        (MailProtocol.Imap, _) => 143,
        (MailProtocol.Pop3, TransportSecurity.SslOnConnect) => 995,
        _ => 110,
    };
}
