using System.Reflection;
using System.Text.Json;
using MailImport.Infrastructure.Settings;
using MailImport.Testing;
using MailImport.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Functions.Tests;

/// <summary>Every setting the workflow binds has a place a person finds it: local.settings.sample.json (local runs,
/// with a safe value) or the Function App's settings in infra/ (what only Azure uses: Key Vault, the blob endpoint,
/// the managed identity).</summary>
public class SettingsTests
{
    private static IEnumerable<string> Keys(string section, Type options) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && (p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string) || p.PropertyType == typeof(Uri) || p.PropertyType == typeof(TimeSpan)
                || Nullable.GetUnderlyingType(p.PropertyType) is not null))
            .Select(p => $"{section.Replace(":", "__", StringComparison.Ordinal)}__{p.Name}");

    [Fact]
    public void EverySettingTheWorkflowBinds_IsInTheLocalSampleOrTheAzureAppSettings()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        var local = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var azure = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "main.bicep"));
        // Every section the workflow's registration binds, as it records them: a new options type is checked without
        // being listed here.
        var keys = new ServiceCollection().AddMailImportWorkflow()
            .Select(d => d.ImplementationInstance).OfType<BoundSettingsSection>()
            .SelectMany(b => Keys(b.SectionName, b.OptionsType))
            .ToList();

        Assert.True(keys.Count > 20, $"only {keys.Count} settings found: did the options lose their sections?");
        Assert.All(keys, key => Assert.True(local.Contains(key) || azure.Contains(key + ":", StringComparison.Ordinal),
            $"{key} is neither in local.settings.sample.json nor among infra/main.bicep's app settings"));
    }

    [Fact]
    public void LocalSample_RunsAgainstAzuriteWithTheLocalSecretStore_AndShipsNoKey()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");

        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        // No key ships: the host makes one in the key file at its first start (the local host's, so both share it).
        Assert.Equal("", values.GetProperty("MailImport__LocalSecretKey").GetString());
        Assert.True(Path.IsPathFullyQualified(values.GetProperty("MailImport__LocalSecretKeyFile").GetString()!));
        Assert.False(values.TryGetProperty("MailImport__KeyVaultUri", out _));
    }
}
