using Microsoft.Extensions.Logging;

namespace MailImport.Workflow;

/// <summary>Every log line of the workflow, as source-generated methods: ids and counts, never a password.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Run {RunId} of batch {BatchId}: {Count} mailboxes finished")]
    public static partial void RunFinished(this ILogger logger, string runId, string batchId, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "{Activity} of {InstanceId} failed with {Code} (attempt {Attempt}); retrying in {Delay}")]
    public static partial void StepRetrying(this ILogger logger, string activity, string instanceId, MailImport.Core.Errors.ErrorCode code, int attempt, TimeSpan delay);

    // One line per activity outcome. The batch, run and line are in the scope (StepLogging), not in the message.

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Credential file ingested: {Entries} mailboxes, {Invalid} invalid lines")]
    public static partial void CredentialsIngested(this ILogger logger, int entries, int invalid);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Run planned: {Mailboxes} mailboxes ({Mode}); batch closed: {Closed}")]
    public static partial void RunPlanned(this ILogger logger, int mailboxes, MailImport.Core.Batches.RunMode mode, bool closed);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Domain {Domain} is confirmed at the destination")]
    public static partial void DomainConfirmed(this ILogger logger, string domain);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Source login succeeded: {Folders} folders, {Messages} messages, {Bytes} bytes")]
    public static partial void SourceChecked(this ILogger logger, int folders, long messages, long bytes);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Destination username free: {Free}")]
    public static partial void UsernameChecked(this ILogger logger, bool free);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Information, Message = "Destination mailbox {Outcome}; created by this batch: {Ours}")]
    public static partial void AccountEnsured(this ILogger logger, MailImport.Infrastructure.Provisioning.ProvisioningOutcome outcome, bool ours);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Information, Message = "Chunk done: {Copied} of {Total} messages copied, {Refused} refused, {BytesCopied} bytes; mailbox complete: {Completed}")]
    public static partial void ChunkCopied(this ILogger logger, long copied, long total, int refused, long bytesCopied, bool completed);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Information, Message = "Report written: {Lines} lines")]
    public static partial void ReportWritten(this ILogger logger, int lines);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Information, Message = "Batch closed: {Secrets} secrets deleted (its data key, its container of sealed passwords, and the blobs deleted one by one)")]
    public static partial void BatchClosed(this ILogger logger, int secrets);

    [LoggerMessage(EventId = 6063, Level = LogLevel.Information, Message = "Purged the engine's history of {Purged} of the group's {Lines} mailbox orchestrations")]
    public static partial void MailboxHistoriesPurged(this ILogger logger, int purged, int lines);

    [LoggerMessage(EventId = 6062, Level = LogLevel.Information, Message = "Batch closing: {Secrets} secrets deleted in this page, more to go")]
    public static partial void BatchClosePage(this ILogger logger, int secrets);

    [LoggerMessage(EventId = 6023, Level = LogLevel.Information, Message = "Batch closed for idleness: its last run started at {LastRunStarted:u}, schedule {Schedule}; its upload and secrets are deleted next")]
    public static partial void BatchClosedForIdleness(this ILogger logger, DateTimeOffset lastRunStarted, string? schedule);

    [LoggerMessage(EventId = 6064, Level = LogLevel.Warning, Message = "Batch {BatchId} closed, its secrets deleted at {SecretsDeletedAt:u}, had sealed passwords written after that; deleted them")]
    public static partial void LateSealedPasswordsDeleted(this ILogger logger, string batchId, DateTimeOffset secretsDeletedAt);

    [LoggerMessage(EventId = 6024, Level = LogLevel.Warning, Message = "Batch {BatchId} was marked closed at {ClosedAt:u} but its deletion never finished; finishing it")]
    public static partial void InterruptedCloseFound(this ILogger logger, string batchId, DateTimeOffset? closedAt);

    [LoggerMessage(EventId = 6025, Level = LogLevel.Warning, Message = "The schedule's pass over batch {BatchId} failed; the next pass tries again")]
    public static partial void RetentionPassFailed(this ILogger logger, string batchId, Exception exception);

    [LoggerMessage(EventId = 6027, Level = LogLevel.Warning, Message = "The schedule's sweep of old Idempotency-Key and hold records failed; the next pass tries again")]
    public static partial void RecordSweepFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6026, Level = LogLevel.Information, Message = "The destination mailbox is held by line {Line} of batch {HolderBatchId}; this chunk waits for it")]
    public static partial void DestinationMailboxHeld(this ILogger logger, string holderBatchId, int line);

    [LoggerMessage(EventId = 6050, Level = LogLevel.Information, Message = "The source account is paused until {Until:o} ({Code}); this chunk copies nothing")]
    public static partial void SourcePaused(this ILogger logger, DateTimeOffset until, MailImport.Core.Errors.ErrorCode code);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Information, Message = "The source account's download budget gave this chunk {Granted} bytes; it downloaded {Downloaded}")]
    public static partial void SourceBudgetSettled(this ILogger logger, long granted, long downloaded);

    [LoggerMessage(EventId = 6060, Level = LogLevel.Information, Message = "All {Count} slots of the {Kind} limit are taken, by this host or others; this step waits for one")]
    public static partial void LimitFull(this ILogger logger, MailImport.Infrastructure.Limits.SlotKind kind, int count);

    [LoggerMessage(EventId = 6061, Level = LogLevel.Warning, Message = "A concurrency slot of this chunk could not be renewed; the chunk stops, and the copy goes on from its cursor once it has its slots again")]
    public static partial void LimitSlotLost(this ILogger logger);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Information, Message = "Destination directory read: {Mailboxes} mailboxes exist")]
    public static partial void DirectoryRead(this ILogger logger, int mailboxes);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "{Step} failed with {Code}")]
    public static partial void StepFailed(this ILogger logger, string step, MailImport.Core.Errors.ErrorCode code);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "{Step} threw {Code} (transient: {Transient})")]
    public static partial void StepThrewFailure(this ILogger logger, string step, MailImport.Core.Errors.ErrorCode code, bool transient);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Error, Message = "{Step} threw {ExceptionType}")]
    public static partial void StepThrew(this ILogger logger, string step, string exceptionType);

    // The HTTP API's audit: one line per call, naming the caller by id (never a key or token).

    [LoggerMessage(EventId = 6040, Level = LogLevel.Information, Message = "API {Action} of batch {BatchId} by {Caller} (app {AppId}) answered {Status}")]
    public static partial void ApiCalled(this ILogger logger, string action, string batchId, string caller, string? appId, int status);

    [LoggerMessage(EventId = 6041, Level = LogLevel.Warning, Message = "A bearer token was refused: {Reason}")]
    public static partial void TokenRefused(this ILogger logger, string reason);

    [LoggerMessage(EventId = 6042, Level = LogLevel.Error, Message = "The Entra ID metadata at {MetadataAddress} could not be read ({ExceptionType}); bearer tokens are refused until it can")]
    public static partial void EntraMetadataUnavailable(this ILogger logger, Uri metadataAddress, string exceptionType);

    [LoggerMessage(EventId = 6043, Level = LogLevel.Error, Message = "The audit line of {Action} on batch {BatchId} could not be stored (HTTP {Status})")]
    public static partial void AuditNotStored(this ILogger logger, string action, string batchId, int status);
}
