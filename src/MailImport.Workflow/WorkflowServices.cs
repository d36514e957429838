using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs;
using MailImport.Infrastructure.Limits;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.SourceTokens;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow;

/// <summary>Registers the workflow's services, the same in the Functions app and the local host.</summary>
public static class WorkflowServices
{
    /// <summary>The container of the local encrypted secret store.</summary>
    public const string SecretsContainer = "mailimport-secrets";

    /// <summary>The section the mail engine's connection settings bind from (the engine itself knows no settings).</summary>
    public const string ConnectorSection = "MailImport:Connector";

    /// <summary>Adds the options, storage, secrets, the directory, the mail engine and the activity classes: what both
    /// hosts resolve from their container. Every options type is bound from configuration and validated at start.</summary>
    public static IServiceCollection AddMailImportWorkflow(this IServiceCollection services)
    {
        services.AddValidatedOptions<PlatformOptions>(PlatformOptions.SectionName);
        services.AddValidatedOptions<DestinationOptions>(DestinationOptions.SectionName);
        services.AddValidatedOptions<WorkflowOptions>(WorkflowOptions.SectionName);
        services.AddValidatedOptions<Yandex360Options>(Yandex360Options.SectionName);
        services.AddValidatedOptions<DovecotDirectoryOptions>(DovecotDirectoryOptions.SectionName);
        services.AddValidatedOptions<ApiOptions>(ApiOptions.SectionName);
        services.AddValidatedOptions<ConnectorOptions>(ConnectorSection);
        services.AddValidatedOptions<SourceAccessOptions>(SourceAccessOptions.SectionName);
        services.AddValidatedOptions<SourceTokenOptions>(SourceTokenOptions.SectionName);

        services.AddSingleton(TimeProvider.System);
        // One credential for every Azure client: the managed identity in Azure. A host that must reach a vault some
        // other way (a test's local Key Vault) registers its credential and client options before this.
        services.TryAddSingleton<TokenCredential>(sp => Credential(sp.GetRequiredService<IOptions<PlatformOptions>>().Value));
        services.TryAddSingleton(new SecretClientOptions());
        services.AddSingleton(sp =>
        {
            var platform = sp.GetRequiredService<IOptions<PlatformOptions>>().Value;
            return platform.BlobServiceUri is { } uri
                ? new BlobServiceClient(uri, sp.GetRequiredService<TokenCredential>())
                : new BlobServiceClient(platform.StorageConnectionString);
        });
        services.AddSingleton<BatchStorage>();
        services.AddSingleton<ISecretStore>(sp =>
        {
            var platform = sp.GetRequiredService<IOptions<PlatformOptions>>().Value;
            var clock = sp.GetRequiredService<TimeProvider>();
            return platform.KeyVaultUri is { } vault
                ? new KeyVaultSecretStore(new SecretClient(vault, sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<SecretClientOptions>()), clock)
                : new EncryptedBlobSecretStore(sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(SecretsContainer), LocalKey(platform), clock);
        });
        // One per process: it keeps the batches' unwrapped data keys for a few minutes.
        services.AddSingleton<BatchSecrets>();

        // The directories take their options' values, as tests construct them; the typed client gets the HttpClient
        // from IHttpClientFactory, which pools handlers (https://learn.microsoft.com/dotnet/core/extensions/httpclient-factory).
        services.AddHttpClient(nameof(Yandex360Directory)).AddTypedClient((http, sp) => new Yandex360Directory(
            http,
            sp.GetRequiredService<IOptions<Yandex360Options>>().Value,
            sp.GetRequiredService<ISecretStore>(),
            sp.GetRequiredService<ILogger<Yandex360Directory>>(),
            sp.GetRequiredService<TimeProvider>()));
        // One instance per process, since it keeps the employees' tokens until they expire; its own long-lived client
        // recycles connections so DNS changes are seen
        // (https://learn.microsoft.com/dotnet/fundamentals/networking/http/httpclient-guidelines).
        services.AddSingleton(sp => new Yandex360MailTokens(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = TimeSpan.FromSeconds(30) },
            sp.GetRequiredService<IOptions<Yandex360Options>>().Value,
            sp.GetRequiredService<ISecretStore>(),
            sp.GetRequiredService<ILogger<Yandex360MailTokens>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DovecotDirectory(sp.GetRequiredService<IOptions<DovecotDirectoryOptions>>().Value));
        services.AddTransient<IDestinationDirectory>(sp => sp.GetRequiredService<IOptions<PlatformOptions>>().Value.Directory switch
        {
            DirectoryKind.Dovecot => sp.GetRequiredService<DovecotDirectory>(),
            DirectoryKind.Yandex360 => sp.GetRequiredService<Yandex360Directory>(),
            var other => throw new InvalidOperationException($"MailImport:Directory {other} has no directory."),
        });

        // One per process: it keeps each token batch's provider, and with it the batch's tokens, until the batch closes.
        // MSAL sends through the named client, so a host can give it a handler of its own (a test, the Entra stand-in's
        // certificate) the way it gives the Key Vault client its options; MSAL asks for a token about once an hour per
        // app, and the pool's idle timeout closes the connection in between, so a held client sees DNS changes.
        services.AddHttpClient(SourceTokenProviders.MicrosoftHttpClientName);
        services.AddSingleton(sp => new SourceTokenProviders(
            sp.GetRequiredService<IOptions<SourceTokenOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(SourceTokenProviders.MicrosoftHttpClientName)));
        services.AddTransient<SourceAccounts>();
        services.AddSingleton(sp => new SourceAccessPolicy(sp.GetRequiredService<IOptions<SourceAccessOptions>>().Value));
        services.AddSingleton(sp => new MailConnector(sp.GetRequiredService<IOptions<ConnectorOptions>>().Value, sp.GetRequiredService<SourceAccessPolicy>()));
        services.AddSingleton<MailboxCopier>();
        services.AddSingleton<IMailEngine, MailKitEngine>();
        services.AddSingleton<RunDirectory>();
        services.AddTransient<DestinationAccounts>();
        services.AddTransient<CredentialIngestion>();
        services.AddTransient<BatchSteps>();
        services.AddTransient<DestinationHolds>();
        services.AddTransient<SourceBudgets>();
        // Concurrency slots in Blob storage, so the limits hold across every host and batch on the storage account; a host
        // without storage registers InProcessSlots first.
        services.TryAddSingleton<IConcurrencySlots>(sp => new LeasedSlots(sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(BatchStorage.BatchesContainer)));
        services.AddTransient<ConcurrencyLimits>();
        services.AddTransient<MailboxSteps>();

        // Who may call the HTTP API, and how often: singletons, since they hold the token service's keys and each
        // caller's count. Here rather than in AddMailImportApi, as the Functions app builds its handlers from this.
        services.AddHttpClient(EntraTokens.HttpClientName);
        services.AddSingleton<EntraTokens>();
        services.AddSingleton<ApiCallers>();
        services.AddSingleton<ApiRateLimits>();
        return services;
    }

    /// <summary>Adds the classes that start and read runs through an <see cref="Hosting.IWorkflowEngine"/>: the HTTP
    /// API's handler and scheduled re-runs. For a host whose engine is a service (the local host); the Functions app
    /// has a Durable client per invocation instead, and builds them with it (MailImport.Functions.WorkflowClients).</summary>
    public static IServiceCollection AddMailImportApi(this IServiceCollection services)
    {
        services.AddTransient<BatchRuns>();
        services.AddTransient<ImportApi>();
        services.AddTransient<ScheduledReruns>();
        services.AddTransient<BatchCloseSteps>();
        services.AddTransient<MailboxHistories>();
        return services;
    }

    /// <summary>The configured local key, else the one in the key file (made there at the first start).</summary>
    private static byte[] LocalKey(PlatformOptions platform) =>
        string.IsNullOrEmpty(platform.LocalSecretKey)
            ? LocalSecretKeyFile.ReadOrCreate(platform.LocalSecretKeyFile!).Key
            : Convert.FromBase64String(platform.LocalSecretKey);

    private static DefaultAzureCredential Credential(PlatformOptions platform) =>
        new(new DefaultAzureCredentialOptions { ManagedIdentityClientId = platform.ManagedIdentityClientId });
}
