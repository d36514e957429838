using System.Collections.Concurrent;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Faults;

/// <summary>How one mailbox's copy ended under faults.</summary>
/// <param name="Completed">True when the last chunk said the mailbox is done.</param>
/// <param name="Chunks">Chunks that returned (completed or not).</param>
/// <param name="Retried">The transient failures that were retried, in order.</param>
/// <param name="Stopped">The failure that stopped the mailbox, if one did.</param>
/// <param name="Last">The last chunk's result.</param>
internal sealed record DriveOutcome(bool Completed, int Chunks, IReadOnlyList<MailFailure> Retried, MailFailure? Stopped, ChunkResult? Last);

/// <summary>Runs chunks the way the mailbox orchestration does: a transient failure is retried after the delay the server
/// hinted (or a short one), at most <paramref name="maxAttempts"/> attempts in a row (the workflow's Retrying.MaxAttempts
/// is 6); a permanent one stops the mailbox. Every retry is logged.</summary>
internal sealed class ChunkDriver(MailboxCopier copier, ILogger logger, int maxAttempts = 6)
{

    private static readonly TimeSpan ShortDelay = TimeSpan.FromMilliseconds(50);

    public async Task<DriveOutcome> RunAsync(string mailbox, MailboxJob job, ICursorStore store, ChunkBudget budget)
    {
        var retried = new List<MailFailure>();
        var chunks = 0;
        ChunkResult? last = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                last = await copier.CopyChunkAsync(job, store, budget, CancellationToken.None);
                chunks++;
                attempt = 0;
                if (last.Completed)
                {
                    Log.MailboxDone(logger, mailbox, chunks, retried.Count);
                    return new DriveOutcome(true, chunks, retried, null, last);
                }
            }
            catch (MailFailureException e) when (e.Failure.IsTransient && attempt < maxAttempts)
            {
                retried.Add(e.Failure);
                var delay = e.Failure.RetryAfter ?? ShortDelay;
                Log.ChunkRetried(logger, mailbox, e.Failure.Code, attempt, delay, e.Failure.Message);
                await Task.Delay(delay);
            }
            catch (MailFailureException e)
            {
                Log.MailboxStopped(logger, mailbox, e.Failure.Code, e.Failure.IsTransient, e.Failure.Message);
                return new DriveOutcome(false, chunks, retried, e.Failure, last);
            }
        }
    }
}

/// <summary>The fault tests' log lines.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "{Mailbox}: chunk failed transiently ({Code}, attempt {Attempt}); retrying in {Delay}: {Reason}")]
    public static partial void ChunkRetried(ILogger logger, string mailbox, ErrorCode code, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "{Mailbox}: done in {Chunks} chunks after {Retries} retries")]
    public static partial void MailboxDone(ILogger logger, string mailbox, int chunks, int retries);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Error, Message = "{Mailbox}: stopped with {Code} (transient {Transient}): {Reason}")]
    public static partial void MailboxStopped(ILogger logger, string mailbox, ErrorCode code, bool transient, string reason);
}

/// <summary>An <see cref="ILogger"/> that keeps every line and echoes it to the test's output.</summary>
internal sealed class CapturingLogger(ITestOutputHelper output) : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = $"{logLevel} {eventId.Id}: {formatter(state, exception)}";
        Lines.Enqueue(line);
        Write(line);
    }

    public void Write(string line)
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // A proxy reporting after the test ended: nothing to show it to.
        }
    }
}
