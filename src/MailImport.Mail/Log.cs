using MailImport.Core.Errors;
using MailImport.Core.Sources;
using Microsoft.Extensions.Logging;

namespace MailImport.Mail;

/// <summary>Every log line of the copy engine, as source-generated methods: run ids, folders, UIDs and counts, never a
/// message's content, a login or a password. The workflow adds the batch and mailbox as scopes.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information,
        Message = "Chunk of run {RunId} started: {Protocol} source, {MessagesCopied} messages copied before, journal to reconcile {Journaled}")]
    public static partial void ChunkStarted(ILogger logger, string runId, MailProtocol protocol, long messagesCopied, bool journaled);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information,
        Message = "Chunk of run {RunId} ended (mailbox complete {Completed}): {Messages} messages, {Bytes} bytes copied, {FlagsUpdated} flags updated, {Failures} failures, in {ElapsedMs} ms")]
    public static partial void ChunkEnded(ILogger logger, string runId, bool completed, long messages, long bytes, long flagsUpdated, int failures, long elapsedMs);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning,
        Message = "Chunk of run {RunId} stopped with {Code} (transient {Transient}) after {Messages} messages, {Bytes} bytes copied, {Failures} failures, in {ElapsedMs} ms")]
    public static partial void ChunkStopped(ILogger logger, string runId, ErrorCode code, bool transient, long messages, long bytes, int failures, long elapsedMs);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information,
        Message = "Journal of folder {Folder} reconciled: {Found} of {Journaled} messages found at the destination, {Missing} to copy")]
    public static partial void JournalReconciled(ILogger logger, string folder, int journaled, int found, int missing);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information,
        Message = "Journal of folder {Folder} dropped: its destination folder is gone or its source folder is re-matched")]
    public static partial void JournalDropped(ILogger logger, string folder);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning,
        Message = "UIDVALIDITY of folder {Folder} changed from {Previous} to {Current}: re-matched by identity, {Matched} messages already at the destination")]
    public static partial void UidValidityChanged(ILogger logger, string folder, uint previous, uint current, int matched);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Message {Message} of folder {Folder} not copied: {Code}")]
    public static partial void MessageRefused(ILogger logger, string folder, string message, ErrorCode code);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information,
        Message = "Folder {Folder}: {Skipped} messages of a batch already at the destination folder {Destination} (put there before this cursor), not copied again")]
    public static partial void AlreadyAtDestination(ILogger logger, string folder, string destination, int skipped);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Folder {Folder} not copied in this run: {Code}")]
    public static partial void FolderNotCopied(ILogger logger, string folder, ErrorCode code);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Message {Message} of folder {Folder} copied, but not byte for byte")]
    public static partial void MessageNotExact(ILogger logger, string folder, string message);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information,
        Message = "Chunk of run {RunId} reached its time budget of {BudgetMs} ms in the middle of a server call, which was cancelled; the cursor is saved and the next chunk goes on from it")]
    public static partial void ChunkDeadline(ILogger logger, string runId, long budgetMs);
}
