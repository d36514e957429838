using MailImport.Infrastructure.Limits;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Local;
using MailImport.Testing;
using MailImport.Workflow;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MailImport.Local.Tests;

/// <summary>Every configuration the local host runs composes: the host built from settings shaped as
/// local.settings.sample.json (with a Key Vault, or the Yandex 360 directory, where a person points it at Azure) builds
/// with scopes and the whole graph validated, and every service, activity, hosted service and route it names resolves.
/// Nothing is started and no endpoint is called.</summary>
public class LocalHostCompositionTests
{
    private static WebApplication Build(DirectoryKind directory, SecretStoreChoice secrets)
    {
        var settings = ShippedSettings.For(directory, secrets);
        settings["MailImport:Local:Urls"] = "http://127.0.0.1:0";
        return LocalHost.Build([], configuration => configuration.AddInMemoryCollection(settings));
    }

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_ResolvesEveryService(DirectoryKind directory, SecretStoreChoice secrets)
    {
        await using var app = Build(directory, secrets);
        await using var scope = app.Services.CreateAsyncScope();

        app.Services.GetRequiredService<IStartupValidator>().Validate();
        var ours = new ServiceCollection().AddLocalHostServices()
            .Where(d => d.ServiceType.Assembly.GetName().Name!.StartsWith("MailImport.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ours);
        Assert.All(ours, d => Assert.NotNull(scope.ServiceProvider.GetRequiredService(d.ServiceType)));
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is LocalEngine);
        Assert.Contains(app.Services.GetServices<IHostedService>(), s => s is ScheduleTimer);
        Assert.StartsWith(directory.ToString(), scope.ServiceProvider.GetRequiredService<IDestinationDirectory>().GetType().Name, StringComparison.Ordinal);
        Assert.IsType(secrets == SecretStoreChoice.KeyVault ? typeof(KeyVaultSecretStore) : typeof(EncryptedBlobSecretStore), app.Services.GetRequiredService<ISecretStore>());
        // The concurrency limits hold across hosts only when counted in storage.
        Assert.IsType<LeasedSlots>(app.Services.GetRequiredService<IConcurrencySlots>());
        // The mailbox steps reach mail through MailKit; only a benchmark's own registration replaces it.
        Assert.IsType<MailKitEngine>(app.Services.GetRequiredService<IMailEngine>());
    }

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_ResolvesEveryActivity(DirectoryKind directory, SecretStoreChoice secrets)
    {
        await using var app = Build(directory, secrets);
        await using var scope = app.Services.CreateAsyncScope();
        var activities = new DurableTaskRegistry().AddMailImportWorkflow().GetActivities();

        // The factories the embedded engine calls for each execution, on a scope as it makes one.
        Assert.NotEmpty(activities);
        Assert.All(activities, a => Assert.NotNull(a.Value(scope.ServiceProvider)));
    }

    [Theory]
    [MemberData(nameof(ShippedSettings.Configurations), MemberType = typeof(ShippedSettings))]
    public async Task Resolve_EveryDirectoryAndSecretStore_BuildsEveryRoute(DirectoryKind directory, SecretStoreChoice secrets)
    {
        await using var app = Build(directory, secrets);

        // Building an endpoint decides which handler parameters are services: a handler class missing from the
        // container would be read as a request body and fail here.
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();

        Assert.Contains(endpoints, e => e.RoutePattern.RawText!.StartsWith("/api/imports", StringComparison.Ordinal));
    }

    [Fact]
    public void AddMailImportApi_RegistersEveryClassThatNeedsAnEngine()
    {
        // Needing one: an engine among its constructor's parameters, or a class that needs one (BatchCloseSteps over
        // BatchRuns), however deep.
        var classes = typeof(WorkflowServices).Assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false }).ToList();
        var needing = new HashSet<Type> { typeof(IWorkflowEngine) };
        while (classes.Where(t => !needing.Contains(t) && t.GetConstructors().Any(c => c.GetParameters().Any(p => needing.Contains(p.ParameterType)))).ToList() is { Count: > 0 } more)
        {
            needing.UnionWith(more);
        }

        var needsEngine = needing.Where(t => t != typeof(IWorkflowEngine)).Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(needsEngine);
        Assert.Equal(needsEngine, new ServiceCollection().AddMailImportApi().Select(d => d.ServiceType.FullName!).Order(StringComparer.Ordinal));
    }
}
