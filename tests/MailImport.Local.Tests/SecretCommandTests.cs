using MailImport.Core;
using MailImport.Infrastructure.Secrets;
using MailImport.Local;
using MailImport.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Local.Tests;

/// <summary><c>MailImport.Local secret set NAME</c> against Azurite: the value it stores from standard input is the
/// one the host, built from the same settings, reads from its secret store; the value is never echoed.</summary>
public sealed class SecretCommandTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private const string Canary = "y0_CanarySecretCommand7";

    private Dictionary<string, string?> Settings() => WorkflowSettings.For(servers.Destination, servers.Azurite, ("MailImport:TaskHub", "LocalSecretCommand"));

    [Fact]
    public async Task Set_WithTheHostsSettings_StoresTheFirstLineWhereTheHostReadsIt()
    {
        var name = $"test-{Guid.NewGuid():N}";
        var settings = Settings();
        using var output = new StringWriter();

        var status = await SecretCommand.RunAsync(["secret", "set", name], new StringReader($"{Canary}\nnot part of it\n"), output, c => c.AddInMemoryCollection(settings));

        Assert.Equal(0, status);
        Assert.Contains(name, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, output.ToString(), StringComparison.Ordinal);
        await using var host = LocalHost.Build([], c => c.AddInMemoryCollection(settings));
        var stored = await host.Services.GetRequiredService<ISecretStore>().GetAsync(name, CancellationToken.None);
        Assert.Equal(new Secret(Canary), stored);
    }

    [Fact]
    public async Task Set_Again_ReplacesTheValue()
    {
        var name = $"test-{Guid.NewGuid():N}";
        var settings = Settings();

        Assert.Equal(0, await SecretCommand.RunAsync(["secret", "set", name], new StringReader("first-value"), TextWriter.Null, c => c.AddInMemoryCollection(settings)));
        Assert.Equal(0, await SecretCommand.RunAsync(["secret", "set", name], new StringReader("second-value\r\n"), TextWriter.Null, c => c.AddInMemoryCollection(settings)));

        await using var host = LocalHost.Build([], c => c.AddInMemoryCollection(settings));
        Assert.Equal(new Secret("second-value"), await host.Services.GetRequiredService<ISecretStore>().GetAsync(name, CancellationToken.None));
    }

    [Theory]
    [InlineData("", "secret: no value", "secret", "set", "yandex360-oauth-token")]
    [InlineData("value", "secret: the name", "secret", "set", "not_a_vault_name")]
    [InlineData("value", "usage:", "secret", "set")]
    [InlineData("value", "usage:", "secret", "get", "yandex360-oauth-token")]
    [InlineData("value", "usage:", "secret", "set", "yandex360-oauth-token", "y0_value-on-the-command-line")]
    public async Task Set_WithoutAValueOrWithBadArguments_RefusesWithUsageStatus(string input, string answer, params string[] args)
    {
        using var output = new StringWriter();

        var status = await SecretCommand.RunAsync(args, new StringReader(input), output, c => c.AddInMemoryCollection(Settings()));

        Assert.Equal(64, status);
        Assert.StartsWith(answer, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("y0_value", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_WithSettingsTheHostRefuses_StoresNothingAndSaysWhy()
    {
        var settings = Settings();
        settings.Remove("MailImport:StorageConnectionString");
        using var output = new StringWriter();

        var status = await SecretCommand.RunAsync(["secret", "set", "yandex360-oauth-token"], new StringReader(Canary), output, c => c.AddInMemoryCollection(settings));

        Assert.Equal(78, status);
        Assert.Contains("StorageConnectionString", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, output.ToString(), StringComparison.Ordinal);
    }
}
