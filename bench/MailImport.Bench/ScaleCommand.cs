using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;

namespace MailImport.Bench;

/// <summary>What "scale-seed" wrote.</summary>
internal sealed record ScaleSeedReport(int Mailboxes, int Messages, long Bytes);

/// <summary>What "scale-poll" saw of the status while the run went on.</summary>
/// <param name="PageP50Ms">The import page's own call, the first page of 100 lines (?offset=0&amp;limit=100).</param>
/// <param name="PageP95Ms">Its 95th percentile.</param>
internal sealed record ScalePollReport(string Status, int Calls, double P50Ms, double P95Ms, double MaxMs, long LastBytes, double PeakRssMb,
    double PageP50Ms, double PageP95Ms);

/// <summary>What "scale-history" read from the task hub's history table.</summary>
/// <param name="Instances">Instances in the table at the last read.</param>
/// <param name="Rows">Their rows.</param>
/// <param name="TotalBytes">Their bytes.</param>
/// <param name="LargestInstance">The instance seen largest over all reads.</param>
/// <param name="LargestRows">Its rows then.</param>
/// <param name="LargestBytes">Its bytes then.</param>
internal sealed record ScaleHistoryReport(int Instances, long Rows, long TotalBytes, string LargestInstance, long LargestRows, long LargestBytes)
{
    /// <summary>Instances seen in any read.</summary>
    public int InstancesSeen { get; init; }

    /// <summary>How many times the table was read.</summary>
    public int Reads { get; init; }
}

/// <summary>The orchestration scale benchmark's parts that a shell does badly: thousands of small mailboxes written at
/// once, a status poll that times every call, and the history table read back.</summary>
internal static class ScaleCommand
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(["--credentials-only"], StringComparer.Ordinal);

    private static readonly string[] Subjects = ["Quarterly figures", "Lunch on Friday", "Contract draft", "Re: delivery dates", "Minutes"];

    /// <summary>"scale-seed": N source users in a Dovecot passwd-file, each with a maildir of M small messages, and the
    /// credential file that names them (login and password a line, the format README's credential file describes); with
    /// --existing-destination DOMAIN each also as LOGIN@DOMAIN, the destination mailbox already there. With
    /// --credentials-only, the credential file alone (for scale-host, whose mail engine is in process).</summary>
    public static async Task<int> SeedAsync(CommandLine line)
    {
        var credentialsOnly = line.Flag("--credentials-only");
        var passwd = credentialsOnly ? null : line.Required("--passwd");
        var mailRoot = credentialsOnly ? null : line.Required("--mail-dir");
        var credentials = line.Required("--credentials");
        var mailboxes = line.Number("--mailboxes", 500, 1, 20_000);
        var messages = line.Number("--messages", 3, 1, 1_000);
        var destinationDomain = line.Optional("--existing-destination");
        line.RejectUnread();

        var users = new StringBuilder();
        var file = new StringBuilder();
        long bytes = 0;
        for (var box = 1; box <= mailboxes; box++)
        {
            var login = Login(box);
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            // The format scripts/dovecot and DovecotDirectory write: base64 keeps any character of a password safe.
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(password));
            users.Append(CultureInfo.InvariantCulture, $"{login}:{{PLAIN.B64}}{encoded}::::::\n");
            if (destinationDomain is not null)
            {
                // The destination mailbox exists already, with the file's password (a two-field line's new mailbox
                // gets the source's): the run's directory read finds it and EnsureAccount creates nothing.
                users.Append(CultureInfo.InvariantCulture, $"{login}@{destinationDomain}:{{PLAIN.B64}}{encoded}::::::\n");
            }

            file.Append(CultureInfo.InvariantCulture, $"{login} {password}\n");
            bytes += mailRoot is null ? messages * InProcessMail.MessageBytes : await WriteMaildirAsync(Path.Combine(mailRoot, login), box, messages);
        }

        if (passwd is not null)
        {
            await File.AppendAllTextAsync(passwd, users.ToString());
            // Dovecot re-reads a passwd-file when its mtime (whole seconds) or size changes.
            File.SetLastWriteTimeUtc(passwd, DateTime.UtcNow.AddSeconds(1));
        }

        // Into the file the caller made (mode 600): an existing file keeps its mode.
        await File.WriteAllTextAsync(credentials, file.ToString());
        Console.WriteLine(JsonSerializer.Serialize(new ScaleSeedReport(mailboxes, messages, bytes), BenchJson.Default.ScaleSeedReport));
        return 0;
    }

    /// <summary>The source login of mailbox <paramref name="box"/>: s00001, s00002, ...</summary>
    private static string Login(int box) => string.Create(CultureInfo.InvariantCulture, $"s{box:D5}");

    /// <summary>A maildir (INBOX only) of <paramref name="messages"/> messages of about 400 bytes; returns their
    /// RFC822.SIZE (CRLF line ends) summed.</summary>
    private static async Task<long> WriteMaildirAsync(string maildir, int box, int messages)
    {
        foreach (var sub in new[] { "cur", "new", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(maildir, sub));
        }

        long bytes = 0;
        var start = new DateTimeOffset(2020, 1, 1, 9, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < messages; i++)
        {
            var date = start.AddDays(box % 365).AddHours(i);
            var text = string.Create(CultureInfo.InvariantCulture, $"""
                From: Colleague {i} <colleague{i}@old-company.example>
                To: {Login(box)}@old-company.example
                Subject: {Subjects[(box + i) % Subjects.Length]} ({box}/{i})
                Date: {date:ddd, dd MMM yyyy HH:mm:ss} +0000
                Message-ID: <scale.{box}.{i}@old-company.example>
                MIME-Version: 1.0
                Content-Type: text/plain; charset=utf-8

                Message {i} of mailbox {box}: a few lines so the copy has something to carry.
                The orchestrations, not the mail, are what this benchmark measures.

                """).ReplaceLineEndings("\n");
            var raw = Encoding.UTF8.GetBytes(text);
            var size = raw.Length + raw.Count(b => b == (byte)'\n');
            var name = string.Create(CultureInfo.InvariantCulture, $"{date.ToUnixTimeSeconds()}.M{i:D4}P{box}.scale,S={raw.Length},W={size}:2,{(i % 2 == 0 ? "S" : "")}");
            var path = Path.Combine(maildir, "cur", name);
            await File.WriteAllBytesAsync(path, raw);
            // A maildir message's INTERNALDATE is its file's mtime.
            File.SetLastWriteTimeUtc(path, date.UtcDateTime);
            bytes += size;
        }

        return bytes;
    }

    /// <summary>"scale-poll": GETs the batch's status about once a second until the run ends, timing each call, then
    /// its first page of 100 lines as the import page asks for it, timed apart; and
    /// samples the host's peak RSS (VmHWM, https://man7.org/linux/man-pages/man5/proc_pid_status.5.html).</summary>
    public static async Task<int> PollAsync(CommandLine line)
    {
        var url = line.Required("--url").TrimEnd('/');
        var key = (await File.ReadAllTextAsync(line.Required("--key-file"))).Trim();
        var batch = line.Required("--batch");
        var pid = line.Number("--pid", 0, 1, int.MaxValue);
        var timeout = TimeSpan.FromSeconds(line.Number("--timeout", 7200, 1, 86_400));
        var callsFile = line.Optional("--calls");
        line.RejectUnread();
        // Each call on a line of its own (the time it began, the status's and the page's milliseconds), so a slow call
        // can be set beside what the host and Azurite logged then.
        await using var calls = callsFile is null ? null : new StreamWriter(callsFile);

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("x-functions-key", key);
        var times = new List<double>();
        var pageTimes = new List<double>();
        var deadline = Stopwatch.StartNew();
        string status;
        long lastBytes;
        double peakKb = 0;
        while (true)
        {
            var began = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            using var answer = await http.GetAsync(new Uri($"{url}/api/imports/{batch}"));
            var body = await answer.Content.ReadAsByteArrayAsync();
            times.Add(clock.Elapsed.TotalMilliseconds);
            peakKb = Math.Max(peakKb, PeakRssKb(pid));
            if (!answer.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"scale-poll: HTTP {(int)answer.StatusCode} from the status: {Encoding.UTF8.GetString(body)}");
                return 2;
            }

            var pageClock = Stopwatch.StartNew();
            using (var page = await http.GetAsync(new Uri($"{url}/api/imports/{batch}?offset=0&limit=100")))
            {
                await page.Content.ReadAsByteArrayAsync();
                pageTimes.Add(pageClock.Elapsed.TotalMilliseconds);
            }

            if (calls is not null)
            {
                await calls.WriteLineAsync(FormattableString.Invariant($"{began:O}\t{times[^1]:F1}\t{pageTimes[^1]:F1}"));
            }

            using var json = JsonDocument.Parse(body);
            status = json.RootElement.GetProperty("status").GetString() ?? "";
            lastBytes = body.Length;
            if (json.RootElement.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object && times.Count % 30 == 1)
            {
                await Console.Error.WriteLineAsync($"  {status}: {progress.GetRawText()}");
            }

            if (status is "Completed" or "Failed" or "Terminated")
            {
                break;
            }

            if (deadline.Elapsed > timeout)
            {
                await Console.Error.WriteLineAsync($"scale-poll: the run did not end within {timeout.TotalSeconds:N0} s (still {status})");
                return 3;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        // The last call saw the run ended; the calls before it are the ones made while it went on.
        var during = times.Count > 1 ? times[..^1] : times;
        during.Sort();
        var pages = pageTimes.Count > 1 ? pageTimes[..^1] : pageTimes;
        pages.Sort();
        Console.WriteLine(JsonSerializer.Serialize(
            new ScalePollReport(status, during.Count, Percentile(during, 0.50), Percentile(during, 0.95), Math.Round(during[^1], 1), lastBytes, Math.Round(peakKb / 1024, 1),
                Percentile(pages, 0.50), Percentile(pages, 0.95)),
            BenchJson.Default.ScalePollReport));
        return 0;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(List<double> sorted, double p) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 1);

    private static double PeakRssKb(long pid)
    {
        try
        {
            var hwm = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return hwm is null ? 0 : double.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>"scale-history": the task hub's history table (DurableTask.AzureStorage keeps every instance's events
    /// in {TaskHub}History, partitioned by instance id), summed per instance. Bytes are the properties' values as
    /// stored: strings in UTF-8, binary as is, 8 for a number or a date; payloads too large for a row
    /// (DurableTask.AzureStorage moves them to blobs) count as the blob name the row keeps.</summary>
    /// <remarks>The run purges each group and mailbox once it has its result, so at the end the table holds little: with
    /// --until-file the table is read every --every-ms while the run goes, until that file exists, then once more, and
    /// each instance counts at the largest it was seen. An instance's last events before its purge can fall between two
    /// reads, so that figure is a floor, at most one interval's growth short.</remarks>
    public static async Task<int> HistoryAsync(CommandLine line)
    {
        var connection = Environment.GetEnvironmentVariable(line.Required("--connection-string-env"))
            ?? throw new UsageException("the environment variable --connection-string-env names is not set");
        var hub = line.Required("--task-hub");
        var until = line.Optional("--until-file");
        var every = TimeSpan.FromMilliseconds(line.Number("--every-ms", 5000, 500, 600_000));
        line.RejectUnread();

        var table = new TableClient(connection, $"{hub}History");
        var largestSeen = new Dictionary<string, (long Rows, long Bytes)>(StringComparer.Ordinal);
        var reads = 0;
        Dictionary<string, (long Rows, long Bytes)> last;
        while (true)
        {
            var finalRead = until is null || File.Exists(until);
            last = await ReadAsync(table);
            reads++;
            foreach (var (instance, size) in last)
            {
                if (size.Bytes > largestSeen.GetValueOrDefault(instance).Bytes)
                {
                    largestSeen[instance] = size;
                }
            }

            if (finalRead)
            {
                break;
            }

            await Task.Delay(every);
        }

        var largest = largestSeen.OrderByDescending(p => p.Value.Bytes).FirstOrDefault();
        Console.WriteLine(JsonSerializer.Serialize(
            new ScaleHistoryReport(last.Count, last.Values.Sum(v => v.Rows), last.Values.Sum(v => v.Bytes), largest.Key ?? "", largest.Value.Rows, largest.Value.Bytes)
            {
                InstancesSeen = largestSeen.Count,
                Reads = reads,
            },
            BenchJson.Default.ScaleHistoryReport));
        return 0;

        static async Task<Dictionary<string, (long Rows, long Bytes)>> ReadAsync(TableClient table)
        {
            var perInstance = new Dictionary<string, (long Rows, long Bytes)>(StringComparer.Ordinal);
            try
            {
                await foreach (var entity in table.QueryAsync<TableEntity>())
                {
                    var bytes = entity.Sum(p => SizeOf(p.Value)) + Encoding.UTF8.GetByteCount(entity.RowKey);
                    var (r, b) = perInstance.GetValueOrDefault(entity.PartitionKey);
                    perInstance[entity.PartitionKey] = (r + 1, b + bytes);
                }
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // The engine creates its tables when it starts: before that there is nothing to count.
            }

            return perInstance;
        }
    }

    private static long SizeOf(object? value) => value switch
    {
        null => 0,
        string s => Encoding.UTF8.GetByteCount(s),
        byte[] b => b.Length,
        BinaryData d => d.ToMemory().Length,
        _ => 8,
    };
}
