using Microsoft.Extensions.Logging;

namespace MailImport.Workflow;

/// <summary>Every log line of the workflow, as source-generated methods: ids and counts, never a password.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Run {RunId} of batch {BatchId}: {Count} mailboxes finished")]
    public static partial void RunFinished(this ILogger logger, string runId, string batchId, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "{Activity} of {InstanceId} failed with {Code} (attempt {Attempt}); retrying in {Delay}")]
    public static partial void StepRetrying(this ILogger logger, string activity, string instanceId, MailImport.Core.Errors.ErrorCode code, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Created mailbox {Nickname} in Yandex 360 organisation {OrgId}")]
    public static partial void MailboxCreated(ILogger logger, string nickname, long orgId);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Mailbox {Nickname} already exists in Yandex 360 organisation {OrgId}; its password is left alone")]
    public static partial void MailboxAlreadyExists(ILogger logger, string nickname, long orgId);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Yandex 360 organisation {OrgId} refused mailbox {Nickname}: {Reason}")]
    public static partial void MailboxRefused(ILogger logger, string nickname, long orgId, string reason);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Yandex 360 at {BaseUrl} could not be reached: {Problem}")]
    public static partial void DirectoryUnreachable(ILogger logger, Uri baseUrl, string problem);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Warning, Message = "Yandex 360 organisation {OrgId} answered HTTP {Status}; retry after {RetryAfter}")]
    public static partial void DirectoryUnavailable(ILogger logger, long orgId, int status, TimeSpan? retryAfter);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Error, Message = "Yandex 360 refused the OAuth token for organisation {OrgId} (HTTP {Status})")]
    public static partial void DirectoryUnauthorized(ILogger logger, long orgId, int status);
}
