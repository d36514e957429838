using System.ComponentModel.DataAnnotations;

namespace MailImport.Infrastructure.Settings;

/// <summary>Where storage, secrets, the destination directory and the task hub are: the settings that pick the
/// adapters, at the root of the MailImport section.</summary>
public sealed class PlatformOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport";

    /// <summary>Blob endpoint in Azure, reached with the managed identity (https://account.blob.core.windows.net).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>A storage connection string instead, for Azurite locally ("UseDevelopmentStorage=true").</summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>The local host's task hub in a storage account of its own (another Azurite), as the Functions app keeps
    /// its task hub in AzureWebJobsStorage apart from the batches; empty: in <see cref="StorageConnectionString"/>.</summary>
    public string? TaskHubConnectionString { get; set; }

    /// <summary>Key Vault in Azure (https://vault.vault.azure.net), reached with the managed identity.</summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>Locally instead of Key Vault: a base64 256-bit key for the encrypted secret blobs.</summary>
    public string? LocalSecretKey { get; set; }

    /// <summary>Locally instead of Key Vault and of <see cref="LocalSecretKey"/>: the file that holds the key of the
    /// encrypted secret blobs, made at the first start when it is missing (Secrets.LocalSecretKeyFile). The local host
    /// names one in its state directory when neither a vault nor a key is configured.</summary>
    public string? LocalSecretKeyFile { get; set; }

    /// <summary>The destination directory.</summary>
    [EnumDataType(typeof(DirectoryKind))]
    public DirectoryKind Directory { get; set; } = DirectoryKind.Yandex360;

    /// <summary>The managed identity's client id, when the app has a user-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The task hub's name in storage: host.json reads the same setting for the Functions app. Azure Storage
    /// task hub names are 3 to 45 letters and digits, starting with a letter
    /// (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-task-hubs).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "A task hub name is 3 to 45 letters and digits and starts with a letter.")]
    public string TaskHub { get; set; } = "MailImportLocal";

    /// <summary>The local host's engine: seconds a dequeued message stays invisible, so after a crash work resumes
    /// this long later. The Functions app sets its own in host.json (controlQueueVisibilityTimeout).</summary>
    [Range(1, 3600)]
    public int VisibilitySeconds { get; set; } = 30;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BlobServiceUri is null && string.IsNullOrEmpty(StorageConnectionString))
        {
            yield return new ValidationResult("Set the blob endpoint (Azure) or a storage connection string (Azurite).",
                [nameof(BlobServiceUri), nameof(StorageConnectionString)]);
        }

        if (KeyVaultUri is null && !string.IsNullOrEmpty(LocalSecretKey) && !IsAesKey(LocalSecretKey))
        {
            yield return new ValidationResult("A local secret key is 32 random bytes in base64 (openssl rand -base64 32); or leave it out and set a key file.",
                [nameof(LocalSecretKey)]);
        }
        else if (KeyVaultUri is null && string.IsNullOrEmpty(LocalSecretKey) && string.IsNullOrEmpty(LocalSecretKeyFile))
        {
            yield return new ValidationResult("Set the Key Vault (Azure), a local secret key (32 random bytes in base64), or a file for a local key to be made in.",
                [nameof(KeyVaultUri), nameof(LocalSecretKey), nameof(LocalSecretKeyFile)]);
        }
    }

    private static bool IsAesKey(string? base64)
    {
        Span<byte> key = stackalloc byte[33];
        return base64 is not null && Convert.TryFromBase64String(base64, key, out var length) && length == 32;
    }
}
