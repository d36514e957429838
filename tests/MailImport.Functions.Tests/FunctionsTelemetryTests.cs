using System.Diagnostics;
using MailImport.Workflow.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace MailImport.Functions.Tests;

/// <summary>The Functions app's OpenTelemetry composes from the settings infra/app/api.bicep gives it, and records the
/// spans a trace from the HTTP trigger to the last chunk needs.</summary>
public class FunctionsTelemetryTests
{
    [Theory]
    [InlineData("ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD", "11111111-2222-3333-4444-555555555555")]
    [InlineData(" Authorization=AAD ; clientid = abc ", "abc")]
    [InlineData("Authorization=AAD", null)]
    [InlineData("ClientId=;Authorization=AAD", null)]
    public void ClientId_OfTheAuthenticationString(string authentication, string? clientId) =>
        Assert.Equal(clientId, FunctionsTelemetry.ClientId(authentication));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddFunctionsTelemetry_WithOrWithoutApplicationInsights_RecordsMailImportAndDurableClientSpans(bool applicationInsights)
    {
        var builder = Host.CreateApplicationBuilder();
        if (applicationInsights)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // The shape api.bicep writes; the endpoint is never reached (nothing is flushed here).
                [FunctionsTelemetry.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/",
                [FunctionsTelemetry.AuthenticationStringSetting] = "ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD",
            });
        }

        builder.AddFunctionsTelemetry();
        using var host = builder.Build();
        Assert.NotNull(host.Services.GetRequiredService<TracerProvider>());

        using var mailImport = new ActivitySource(MailImportTelemetry.SourceName);
        using var durableClient = new ActivitySource(FunctionsTelemetry.DurableTaskSource);
        using var step = mailImport.StartActivity("CopyChunk");
        using var start = durableClient.StartActivity("create_orchestration:ImportBatch");
        Assert.True(step is { Recorded: true }, "MailImport's spans are not recorded");
        Assert.True(start is { Recorded: true }, "the Durable client's create_orchestration span is not recorded, so the run would not join the HTTP call's trace");
    }
}
