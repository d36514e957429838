using System.Diagnostics;
using MailImport.Mail.Sync;

namespace MailImport.Bench;

/// <summary>Where a copy's memory went, at its peaks: the process's resident set, the managed heap the GC holds
/// committed, the objects live after the last GC, and the message bytes the spool held in memory.</summary>
/// <param name="RssMb">Peak resident set of the process (VmHWM), MiB.</param>
/// <param name="GcCommittedMb">Peak managed memory the GC held committed, MiB.</param>
/// <param name="GcHeapMb">Peak heap size as the last GC left it, MiB.</param>
/// <param name="SpoolMb">Peak message bytes held in the spool's memory blocks, MiB.</param>
/// <param name="AnonMb">Anonymous memory (heaps, stacks, JIT code) in the resident set when it was at its largest, MiB.</param>
/// <param name="FileMb">File-backed pages (the runtime's and assemblies' images) in it then, MiB.</param>
/// <param name="AllocatedMb">Managed bytes allocated during the run, MiB.</param>
/// <param name="Gcs">Collections of generations 0, 1 and 2 during the run.</param>
internal sealed record MemoryReport(double RssMb, double GcCommittedMb, double GcHeapMb, double SpoolMb, double AnonMb, double FileMb, double AllocatedMb, IReadOnlyList<int> Gcs);

/// <summary>Samples the process every 50 ms while a copy runs (a benchmark's instrument, not the product's): the peaks
/// say whether the resident set is managed heap, message blocks or the runtime itself. Every 5 ms cost the copy 4% of
/// its CPU (reading /proc/self/status), so it samples seldom; the resident peak itself is the kernel's (VmHWM).</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private const double Mib = 1024 * 1024;
    private readonly MessageSpool spool;
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private readonly long allocatedAtStart = GC.GetTotalAllocatedBytes();
    private readonly int[] gcsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private long gcCommitted, gcHeap, spoolBytes, rss, anon, file;

    public MemorySampler(MessageSpool spool)
    {
        this.spool = spool;
        sampling = Task.Run(SampleAsync);
    }

    /// <summary>Stops sampling and reports the peaks.</summary>
    public async Task<MemoryReport> StopAsync()
    {
        await stop.CancelAsync();
        await sampling;
        Sample();
        return new MemoryReport(Math.Round(PeakRssBytes() / Mib, 1), Math.Round(gcCommitted / Mib, 1), Math.Round(gcHeap / Mib, 1),
            Math.Round(spoolBytes / Mib, 1), Math.Round(anon / Mib, 1), Math.Round(file / Mib, 1), Math.Round((GC.GetTotalAllocatedBytes() - allocatedAtStart) / Mib, 1),
            [GC.CollectionCount(0) - gcsAtStart[0], GC.CollectionCount(1) - gcsAtStart[1], GC.CollectionCount(2) - gcsAtStart[2]]);
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Sample()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        gcCommitted = Math.Max(gcCommitted, info.TotalCommittedBytes);
        gcHeap = Math.Max(gcHeap, info.HeapSizeBytes);
        spoolBytes = Math.Max(spoolBytes, spool.InMemoryBytes);
        if (File.Exists("/proc/self/status"))
        {
            var now = Status();
            if (now.GetValueOrDefault("VmRSS:") > rss)
            {
                rss = now["VmRSS:"];
                anon = now.GetValueOrDefault("RssAnon:");
                file = now.GetValueOrDefault("RssFile:");
            }
        }
    }

    /// <summary>The byte counts of /proc/self/status (its "kB" lines).</summary>
    private static Dictionary<string, long> Status()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts is [var key, var value, "kB"])
            {
                values[key] = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return values;
    }

    /// <summary>VmHWM from /proc/self/status (Linux), else the working set's peak.</summary>
    private static long PeakRssBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            return Status().GetValueOrDefault("VmHWM:");
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
