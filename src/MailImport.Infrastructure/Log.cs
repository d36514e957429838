using Microsoft.Extensions.Logging;

namespace MailImport.Infrastructure;

/// <summary>Every log line of the adapters, as source-generated methods: ids and counts, never a password or a token.</summary>
internal static partial class Log
{
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

    [LoggerMessage(EventId = 6107, Level = LogLevel.Information, Message = "Read {Count} users of Yandex 360 organisation {OrgId} in {Pages} pages")]
    public static partial void UsersListed(ILogger logger, int count, int pages, long orgId);

    [LoggerMessage(EventId = 6108, Level = LogLevel.Information, Message = "Yandex ID issued a mail token for {Email}, valid for {Lifetime}")]
    public static partial void MailTokenIssued(ILogger logger, string email, TimeSpan lifetime);

    [LoggerMessage(EventId = 6109, Level = LogLevel.Warning, Message = "Yandex ID refused a mail token for {Email} (HTTP {Status}): {Refusal}")]
    public static partial void MailTokenRefused(ILogger logger, string email, int status, string refusal);

    [LoggerMessage(EventId = 6110, Level = LogLevel.Warning, Message = "Yandex ID at {TokenUrl} could not issue a mail token: {Problem}")]
    public static partial void MailTokenUnavailable(ILogger logger, Uri tokenUrl, string problem);

    [LoggerMessage(EventId = 6111, Level = LogLevel.Information, Message = "{Provider} issued a source token for {Login}, valid for {Lifetime}")]
    public static partial void SourceTokenIssued(ILogger logger, string provider, string login, TimeSpan lifetime);

    [LoggerMessage(EventId = 6112, Level = LogLevel.Warning, Message = "{Provider} refused a source token for {Login}: {Refusal}")]
    public static partial void SourceTokenRefused(ILogger logger, string provider, string login, string refusal);

    [LoggerMessage(EventId = 6113, Level = LogLevel.Warning, Message = "{Provider} could not issue a source token for {Login}: {Problem}")]
    public static partial void SourceTokenUnavailable(ILogger logger, string provider, string login, string problem);
}
