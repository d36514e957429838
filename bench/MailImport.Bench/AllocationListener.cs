using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace MailImport.Bench;

/// <summary>"copy --memory-detail": counts the runtime's allocation samples (GCAllocationTick, one per about 100 KB
/// allocated, https://learn.microsoft.com/dotnet/fundamentals/diagnostics/runtime-garbage-collection-events) by type,
/// and reads which mappings make up the resident set (/proc/self/smaps): where a copy's memory goes.</summary>
internal sealed class AllocationListener : EventListener
{
    private readonly ConcurrentDictionary<string, long> bytes = new(StringComparer.Ordinal);

    /// <summary>Writes the types allocated most and the mappings that hold most of the resident set.</summary>
    public async Task PrintAsync(TextWriter writer)
    {
        foreach (var (type, total) in bytes.OrderByDescending(p => p.Value).Take(15))
        {
            await writer.WriteLineAsync(FormattableString.Invariant($"allocated {total / 1048576.0,8:F1} MiB {type}"));
        }

        if (!File.Exists("/proc/self/smaps"))
        {
            return;
        }

        var mappings = new Dictionary<string, long>(StringComparer.Ordinal);
        var name = "[anon]";
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 5 && parts[0].Contains('-', StringComparison.Ordinal))
            {
                name = parts.Length >= 6 ? parts[5] : "[anon]";
            }
            else if (parts is ["Rss:", var kb, "kB"])
            {
                mappings[name] = mappings.GetValueOrDefault(name) + long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        foreach (var (file, kb) in mappings.OrderByDescending(p => p.Value).Take(15))
        {
            await writer.WriteLineAsync(FormattableString.Invariant($"resident {kb / 1024.0,8:F1} MiB {file}"));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && eventData.Payload is { } payload)
        {
            var name = eventData.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? payload[t]?.ToString() ?? "?" : "?";
            var amount = eventData.PayloadNames!.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
            bytes.AddOrUpdate(name, amount, (_, v) => v + amount);
        }
    }
}
