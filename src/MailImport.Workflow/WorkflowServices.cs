using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs;
using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Provisioning;
using MailImport.Workflow.Secrets;
using MailImport.Workflow.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow;

/// <summary>Where storage, secrets and the destination directory are: the settings that pick the adapters.</summary>
public sealed class PlatformOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport";

    /// <summary>Blob endpoint in Azure, reached with the managed identity (https://account.blob.core.windows.net).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>A storage connection string instead, for Azurite locally ("UseDevelopmentStorage=true").</summary>
    public string? StorageConnectionString { get; set; }

    /// <summary>Key Vault in Azure (https://vault.vault.azure.net), reached with the managed identity.</summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>Locally instead of Key Vault: a base64 256-bit key for the encrypted secret blobs.</summary>
    public string? LocalSecretKey { get; set; }

    /// <summary>The destination directory: "Yandex360" or "Dovecot".</summary>
    public string Directory { get; set; } = "Yandex360";

    /// <summary>The managed identity's client id, when the app has a user-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }
}

/// <summary>Registers the workflow's services, the same in the Functions app and the local host.</summary>
public static class WorkflowServices
{
    /// <summary>The container of the local encrypted secret store.</summary>
    public const string SecretsContainer = "mailimport-secrets";

    /// <summary>Adds storage, secrets, the directory, the mail engine and the activity classes, with options bound
    /// from configuration and validated at start.</summary>
    public static IServiceCollection AddMailImportWorkflow(this IServiceCollection services)
    {
        services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.SectionName)
            .Validate(o => o.BlobServiceUri is not null || !string.IsNullOrEmpty(o.StorageConnectionString), "Set MailImport:BlobServiceUri (Azure) or MailImport:StorageConnectionString (Azurite).")
            .Validate(o => o.KeyVaultUri is not null || !string.IsNullOrEmpty(o.LocalSecretKey), "Set MailImport:KeyVaultUri (Azure) or MailImport:LocalSecretKey (local).")
            .Validate(o => o.Directory is "Yandex360" or "Dovecot", "MailImport:Directory is Yandex360 or Dovecot.")
            .ValidateOnStart();
        services.AddOptions<DestinationOptions>().BindConfiguration(DestinationOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ImapHost) && o.ImapPort is > 0 and < 65536, "MailImport:Destination needs ImapHost and ImapPort.")
            .ValidateOnStart();
        services.AddOptions<WorkflowOptions>().BindConfiguration(WorkflowOptions.SectionName)
            .Validate(o => o.ChunkSeconds > 0 && o.ChunkMessages > 0 && o.ChunkMegabytes > 0, "Chunk budgets must be positive.")
            .ValidateOnStart();
        services.AddOptions<Yandex360Options>().BindConfiguration(Yandex360Options.SectionName);
        services.AddOptions<DovecotDirectoryOptions>().BindConfiguration(DovecotDirectoryOptions.SectionName);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var platform = sp.GetRequiredService<IOptions<PlatformOptions>>().Value;
            return platform.BlobServiceUri is { } uri
                ? new BlobServiceClient(uri, Credential(platform))
                : new BlobServiceClient(platform.StorageConnectionString);
        });
        services.AddSingleton<BatchStorage>();
        services.AddSingleton<ISecretStore>(sp =>
        {
            var platform = sp.GetRequiredService<IOptions<PlatformOptions>>().Value;
            return platform.KeyVaultUri is { } vault
                ? new KeyVaultSecretStore(new SecretClient(vault, Credential(platform)))
                : new EncryptedBlobSecretStore(sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(SecretsContainer), platform.LocalSecretKey!);
        });
        services.AddHttpClient<Yandex360Directory>();
        services.AddSingleton(sp => new DovecotDirectory(sp.GetRequiredService<IOptions<DovecotDirectoryOptions>>().Value));
        services.AddTransient<IDestinationDirectory>(sp =>
            sp.GetRequiredService<IOptions<PlatformOptions>>().Value.Directory == "Dovecot"
                ? sp.GetRequiredService<DovecotDirectory>()
                : sp.GetRequiredService<Yandex360Directory>());

        services.AddSingleton(new ConnectorOptions());
        services.AddSingleton<MailConnector>();
        services.AddSingleton<MailboxCopier>();
        services.AddTransient<CredentialIngestion>();
        services.AddTransient<BatchSteps>();
        services.AddTransient<MailboxSteps>();
        services.AddOptions<Api.ApiOptions>().BindConfiguration(Api.ApiOptions.SectionName);
        services.AddTransient<Api.BatchRuns>();
        services.AddTransient<Api.ImportApi>();
        services.AddTransient<Api.ScheduledReruns>();
        return services;
    }

    private static DefaultAzureCredential Credential(PlatformOptions platform) =>
        new(new DefaultAzureCredentialOptions { ManagedIdentityClientId = platform.ManagedIdentityClientId });
}
