using Microsoft.Extensions.Logging;

namespace MailImport.Workflow;

/// <summary>Every log line of the workflow, as source-generated methods: ids and counts, never a password.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Run {RunId} of batch {BatchId}: {Count} mailboxes finished")]
    public static partial void RunFinished(this ILogger logger, string runId, string batchId, int count);
}
