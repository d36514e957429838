using MailImport.Core.Batches;
using MailImport.Core.Sources;

namespace MailImport.Core.Tests.Sources;

public class SourceLimitsTests
{
    private static SourceServer Server(SourceProvider provider, MailProtocol protocol) => new(protocol, "mail.example.net", 993, TransportSecurity.SslOnConnect, provider);

    [Theory]
    [InlineData(SourceProvider.Gmail, MailProtocol.Imap, 2_500_000_000L)]
    [InlineData(SourceProvider.Gmail, MailProtocol.Pop3, 1_250_000_000L)]
    [InlineData(SourceProvider.Outlook, MailProtocol.Imap, null)]
    [InlineData(SourceProvider.Yandex, MailProtocol.Imap, null)]
    [InlineData(SourceProvider.Custom, MailProtocol.Pop3, null)]
    public void DownloadBudgetBytes_NotGiven_IsThePresetsDailyLimit(SourceProvider provider, MailProtocol protocol, long? expected)
    {
        Assert.Equal(expected, new ImportOptions().DownloadBudgetBytes(Server(provider, protocol)));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(700, 700_000_000L)]
    public void DownloadBudgetBytes_Given_OverridesThePreset_ZeroMeaningNone(int megabytes, long? expected)
    {
        Assert.Equal(expected, new ImportOptions { DownloadBudgetMegabytes = megabytes }.DownloadBudgetBytes(Server(SourceProvider.Gmail, MailProtocol.Imap)));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(0, true)]
    [InlineData(10_000_000, true)]
    [InlineData(-1, false)]
    [InlineData(10_000_001, false)]
    public void DownloadBudgetProblem_OnlyOutOfRange(int? megabytes, bool fine)
    {
        Assert.Equal(fine, new ImportOptions { DownloadBudgetMegabytes = megabytes }.DownloadBudgetProblem() is null);
    }
}
