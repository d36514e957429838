using System.Diagnostics;
using System.Text.Json;
using MailImport.Core;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Bench;

/// <summary>What one "copy" run did, printed as one JSON line.</summary>
/// <param name="Seconds">Wall time from before the first chunk to after the last (process start-up excluded).</param>
/// <param name="Messages">Messages copied by this run.</param>
/// <param name="Bytes">Bytes copied by this run.</param>
/// <param name="Chunks">Chunks the engine took.</param>
/// <param name="Failures">Messages the engine could not copy.</param>
/// <param name="SourceMessages">Messages at the source, as the last chunk counted them.</param>
/// <param name="SourceBytes">Bytes at the source, where the server says.</param>
/// <param name="NotExact">Messages not sent byte for byte.</param>
/// <param name="Repeats">With --repeat N, the runs after the first, in the same (warm) process.</param>
/// <param name="Memory">The first run's memory peaks, by where the memory went.</param>
internal sealed record CopyReport(double Seconds, long Messages, long Bytes, int Chunks, int Failures, long SourceMessages, long SourceBytes, long NotExact, IReadOnlyList<RepeatReport> Repeats, MemoryReport Memory);

/// <summary>One more run of the same mailbox in the same process.</summary>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="Messages">Messages it copied (0 when the first run was complete).</param>
/// <param name="Chunks">Chunks it took.</param>
internal sealed record RepeatReport(double Seconds, long Messages, int Chunks);

/// <summary>"copy": runs the engine's chunk loop to completion, as the workflow's orchestrator would.</summary>
internal static class CopyCommand
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal)
    {
        "--source-ssl", "--source-plain", "--dest-ssl", "--dest-plain", "--verbose", "--memory-detail",
    };

    /// <summary>Chunks in a row that copy nothing yet are not complete: the engine is stuck, and the run says so.</summary>
    private const int MaxIdleChunks = 3;

    public static async Task<int> RunAsync(CommandLine line)
    {
        var source = Endpoint(line, "source");
        var destination = Endpoint(line, "dest");
        var cursorPath = line.Required("--cursor");
        var runId = line.Optional("--run-id") ?? "bench";
        var defaults = new CopyOptions();
        var options = new CopyOptions
        {
            BatchMessages = line.Number("--batch-messages", defaults.BatchMessages, 1, 100_000),
            BatchBytes = line.Number("--batch-bytes", defaults.BatchBytes, 1, 1L << 40),
        };
        var budget = new ChunkBudget(
            line.Number("--chunk-messages", ChunkBudget.Default.MaxMessages, 1, int.MaxValue),
            line.Number("--chunk-bytes", ChunkBudget.Default.MaxBytes, 1, long.MaxValue),
            TimeSpan.FromSeconds(line.Number("--chunk-seconds", (long)ChunkBudget.Default.MaxDuration.TotalSeconds, 1, 86_400)));
        var protocolLog = line.Optional("--protocol-log");
        var verbose = line.Flag("--verbose");
        var repeat = line.Number("--repeat", 1, 1, 100);
        var memoryDetail = line.Flag("--memory-detail");
        line.RejectUnread();

        var job = new MailboxJob(
            runId,
            new SourceServer(MailProtocol.Imap, source.Host, source.Port, source.Security, SourceProvider.Custom, source.CertificateSha256),
            source.Account,
            new ServerEndpoint(destination.Host, destination.Port, destination.Security, destination.CertificateSha256),
            destination.Account,
            options);
        // The operator names the source on the command line, so it is the operator's allow-list, as in settings.
        var sourceAccess = new SourceAccessPolicy(new SourceAccessOptions { Allow = [source.Host] });
        var connector = new MailConnector(new ConnectorOptions { ProtocolLogDirectory = protocolLog }, sourceAccess);
        var copier = new MailboxCopier(connector, NullLogger<MailboxCopier>.Instance);
        var store = new FileCursorStore(cursorPath);

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            using var allocations = memoryDetail ? new AllocationListener() : null;
            await using var sampler = new MemorySampler(connector.Spool);
            var first = await RunToCompletionAsync(copier, job, store, budget, verbose, cancel.Token);
            var memory = await sampler.StopAsync();
            if (allocations is not null)
            {
                await allocations.PrintAsync(Console.Error);
            }

            var repeats = new List<RepeatReport>();
            for (var run = 2; run <= repeat; run++)
            {
                // Each repeat is a new run (as an admin's re-run is), in this process: what a warm host would see.
                var again = await RunToCompletionAsync(copier, job with { RunId = FormattableString.Invariant($"{runId}.{run}") }, store, budget, verbose, cancel.Token);
                repeats.Add(new RepeatReport(Math.Round(again.Seconds, 3), again.Messages, again.Chunks));
            }

            foreach (var failure in first.Last.Failures)
            {
                await Console.Error.WriteLineAsync($"failed message: folder {failure.Folder} uid {failure.Uid} uidl {failure.Uidl}: {failure.Code}: {failure.Reason}");
            }

            var report = new CopyReport(Math.Round(first.Seconds, 3), first.Messages, first.Bytes, first.Chunks, first.Last.Failures.Count,
                first.Last.MessagesTotal, first.Last.BytesTotal, first.Last.NotExact, repeats, memory);
            Console.WriteLine(JsonSerializer.Serialize(report, BenchJson.Default.CopyReport));
            return first.Last.Failures.Count > 0 ? 3 : 0;
        }
        catch (MailFailureException e)
        {
            await Console.Error.WriteLineAsync($"copy failed: {e.Failure.Code}: {e.Failure.Message} (transient: {e.Failure.IsTransient})");
            if (verbose)
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return 2;
        }
        catch (StuckException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }

    private sealed record RunOutcome(double Seconds, long Messages, long Bytes, int Chunks, ChunkResult Last);

    /// <summary>The engine returned incomplete chunks that copied nothing, again and again.</summary>
    private sealed class StuckException(string message) : Exception(message);

    /// <summary>Loops chunks until the mailbox is complete, as the orchestrator does.</summary>
    private static async Task<RunOutcome> RunToCompletionAsync(MailboxCopier copier, MailboxJob job, ICursorStore store, ChunkBudget budget, bool verbose, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long messages = 0, bytes = 0;
        int chunks = 0, idle = 0;
        ChunkResult result;
        do
        {
            try
            {
                result = await copier.CopyChunkAsync(job, store, budget, cancellationToken);
            }
            catch (MailFailureException)
            {
                await Console.Error.WriteLineAsync(FormattableString.Invariant(
                    $"run {job.RunId}: chunk {chunks + 1} failed after {messages} messages in {clock.Elapsed.TotalSeconds:F3} s"));
                throw;
            }

            chunks++;
            messages += result.CopiedThisChunk;
            bytes += result.BytesThisChunk;
            idle = result.CopiedThisChunk == 0 ? idle + 1 : 0;
            if (verbose)
            {
                await Console.Error.WriteLineAsync(FormattableString.Invariant(
                    $"run {job.RunId}: chunk {chunks}: {result.CopiedThisChunk} messages, {result.BytesThisChunk:N0} bytes; {result.MessagesCopied}/{result.MessagesTotal} copied, {result.Failures.Count} failed, {result.FlagsUpdated} flags updated, {result.Folders} folders; {clock.Elapsed.TotalSeconds:F3} s{(result.Completed ? "; complete" : "")}"));
            }

            if (!result.Completed && idle >= MaxIdleChunks)
            {
                throw new StuckException(FormattableString.Invariant(
                    $"copy stuck: {idle} chunks in a row copied nothing and the mailbox is still not complete ({result.MessagesCopied}/{result.MessagesTotal} copied)"));
            }
        }
        while (!result.Completed);

        return new RunOutcome(clock.Elapsed.TotalSeconds, messages, bytes, chunks, result);
    }

    private sealed record Side(string Host, int Port, TransportSecurity Security, string? CertificateSha256, MailAccount Account);

    private static Side Endpoint(CommandLine line, string side)
    {
        var host = line.Required($"--{side}-host");
        _ = line.Required($"--{side}-port");
        var port = line.Number($"--{side}-port", 0, 1, 65_535);
        var (ssl, plain) = (line.Flag($"--{side}-ssl"), line.Flag($"--{side}-plain"));
        if (ssl == plain)
        {
            throw new UsageException($"give exactly one of --{side}-ssl and --{side}-plain");
        }

        var certificate = line.Optional($"--{side}-cert-sha256")?.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
        var user = line.Required($"--{side}-user");
        var variable = line.Required($"--{side}-password-env");
        var password = Environment.GetEnvironmentVariable(variable)
            ?? throw new UsageException($"the environment variable {variable} (--{side}-password-env) is not set");
        return new Side(host, port, ssl ? TransportSecurity.SslOnConnect : TransportSecurity.None, certificate, new MailAccount(user, new Secret(password)));
    }
}
