namespace MailImport.Local;

/// <summary>Every log line of the local host, as source-generated methods.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Scheduled re-run {RunId} started")]
    public static partial void ScheduledRunStarted(ILogger logger, string runId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "The local secret store's key is in {Path} (made at this start: {Created}); keep the file, the secrets stored with it need it")]
    public static partial void LocalSecretKeyFile(ILogger logger, string path, bool created);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "The check for scheduled re-runs failed; it runs again in a minute")]
    public static partial void ScheduleCheckFailed(ILogger logger, Exception exception);
}
