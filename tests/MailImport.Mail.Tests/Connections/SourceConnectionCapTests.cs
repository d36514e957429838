using MailImport.Core.Sources;
using MailImport.Mail.Connections;

namespace MailImport.Mail.Tests.Connections;

/// <summary>A source preset carries its provider's connection cap per account to the workflow's limit
/// (Workflow.Activities.ConcurrencyLimits, which counts it across hosts and batches; LeasedSlotsTests and
/// ConnectionLimitEndToEndTests show it held).</summary>
public class SourceConnectionCapTests
{
    [Theory]
    [InlineData(SourceProvider.Gmail, MailProtocol.Imap, 15)]
    [InlineData(SourceProvider.Outlook, MailProtocol.Imap, 16)]
    [InlineData(SourceProvider.Custom, MailProtocol.Imap, null)]
    public void Of_PresetSource_CarriesItsProvidersConnectionCap(SourceProvider provider, MailProtocol protocol, int? expected)
    {
        var endpoint = ServerEndpoint.Of(new SourceServer(protocol, "imap.example.net", 993, TransportSecurity.SslOnConnect, provider));

        Assert.Equal(expected, endpoint.ConnectionsPerAccount);
    }
}
