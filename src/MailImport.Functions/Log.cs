using Microsoft.Extensions.Logging;

namespace MailImport.Functions;

/// <summary>The Functions app's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Scheduled re-run {RunId} started")]
    public static partial void ScheduledRunStarted(ILogger logger, string runId);
}
