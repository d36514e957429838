using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Faults;

/// <summary>One scenario's line in the fault table.</summary>
/// <param name="Scenario">What was done to the wire.</param>
/// <param name="Faults">Faults the proxies injected.</param>
/// <param name="Retries">Transient failures the driver retried.</param>
/// <param name="Copied">Messages at the destinations.</param>
/// <param name="Lost">Source messages missing at the destination (must be 0).</param>
/// <param name="Duplicated">Destination messages beyond their source's count (must be 0).</param>
/// <param name="Note">What else the scenario checked.</param>
internal sealed record FaultRow(string Scenario, int Faults, int Retries, int Copied, int Lost, int Duplicated, string Note);

/// <summary>The table of issue #7: per scenario, faults injected, retries, messages copied, lost, duplicated. Every
/// scenario adds its row; the whole table is rewritten to test-results/fault-table.txt each time.</summary>
internal static class FaultTable
{
    private static readonly ConcurrentDictionary<string, FaultRow> Rows = new(StringComparer.Ordinal);
    private static readonly Lock Writing = new();

    public static string FilePath { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") is { Length: > 0 } run ? run : Path.Combine(RepositoryPaths.Root, ".run"),
        "test-results", "fault-table.txt");

    /// <summary>Adds (or replaces) a row and returns the table as it now stands.</summary>
    public static string Add(FaultRow row)
    {
        Rows[row.Scenario] = row;
        lock (Writing)
        {
            var text = Format(Rows.Values.OrderBy(r => r.Scenario, StringComparer.Ordinal).ToList());
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.WriteAllText(FilePath, text);
            return text;
        }
    }

    private static string Format(List<FaultRow> rows)
    {
        string[] header = ["scenario", "faults injected", "retries", "messages copied", "lost", "duplicated", "note"];
        var cells = rows.Select(r => new[]
        {
            r.Scenario, Number(r.Faults), Number(r.Retries), Number(r.Copied), Number(r.Lost), Number(r.Duplicated), r.Note,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Select(c => c[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(string[] values) => text.AppendLine(string.Join("  ", values.Select((v, i) =>
            i is 0 or 6 ? v.PadRight(widths[i]) : v.PadLeft(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        cells.ForEach(Line);
        Line(["total", Number(rows.Sum(r => r.Faults)), Number(rows.Sum(r => r.Retries)), Number(rows.Sum(r => r.Copied)),
            Number(rows.Sum(r => r.Lost)), Number(rows.Sum(r => r.Duplicated)), ""]);
        return text.ToString();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
