using System.Text.Json;

namespace MailImport.Bench;

/// <summary>"seed": writes the benchmark's corpus into a maildir.</summary>
internal static class SeedCommand
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal) { "--small" };

    public static async Task<int> RunAsync(CommandLine line)
    {
        var maildir = line.Required("--maildir");
        var messages = line.Number("--messages", 5_000, 1, 1_000_000);
        var seed = line.Number("--seed", 42, 0, int.MaxValue);
        var giant = line.Number("--giant-megabytes", 0, 0, 2_000);
        var small = line.Flag("--small");
        line.RejectUnread();

        var summary = await new MaildirCorpus(messages, seed, giant, small).WriteAsync(maildir, CancellationToken.None);
        Console.WriteLine(JsonSerializer.Serialize(summary, BenchJson.Default.CorpusSummary));
        return 0;
    }
}
