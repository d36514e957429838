using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using MailImport.Workflow.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace MailImport.Functions;

/// <summary>OpenTelemetry for the Functions app's worker, exported to Application Insights, as "Use OpenTelemetry with
/// Azure Functions" describes (https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto): host.json's
/// "telemetryMode": "OpenTelemetry" does the same for the host, and its durableTask.tracing (distributed tracing V2,
/// https://learn.microsoft.com/azure/durable-task/sdks/durable-task-scheduler-opentelemetry-tracing) carries the trace
/// context from the HTTP trigger through every orchestration and activity.</summary>
public static class FunctionsTelemetry
{
    /// <summary>Where Application Insights is; infra/app/api.bicep sets it.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>How to authenticate to it ("ClientId=...;Authorization=AAD"); the Functions host reads the same setting.</summary>
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Microsoft.DurableTask's ActivitySource: the client's create_orchestration span, whose context the
    /// gRPC client sends with the start request; without a listener there is no span and the run starts a new trace.</summary>
    public const string DurableTaskSource = "Microsoft.DurableTask";

    /// <summary>Adds the worker's OpenTelemetry defaults, MailImport's and the Durable client's spans, and the Azure
    /// Monitor exporter when <see cref="ConnectionStringSetting"/> is set (without it, as under plain `func start`,
    /// nothing is exported).</summary>
    public static IHostApplicationBuilder AddFunctionsTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var telemetry = builder.Services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(MailImportTelemetry.SourceName, DurableTaskSource));
        if (!string.IsNullOrEmpty(builder.Configuration[ConnectionStringSetting]))
        {
            var authentication = builder.Configuration[AuthenticationStringSetting];
            telemetry.UseAzureMonitorExporter(exporter =>
            {
                // Every span of a migration is kept, so a mailbox's trace stays whole: with the exporter's default
                // (rate-limited) sampling, the first span was not recorded (FunctionsTelemetryTests).
                exporter.TracesPerSecond = null;
                exporter.SamplingRatio = 1.0F;
                // infra/app/monitoring.bicep turns Application Insights' local (key) auth off, and the exporter does not
                // read the authentication string itself: telemetry goes with an Entra token of the app's identity.
                if (authentication?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true)
                {
                    exporter.Credential = ClientId(authentication) is { } clientId
                        ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                        : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
                }
            });
        }

        return builder;
    }

    /// <summary>The ClientId of an authentication string, as https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
    /// spells it; null for a system-assigned identity.</summary>
    internal static string? ClientId(string authentication) =>
        authentication.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2 && pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase) && pair[1].Length > 0)
            .Select(pair => pair[1])
            .FirstOrDefault();
}
