using System.Text.Json;
using MailImport.Infrastructure.Settings;

namespace MailImport.Testing;

/// <summary>Where a configuration keeps its secrets: the two stores MailImport ships.</summary>
public enum SecretStoreChoice
{
    /// <summary>AES-GCM blobs with the key MailImport:LocalSecretKeyFile holds (local.settings.sample.json), or
    /// MailImport:LocalSecretKey (scripts/demo).</summary>
    LocalEncryptedBlobs,

    /// <summary>Key Vault by MailImport:KeyVaultUri (infra/main.bicep, or the local host pointed at a vault).</summary>
    KeyVault,
}

/// <summary>The settings of each configuration MailImport ships, as configuration keys: local.settings.sample.json
/// as it is in the repository, changed only where infra/main.bicep's app settings differ. Endpoints are fake
/// (nothing is called): these settings are for building containers, not for running imports.</summary>
public static class ShippedSettings
{
    /// <summary>Every configuration MailImport ships: each destination directory with each secret store.</summary>
    public static TheoryData<DirectoryKind, SecretStoreChoice> Configurations()
    {
        var configurations = new TheoryData<DirectoryKind, SecretStoreChoice>();
        foreach (var directory in Enum.GetValues<DirectoryKind>())
        {
            foreach (var secrets in Enum.GetValues<SecretStoreChoice>())
            {
                configurations.Add(directory, secrets);
            }
        }

        return configurations;
    }

    /// <summary>local.settings.sample.json's values, "__" read as ":" as the configuration providers read it.</summary>
    public static Dictionary<string, string?> LocalSample()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => p.Value.GetString(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The sample with <paramref name="directory"/> as the destination directory and <paramref name="secrets"/>
    /// as the secret store; <paramref name="blobEndpoint"/> replaces the Azurite connection string with a blob endpoint
    /// and the managed identity, as infra/main.bicep sets them.</summary>
    public static Dictionary<string, string?> For(DirectoryKind directory, SecretStoreChoice secrets, bool blobEndpoint = false)
    {
        var settings = LocalSample();
        settings["MailImport:Directory"] = directory.ToString();
        settings["MailImport:Yandex360:OrgId"] = "4242";
        if (secrets == SecretStoreChoice.KeyVault)
        {
            settings.Remove("MailImport:LocalSecretKey");
            settings.Remove("MailImport:LocalSecretKeyFile");
            settings["MailImport:KeyVaultUri"] = "https://kv-composition.vault.azure.net/";
        }
        else
        {
            // The sample's key file, moved into this checkout's run directory: a test makes its key there.
            settings["MailImport:LocalSecretKeyFile"] = Path.Combine(Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") ?? "/tmp/mailimport", "shipped-settings", "secret-key");
        }

        if (blobEndpoint)
        {
            settings.Remove("MailImport:StorageConnectionString");
            settings["MailImport:BlobServiceUri"] = "https://stcomposition.blob.core.windows.net/";
            settings["MailImport:ManagedIdentityClientId"] = "00000000-0000-0000-0000-000000000001";
        }

        return settings;
    }
}
