using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MailImport.Mail.Sync;

namespace MailImport.Bench;

/// <summary>What one "cursor" run measured, printed as one JSON line.</summary>
/// <param name="Messages">Messages each phase maps.</param>
/// <param name="AppendCpuMs">CPU for the sequential map's appends, one UID at a time.</param>
/// <param name="SparseAppendCpuMs">CPU for the sparse map's appends (every other source UID).</param>
/// <param name="RoundTripCpuMs">CPU to save the sequential map as a cursor in one save and read it back.</param>
/// <param name="SparseRoundTripCpuMs">The same for the sparse map.</param>
/// <param name="SparseBytes">The sparse cursor's bytes on disk (head and segments).</param>
/// <param name="HeadBytes">The copy's cursor head after the last batch.</param>
/// <param name="CursorBytes">The copy's whole cursor after the last batch: head and segments.</param>
/// <param name="Segments">Segments the copy's cursor names at the end.</param>
/// <param name="CopySeconds">Wall time of the copy's saves (two a batch).</param>
/// <param name="SegmentBytesPerBatch">Segment bytes the copy wrote per batch, merges included.</param>
/// <param name="Pop3Bytes">A POP3 cursor holding as many Dovecot UIDLs, saved a batch at a time: its bytes on disk.</param>
/// <param name="Pop3Seconds">Wall time of that POP3 copy's saves.</param>
internal sealed record CursorReport(
    int Messages, long AppendCpuMs, long SparseAppendCpuMs, long RoundTripCpuMs, long SparseRoundTripCpuMs, long SparseBytes,
    long HeadBytes, long CursorBytes, int Segments, double CopySeconds, long SegmentBytesPerBatch, long Pop3Bytes, double Pop3Seconds);

/// <summary>What "cursor-noop" measured: the cursor's share of a no-op re-run, in a fresh process.</summary>
/// <param name="LoadMs">Reading the head and its segments.</param>
/// <param name="SaveMs">The re-run's save: a new run id, nothing copied.</param>
/// <param name="Messages">Messages the loaded cursor maps, as a check that it is the whole cursor.</param>
internal sealed record NoopReport(double LoadMs, double SaveMs, long Messages);

/// <summary>What "cursor-size" found: the bytes of a cursor a copy left.</summary>
/// <param name="HeadBytes">The head (the JSON file itself).</param>
/// <param name="CursorBytes">The head and the segments it names.</param>
/// <param name="Segments">Segments the head names.</param>
/// <param name="Messages">Messages its UID maps hold, as a check that it is the copy's whole cursor.</param>
internal sealed record CursorSizeReport(long HeadBytes, long CursorBytes, int Segments, long Messages);

/// <summary>"cursor", "cursor-size" and "cursor-noop": the cursor's costs at a mailbox's scale, without a server, and
/// the size of one a real copy left (scripts/bench copy).</summary>
internal static class CursorCommand
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal);

    private const int Batch = 100;

    public static async Task<int> RunAsync(CommandLine line)
    {
        var directory = line.Required("--dir");
        var messages = (int)line.Number("--messages", 1_000_000, 1, 100_000_000);
        line.RejectUnread();
        Directory.CreateDirectory(directory);

        var (sequential, appendMs) = Build(messages, i => (uint)i + 1);
        var (sparse, sparseAppendMs) = Build(messages, i => 2 * (uint)i + 1);
        var roundTripMs = await RoundTripAsync(Path.Combine(directory, "sequential.cursor.json"), sequential);
        var sparsePath = Path.Combine(directory, "sparse.cursor.json");
        var sparseRoundTripMs = await RoundTripAsync(sparsePath, sparse);

        var copyPath = Path.Combine(directory, "copy.cursor.json");
        var copy = new FileCursorStore(copyPath);
        var clock = Stopwatch.StartNew();
        var segmentBytes = await CopyInBatchesAsync(copy, copyPath, messages);
        var copySeconds = clock.Elapsed.TotalSeconds;

        var pop3Path = Path.Combine(directory, "pop3.cursor.json");
        clock.Restart();
        await Pop3InBatchesAsync(new FileCursorStore(pop3Path), messages);
        var pop3Seconds = clock.Elapsed.TotalSeconds;

        var size = await SizeOfAsync(copyPath);
        var report = new CursorReport(messages, appendMs, sparseAppendMs, roundTripMs, sparseRoundTripMs, BytesOf(new FileCursorStore(sparsePath)),
            size.HeadBytes, size.CursorBytes, size.Segments, Math.Round(copySeconds, 3),
            segmentBytes / Math.Max(1, (messages + Batch - 1) / Batch), BytesOf(new FileCursorStore(pop3Path)), Math.Round(pop3Seconds, 3));
        Console.WriteLine(JsonSerializer.Serialize(report, BenchJson.Default.CursorReport));
        return 0;
    }

    /// <summary>Prints the bytes of the cursor at --cursor, as <see cref="RunAsync"/> measures its own copy's.</summary>
    public static async Task<int> SizeAsync(CommandLine line)
    {
        var path = line.Required("--cursor");
        line.RejectUnread();
        if (!File.Exists(path))
        {
            throw new UsageException($"no cursor at {path}");
        }

        Console.WriteLine(JsonSerializer.Serialize(await SizeOfAsync(path), BenchJson.Default.CursorSizeReport));
        return 0;
    }

    /// <summary>Loads the cursor, starts a new run on it and saves it, as a chunk of a re-run with nothing to copy does.</summary>
    public static async Task<int> NoopAsync(CommandLine line)
    {
        var path = line.Required("--cursor");
        var runId = line.Optional("--run-id") ?? "noop";
        line.RejectUnread();
        var store = new FileCursorStore(path);
        var clock = Stopwatch.StartNew();
        var cursor = await store.LoadAsync(CancellationToken.None) ?? throw new UsageException($"no cursor at {path}");
        var loadMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        cursor.RunId = runId;
        await store.SaveAsync(cursor, CancellationToken.None);
        var saveMs = clock.Elapsed.TotalMilliseconds;
        var report = new NoopReport(Math.Round(loadMs, 3), Math.Round(saveMs, 3), cursor.Folders.Values.Sum(f => f.Map.Count));
        Console.WriteLine(JsonSerializer.Serialize(report, BenchJson.Default.NoopReport));
        return 0;
    }

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    private static (UidMap Map, long CpuMs) Build(int messages, Func<int, uint> sourceUid)
    {
        var before = Cpu();
        var map = new UidMap();
        for (var i = 0; i < messages; i++)
        {
            map.Add(sourceUid(i), (uint)i + 1);
        }

        return (map, (long)(Cpu() - before).TotalMilliseconds);
    }

    /// <summary>CPU to save a cursor holding <paramref name="map"/> (one segment) and load it back; checks it came back.</summary>
    private static async Task<long> RoundTripAsync(string path, UidMap map)
    {
        var cursor = new MailboxCursor { RunId = "bench" };
        cursor.Folders["INBOX"] = new FolderCursor { UidValidity = 1, DestinationFolder = "INBOX", DestinationUidValidity = 1, Map = map };
        var before = Cpu();
        await new FileCursorStore(path).SaveAsync(cursor, CancellationToken.None);
        var back = await new FileCursorStore(path).LoadAsync(CancellationToken.None);
        var cpu = (long)(Cpu() - before).TotalMilliseconds;
        if (back?.Folders["INBOX"].Map is not { } read || read.Count != map.Count || !read.Runs.SequenceEqual(map.Runs))
        {
            throw new InvalidOperationException($"the cursor at {path} did not read back as saved");
        }

        return cpu;
    }

    /// <summary>Saves as the chunk loop does, a batch at a time: the journal, then the batch recorded.</summary>
    /// <returns>Segment bytes written, as the files' sizes grew.</returns>
    private static async Task<long> CopyInBatchesAsync(FileCursorStore store, string path, int messages)
    {
        var cursor = new MailboxCursor { RunId = "bench" };
        foreach (var name in new[] { "INBOX", "Sent", "Archive" })
        {
            cursor.Folders[name] = new FolderCursor { UidValidity = 1_764_000_000, DestinationFolder = name, DestinationUidValidity = 1_764_000_001, FlagsModSeq = 1 };
            cursor.Destinations[name] = new DestinationStart { UidValidity = 1_764_000_001, ForeignBelow = 1 };
        }

        var inbox = cursor.Folders["INBOX"];
        long segmentBytes = 0;
        for (var first = 0; first < messages; first += Batch)
        {
            var count = Math.Min(Batch, messages - first);
            var uids = Enumerable.Range(first + 1, count).Select(u => (uint)u).ToList();
            cursor.InFlight = new InFlightBatch { SourceFolder = "INBOX", SourceUidValidity = 1_764_000_000, Uids = uids, DestinationFolder = "INBOX", DestinationUidValidity = 1_764_000_001, DestinationUidNext = (uint)first + 1 };
            await store.SaveAsync(cursor, CancellationToken.None);
            foreach (var uid in uids)
            {
                inbox.Map.Add(uid, uid);
            }

            inbox.HighestCopiedUid = uids[^1];
            cursor.MessagesCopied += count;
            cursor.BytesCopied += count * 2_048L;
            cursor.InFlight = null;
            var segments = cursor.Parts?.Next ?? 1;
            await store.SaveAsync(cursor, CancellationToken.None);
            if (cursor.Parts!.Next > segments)
            {
                segmentBytes += new FileInfo(string.Create(CultureInfo.InvariantCulture, $"{path}.{segments}.seg")).Length;
            }
        }

        return segmentBytes;
    }

    /// <summary>A POP3 copy's saves: Dovecot's default UIDLs (%08Xu%08Xv, the UID and UIDVALIDITY in hex), a batch at a time.</summary>
    private static async Task Pop3InBatchesAsync(FileCursorStore store, int messages)
    {
        var cursor = new MailboxCursor { RunId = "bench" };
        for (var first = 0; first < messages; first += Batch)
        {
            for (var i = first; i < Math.Min(messages, first + Batch); i++)
            {
                cursor.Pop3Done.Add(string.Create(CultureInfo.InvariantCulture, $"{i + 1:X8}{1_764_000_000:X8}"));
            }

            await store.SaveAsync(cursor, CancellationToken.None);
        }
    }

    private static long BytesOf(FileCursorStore store) => store.Files().Sum(f => new FileInfo(f).Length);

    /// <summary>The head's bytes, the whole cursor's and its segments; loads it whole to count the messages it maps.</summary>
    private static async Task<CursorSizeReport> SizeOfAsync(string path)
    {
        var store = new FileCursorStore(path);
        var head = MailboxCursor.FromJson(await File.ReadAllBytesAsync(path));
        var cursor = await store.LoadAsync(CancellationToken.None);
        return new CursorSizeReport(new FileInfo(path).Length, BytesOf(store), head.Parts?.Segments.Count ?? 0,
            cursor?.Folders.Values.Sum(f => (long)f.Map.Count) ?? 0);
    }
}
