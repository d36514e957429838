using System.Diagnostics;
using MailImport.Workflow.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MailImport.Local;

/// <summary>Settings of the local host's traces. OTLP needs no setting of its own: the standard
/// OTEL_EXPORTER_OTLP_ENDPOINT turns it on (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).</summary>
public sealed class LocalTelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Telemetry";

    /// <summary>Write every finished span to the console: a look at traces without a collector.</summary>
    public bool ConsoleExporter { get; set; }
}

/// <summary>OpenTelemetry for the local host: spans of the HTTP API (ASP.NET Core), of outgoing HTTP calls, of the
/// embedded engine (DurableTask.Core) and of MailImport's steps, in one trace per upload; log lines carry the trace
/// and span ids, so a mailbox's chunk lines can be found by the upload's trace id.</summary>
public static class LocalTelemetry
{
    /// <summary>DurableTask.Core's ActivitySource: create_orchestration, orchestration:{name} and activity:{name} spans
    /// (TraceHelper in https://github.com/Azure/durabletask/blob/main/src/DurableTask.Core/Tracing/TraceHelper.cs).
    /// Without a listener on it StartActivity returns null, no ParentTraceContext is written into the orchestration's
    /// start event, and every activity would begin a trace of its own.</summary>
    public const string DurableTaskCoreSource = "DurableTask.Core";

    /// <summary>The category of ASP.NET Core's per-request lines (HostingApplicationDiagnostics).</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>The standard setting that points the OTLP exporter at a collector.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Adds tracing (always, so log lines carry trace ids) and the exporter the settings ask for: OTLP when
    /// <see cref="OtlpEndpointSetting"/> is set, the console when <see cref="LocalTelemetryOptions.ConsoleExporter"/>
    /// is true, none otherwise.</summary>
    public static WebApplicationBuilder AddLocalTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LocalTelemetryOptions>().BindConfiguration(LocalTelemetryOptions.SectionName).ValidateOnStart();
        // The exporters are chosen while the services are still being registered, so the section is read here too.
        var options = builder.Configuration.GetSection(LocalTelemetryOptions.SectionName).Get<LocalTelemetryOptions>() ?? new LocalTelemetryOptions();

        // Each log line gets the current span's trace id, span id and parent id as a scope, which the console formatter
        // prints on the line itself. The batch, run and line come from the activities' own scopes (StepLogging), which
        // are there without a span too; the span's tags would repeat them.
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // ASP.NET Core's "Request starting" line prints the whole URL, query included, and the API takes its key as
        // ?code= too, as Azure Functions does (https://learn.microsoft.com/azure/azure-functions/function-keys-how-to):
        // at Information that line would log the key. Registered after the configuration's rules, this one wins over
        // a Logging:LogLevel setting for the same category; the request spans keep the method, route and status.
        builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.IncludeScopes = true;
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("MailImport.Local"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(MailImportTelemetry.SourceName, DurableTaskCoreSource)
                    .AddAspNetCoreInstrumentation()
                    // Only calls made inside a trace (a request, an orchestration, an activity): the engine's storage
                    // polling, twice a second per queue, would otherwise be a root span each.
                    .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = _ => Activity.Current?.ParentSpanId != default);
                if (options.ConsoleExporter)
                {
                    tracing.AddConsoleExporter();
                }
            });
        if (!string.IsNullOrEmpty(builder.Configuration[OtlpEndpointSetting]))
        {
            // Traces, metrics and logs to the collector, configured by the standard OTEL_EXPORTER_OTLP_* settings.
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
