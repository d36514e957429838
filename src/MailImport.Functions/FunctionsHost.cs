using MailImport.Workflow;
using MailImport.Workflow.Orchestrations;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MailImport.Functions;

/// <summary>Builds the Functions app's worker: the workflow's services from MailImport.Workflow, as in the local host.
/// The HTTP handlers and scheduled re-runs are not services here: each invocation builds them over its own Durable
/// client binding (<see cref="WorkflowClients"/>).</summary>
public static class FunctionsHost
{
    /// <summary>The worker host, configured from the Functions host's settings; <paramref name="configure"/> adds sources.</summary>
    public static IHost Build(string[] args, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        configure?.Invoke(builder.Configuration);
        builder.ConfigureFunctionsWebApplication();
        // A service that cannot be built stops the worker at start, not the first invocation that needs it
        // (https://learn.microsoft.com/dotnet/core/extensions/dependency-injection#scope-validation).
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        builder.Services.AddMailImportWorkflow();
        // Activities' classified failures reach the orchestrations as TaskFailureDetails properties: the Durable
        // extension's DurableFunctionExecutor takes this provider from the container.
        builder.Services.AddSingleton<IExceptionPropertiesProvider, FailureBoundary>();
        builder.AddFunctionsTelemetry();
        return builder.Build();
    }
}
