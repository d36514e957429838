using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Mail.Sync;

/// <summary>How far one mailbox has been copied: small, serialisable, and enough to resume after a crash.</summary>
/// <remarks>
/// Modelled on mbsync's sync state. Per source folder: its UIDVALIDITY and the highest UID fully copied. The one
/// batch being appended is journaled in <see cref="InFlight"/> before the APPEND and cleared after; a cursor that
/// still has it after a crash is reconciled against the destination before anything else moves.
/// </remarks>
public sealed class MailboxCursor
{
    /// <summary>The cursor format, so a later version can migrate an older cursor.</summary>
    public int Version { get; set; } = 1;

    /// <summary>The run this cursor last worked for; a new run retries failed messages and re-syncs flags.</summary>
    public string? RunId { get; set; }

    /// <summary>Per source folder (full name as the source gives it).</summary>
    public Dictionary<string, FolderCursor> Folders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>POP3 sources: the UIDLs already copied.</summary>
    public HashSet<string> Pop3Done { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The batch being appended now, journaled before the APPEND; null between batches.</summary>
    public InFlightBatch? InFlight { get; set; }

    /// <summary>Messages that could not be copied, kept for the report and retried by the next run.</summary>
    public List<FailedMessage> Failures { get; set; } = [];

    /// <summary>Messages copied over the mailbox's life, including earlier runs.</summary>
    public long MessagesCopied { get; set; }

    /// <summary>Bytes copied over the mailbox's life.</summary>
    public long BytesCopied { get; set; }

    /// <summary>Messages not copied because the destination already held them (also counted in <see cref="MessagesCopied"/>).</summary>
    public long AlreadyAtDestination { get; set; }

    /// <summary>Messages copied though not byte for byte, over the mailbox's life.</summary>
    public long NotExactCount { get; set; }

    /// <summary>The first <see cref="MailImport.Core.Reports.MailboxReport.MaxNotExactListed"/> of them, for the report.</summary>
    public List<MailImport.Core.Reports.NotExactMessage> NotExact { get; set; } = [];

    /// <summary>POP3 sources: copied messages whose arrival date came from the Date header.</summary>
    public long DatesFromDateHeader { get; set; }

    /// <summary>POP3 sources: copied messages whose arrival date came from the topmost Received header.</summary>
    public long DatesFromReceived { get; set; }

    /// <summary>POP3 sources: copied messages given no arrival date, so dated at the import.</summary>
    public long DatesFromImportTime { get; set; }

    /// <summary>Per destination folder (full name), what it held before this cursor's first APPEND into it.</summary>
    public Dictionary<string, DestinationStart> Destinations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The cursor as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, CursorJsonContext.Default.MailboxCursor);

    /// <summary>Reads a cursor written by <see cref="ToJson"/>.</summary>
    public static MailboxCursor FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, CursorJsonContext.Default.MailboxCursor) ?? throw new JsonException("The cursor is empty.");
}

/// <summary>Source-generated serialisation of the cursor: a chunk reads and writes it several times, and the
/// reflection-based serialiser's first call alone costs a new worker process some 300 ms.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MailboxCursor))]
internal sealed partial class CursorJsonContext : JsonSerializerContext;

/// <summary>How far one source folder has been copied.</summary>
public sealed class FolderCursor
{
    /// <summary>The source folder's UIDVALIDITY when its UIDs were recorded; a change invalidates them.</summary>
    public uint UidValidity { get; set; }

    /// <summary>Every source UID up to this one is copied (or recorded as failed).</summary>
    public uint HighestCopiedUid { get; set; }

    /// <summary>Source UIDs above <see cref="HighestCopiedUid"/> already at the destination (found by reconcile).</summary>
    public SortedSet<uint> CopiedAbove { get; set; } = [];

    /// <summary>Source UIDs at or below <see cref="HighestCopiedUid"/> to try again: they failed in an earlier run.</summary>
    public SortedSet<uint> Retry { get; set; } = [];

    /// <summary>The destination folder it is copied into.</summary>
    public string DestinationFolder { get; set; } = "";

    /// <summary>The destination folder's UIDVALIDITY when <see cref="Map"/> was recorded.</summary>
    public uint DestinationUidValidity { get; set; }

    /// <summary>Source UID to destination UID, for keeping flags up to date on later runs.</summary>
    public UidMap Map { get; set; } = new();

    /// <summary>The run whose flag sync of this folder is done.</summary>
    public string? FlagsSyncedRun { get; set; }

    /// <summary>The source's HIGHESTMODSEQ (CONDSTORE, RFC 7162) up to which the destination has the source's flags;
    /// 0 when the source has no CONDSTORE or it is not known yet, and then flags are compared message by message.</summary>
    public ulong FlagsModSeq { get; set; }
}

/// <summary>What a destination folder held when this cursor first opened it: every UID below
/// <see cref="ForeignBelow"/> was put there by someone else (an earlier batch, the user, another tool).</summary>
public sealed class DestinationStart
{
    /// <summary>The folder's UIDVALIDITY then; a change means the folder was re-created and is looked at afresh.</summary>
    public uint UidValidity { get; set; }

    /// <summary>The folder's UIDNEXT then, or 1 when it was empty: UIDs only grow (RFC 3501 section 2.3.1.1), so every
    /// message this cursor appends has a UID at or above it.</summary>
    public uint ForeignBelow { get; set; }
}

/// <summary>The journal entry of the batch being appended.</summary>
public sealed class InFlightBatch
{
    /// <summary>The source folder (IMAP) or INBOX (POP3).</summary>
    public string SourceFolder { get; set; } = "";

    /// <summary>The source folder's UIDVALIDITY (IMAP).</summary>
    public uint SourceUidValidity { get; set; }

    /// <summary>The source UIDs in the batch, in append order (IMAP).</summary>
    public List<uint> Uids { get; set; } = [];

    /// <summary>The UIDLs in the batch, in append order (POP3).</summary>
    public List<string> Uidls { get; set; } = [];

    /// <summary>The destination folder.</summary>
    public string DestinationFolder { get; set; } = "";

    /// <summary>The destination folder's UIDVALIDITY before the APPEND.</summary>
    public uint DestinationUidValidity { get; set; }

    /// <summary>The destination folder's UIDNEXT before the APPEND: anything we appended has a UID at or above it.</summary>
    public uint DestinationUidNext { get; set; }
}

/// <summary>A message that could not be copied.</summary>
public sealed class FailedMessage
{
    /// <summary>The source folder.</summary>
    public string Folder { get; set; } = "";

    /// <summary>The source UID (IMAP).</summary>
    public uint? Uid { get; set; }

    /// <summary>The UIDL (POP3).</summary>
    public string? Uidl { get; set; }

    /// <summary>The size in bytes, when known.</summary>
    public long? Size { get; set; }

    /// <summary>The catalogue code.</summary>
    public MailImport.Core.Errors.ErrorCode Code { get; set; }

    /// <summary>The reason in words.</summary>
    public string Reason { get; set; } = "";
}
