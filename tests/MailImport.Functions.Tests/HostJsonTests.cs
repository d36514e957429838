using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Connections;
using MailImport.Testing;

namespace MailImport.Functions.Tests;

/// <summary>A copy chunk is one activity invocation, so its time budget must end inside host.json's functionTimeout:
/// the Functions host kills an invocation that outlives it
/// (https://learn.microsoft.com/azure/azure-functions/functions-host-json#functiontimeout).</summary>
public partial class HostJsonTests
{
    [GeneratedRegex(@"@maxValue\((\d+)\)\s*(?:@description\('[^']*'\)\s*)?param chunkSeconds int = (\d+)")]
    private static partial Regex BicepChunkSeconds();

    private static TimeSpan FunctionTimeout()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")));
        return TimeSpan.Parse(json.RootElement.GetProperty("functionTimeout").GetString()!, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void ChunkSeconds_EveryShippedValueWithItsMargin_FitsTheFunctionTimeout()
    {
        var sample = ShippedSettings.LocalSample();
        var bicep = BicepChunkSeconds().Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "main.bicep")));
        Assert.True(bicep.Success, "infra/main.bicep has no @maxValue on param chunkSeconds");
        var chunks = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["WorkflowOptions default"] = new WorkflowOptions().ChunkSeconds,
            ["local.settings.sample.json"] = int.Parse(sample["MailImport:Workflow:ChunkSeconds"]!, CultureInfo.InvariantCulture),
            ["infra/main.bicep default"] = int.Parse(bicep.Groups[2].Value, CultureInfo.InvariantCulture),
            ["infra/main.bicep @maxValue"] = int.Parse(bicep.Groups[1].Value, CultureInfo.InvariantCulture),
        };
        // The budget is checked between batches: the batch in flight when it runs out may still wait one network
        // timeout, and saving the cursor and logging out another.
        var operation = TimeSpan.Parse(sample["MailImport:Connector:Timeout"]!, CultureInfo.InvariantCulture);
        var margin = 2 * (operation > new ConnectorOptions().Timeout ? operation : new ConnectorOptions().Timeout);
        var timeout = FunctionTimeout();

        Assert.All(chunks, chunk => Assert.True(TimeSpan.FromSeconds(chunk.Value) + margin <= timeout,
            $"{chunk.Key}: {chunk.Value} s of chunk and {margin.TotalSeconds} s of margin overrun host.json's functionTimeout {timeout}"));
    }
}
