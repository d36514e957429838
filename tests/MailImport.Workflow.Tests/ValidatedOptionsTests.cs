using MailImport.Infrastructure.Settings;
using MailImport.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MailImport.Workflow.Tests;

/// <summary>Every options type is bound and validated when the host starts: a bad setting stops the start with the
/// setting's name, as a person writes it in local.settings.json or the app settings.</summary>
public class ValidatedOptionsTests
{
    private static IHost Host(params (string Key, string? Value)[] changes)
    {
        var settings = ShippedSettings.LocalSample();
        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMailImportWorkflow();
        return builder.Build();
    }

    [Fact]
    public async Task Start_LocalSample_Starts()
    {
        using var host = Host();

        await host.StartAsync();
        await host.StopAsync();
    }

    [Theory]
    [InlineData("MailImport:Directory", "Exchange", "MailImport:Directory")]
    [InlineData("MailImport:Directory", "7", "MailImport:Directory")]
    [InlineData("MailImport:StorageConnectionString", "", "MailImport:StorageConnectionString")]
    [InlineData("MailImport:LocalSecretKey", "c2hvcnQta2V5", "MailImport:LocalSecretKey")]
    [InlineData("MailImport:TaskHub", "mail-import", "MailImport:TaskHub")]
    [InlineData("MailImport:VisibilitySeconds", "0", "MailImport:VisibilitySeconds")]
    [InlineData("MailImport:Destination:ImapHost", "", "MailImport:Destination:ImapHost")]
    [InlineData("MailImport:Destination:ImapPort", "70000", "MailImport:Destination:ImapPort")]
    [InlineData("MailImport:Destination:ImapPort", "imaps", "MailImport:Destination:ImapPort")]
    [InlineData("MailImport:Destination:HierarchySeparator", "", "MailImport:Destination:HierarchySeparator")]
    [InlineData("MailImport:Destination:HierarchySeparator", "//", "MailImport:Destination:HierarchySeparator")]
    [InlineData("MailImport:Destination:HierarchySeparator", " ", "MailImport:Destination:HierarchySeparator")]
    [InlineData("MailImport:Workflow:ChunkSeconds", "0", "MailImport:Workflow:ChunkSeconds")]
    [InlineData("MailImport:Workflow:MaxMailboxesInFlight", "-1", "MailImport:Workflow:MaxMailboxesInFlight")]
    [InlineData("MailImport:Workflow:DefaultSchedule", "every night", "MailImport:Workflow:DefaultSchedule")]
    [InlineData("MailImport:Workflow:BatchIdleClose", "02:00:00", "MailImport:Workflow:BatchIdleClose")]
    [InlineData("MailImport:Workflow:BatchIdleClose", "400.00:00:00", "MailImport:Workflow:BatchIdleClose")]
    [InlineData("MailImport:Yandex360:PageSize", "0", "MailImport:Yandex360:PageSize")]
    [InlineData("MailImport:Yandex360:TokenSecretName", "", "MailImport:Yandex360:TokenSecretName")]
    [InlineData("MailImport:Connector:Timeout", "00:00:00", "MailImport:Connector:Timeout")]
    public async Task Start_BadSetting_FailsNamingTheSetting(string key, string value, string named)
    {
        using var host = Host((key, value));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MailImport:Api:Limits:RunsPerWindow", "0", null, "MailImport:Api:Limits:RunsPerWindow")]
    [InlineData("MailImport:Api:Limits:Window", "00:00:00", null, "MailImport:Api:Limits:Window")]
    [InlineData("MailImport:Api:Entra:TenantId", "contoso", "api-client-id", "MailImport:Api:Entra:TenantId")]
    [InlineData("MailImport:Api:Entra:Authority", "http://login.example.com/tenant/v2.0", "api-client-id", "MailImport:Api:Entra:Authority")]
    [InlineData("MailImport:Api:Entra:Instance", "http://login.microsoftonline.com/", "api-client-id", "MailImport:Api:Entra:Instance")]
    public async Task Start_BadApiSetting_FailsNamingTheNestedSetting(string key, string value, string? audience, string named)
    {
        using var host = Host((key, value), ("MailImport:Api:Entra:TenantId", key.EndsWith("TenantId", StringComparison.Ordinal) ? value : Guid.NewGuid().ToString()),
            ("MailImport:Api:Entra:Audience", audience));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EntraOnLoopbackHttp_Starts()
    {
        // Plain http is the local token service's way only: a loopback authority.
        using var host = Host(("MailImport:Api:Entra:Authority", "http://127.0.0.1:5555/tenant/v2.0"), ("MailImport:Api:Entra:Audience", "api-client-id"));

        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_NeitherKeyVaultNorLocalKeyNorKeyFile_FailsNamingEach()
    {
        using var host = Host(("MailImport:LocalSecretKey", null), ("MailImport:LocalSecretKeyFile", null));

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("MailImport:KeyVaultUri or MailImport:LocalSecretKey or MailImport:LocalSecretKeyFile", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddValidatedOptions_SecondTypeOnOneSection_Throws()
    {
        var services = new ServiceCollection().AddMailImportWorkflow();

        var refused = Assert.Throws<InvalidOperationException>(() => services.AddValidatedOptions<LocalOnlySettings>(PlatformOptions.SectionName));

        Assert.Contains(nameof(PlatformOptions), refused.Message, StringComparison.Ordinal);
    }

    private sealed class LocalOnlySettings
    {
        public int VisibilitySeconds { get; set; }
    }
}
