using System.Reflection;
using MailImport.Infrastructure.Limits;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Testing;
using MailImport.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MailImport.Functions.Tests;

/// <summary>Every configuration the Functions app runs composes: the worker built from settings shaped as
/// infra/main.bicep sets them (Key Vault, blob endpoint, managed identity) or as local.settings.sample.json does
/// (Azurite, the local secret store), for each directory, builds with scopes and the whole graph validated, and every
/// [Function] class, activity and per-invocation handler activates. Nothing is started and no endpoint is called.</summary>
public class FunctionsHostCompositionTests
{
    // In Azure the vault comes with the blob endpoint and the identity (infra/main.bicep); locally neither.
    private static IHost Build(DirectoryKind directory, SecretStoreChoice secrets) =>
        FunctionsHost.Build([], configuration => configuration.AddInMemoryCollection(
            ShippedSettings.For(directory, secrets, blobEndpoint: secrets == SecretStoreChoice.KeyVault)));

    /// <summary>The app's public classes with [Function] methods that are instances: the worker activates each per
    /// invocation with ActivatorUtilities (DefaultFunctionActivator in Microsoft.Azure.Functions.Worker).</summary>
    private static List<Type> FunctionClasses() =>
        typeof(FunctionsHost).Assembly.GetExportedTypes()
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
            .ToList();

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_ActivatesEveryFunctionClass(DirectoryKind directory, SecretStoreChoice secrets)
    {
        using var host = Build(directory, secrets);
        await using var scope = host.Services.CreateAsyncScope();

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        var classes = FunctionClasses();
        Assert.Contains(typeof(ActivityFunctions), classes);
        Assert.All(classes.Where(t => !t.IsAbstract), t => Assert.NotNull(ActivatorUtilities.CreateInstance(scope.ServiceProvider, t)));
        Assert.StartsWith(directory.ToString(), scope.ServiceProvider.GetRequiredService<IDestinationDirectory>().GetType().Name, StringComparison.Ordinal);
        Assert.IsType(secrets == SecretStoreChoice.KeyVault ? typeof(KeyVaultSecretStore) : typeof(EncryptedBlobSecretStore), host.Services.GetRequiredService<ISecretStore>());
        // The concurrency limits hold across hosts only when counted in storage.
        Assert.IsType<LeasedSlots>(host.Services.GetRequiredService<IConcurrencySlots>());
    }

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_ResolvesEveryActivity(DirectoryKind directory, SecretStoreChoice secrets)
    {
        using var host = Build(directory, secrets);
        await using var scope = host.Services.CreateAsyncScope();
        var activities = new DurableTaskRegistry().AddMailImportWorkflow().GetActivities();

        // The registry names every activity the activity triggers call (functions.metadata is checked against it);
        // those that reach the engine are built over the Durable client, as the next test builds the handlers.
        Assert.NotEmpty(activities);
        Assert.All(activities.Where(a => !WorkflowRegistration.EngineActivities.Contains(a.Key.ToString())), a => Assert.NotNull(a.Value(scope.ServiceProvider)));
    }

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_BuildsEveryHandlerOverTheDurableClient(DirectoryKind directory, SecretStoreChoice secrets)
    {
        using var host = Build(directory, secrets);
        await using var scope = host.Services.CreateAsyncScope();
        await using var client = new ApiFunctionsTests.RecordingClient();
        var create = typeof(WorkflowClients).GetMethod(nameof(WorkflowClients.Create))!;

        // What the local host resolves from its container, the triggers build per invocation over their binding.
        var handlers = new ServiceCollection().AddMailImportApi().Select(d => d.ServiceType).ToList();
        Assert.NotEmpty(handlers);
        Assert.All(handlers, t => Assert.NotNull(create.MakeGenericMethod(t).Invoke(null, [scope.ServiceProvider, client])));
    }
}
