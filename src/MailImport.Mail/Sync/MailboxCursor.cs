using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Mail.Sync;

/// <summary>How far one mailbox has been copied: small, serialisable, and enough to resume after a crash.</summary>
/// <remarks>
/// Modelled on mbsync's sync state. Per source folder: its UIDVALIDITY and the highest UID fully copied. The one
/// batch being appended is journaled in <see cref="InFlight"/> before the APPEND and cleared after; a cursor that
/// still has it after a crash is reconciled against the destination before anything else moves.
/// <para>Stored in parts (<see cref="SegmentedCursorStore"/>): this object's JSON is the small head, and the parts that
/// grow with the mailbox, the UID maps and the POP3 UIDLs, live in the segments <see cref="Parts"/> names. A head of
/// format 1 carried them inline; it still reads.</para>
/// </remarks>
public sealed class MailboxCursor
{
    /// <summary>The format this head is written in: 1 had the maps and UIDLs inline, 2 has them in segments.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The cursor format, so a later version can migrate an older cursor.</summary>
    public int Version { get; set; } = CurrentVersion;

    /// <summary>The run this cursor last worked for; a new run retries failed messages and re-syncs flags.</summary>
    public string? RunId { get; set; }

    /// <summary>Per source folder (full name as the source gives it).</summary>
    public Dictionary<string, FolderCursor> Folders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>POP3 sources: the UIDLs already copied. Stored in the segments, not in the head.</summary>
    [JsonIgnore]
    public UidlSet Pop3Done { get; set; } = new();

    /// <summary>The UIDLs as a head of format 1 carried them; never written.</summary>
    [JsonInclude]
    [JsonPropertyName("Pop3Done")]
    internal UidlSet? Pop3DoneInline
    {
        get => null;
        set => Pop3Done = value ?? new UidlSet();
    }

    /// <summary>The segments that hold the UID maps and UIDLs, in the order they apply; null before the first save in
    /// parts (a fresh cursor, or one of format 1).</summary>
    public CursorParts? Parts { get; set; }

    /// <summary>The batch being appended now, journaled before the APPEND; null between batches.</summary>
    public InFlightBatch? InFlight { get; set; }

    /// <summary>Messages that could not be copied, kept for the report and retried by the next run.</summary>
    public List<FailedMessage> Failures { get; set; } = [];

    /// <summary>Source folders this run could not open or STATUS, left alone for the rest of the run and tried again by the next.</summary>
    public List<FailedFolder> FailedFolders { get; set; } = [];

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

    /// <summary>Source folders copied under another name than their own (a level holding the destination's separator):
    /// source full name to destination full name, kept for later runs, which land them in the same folder whatever
    /// folders appear at the source meanwhile.</summary>
    public Dictionary<string, string> RenamedFolders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A Gmail source copied by message or per label: what became of the copied messages' labels; null otherwise.</summary>
    public GmailLabelTally? GmailLabels { get; set; }

    /// <summary>A Gmail source: All Mail's table as this run read it and which of its messages are at the destination.
    /// Stored in the segments, not in the head.</summary>
    [JsonIgnore]
    internal GmailCursor? Gmail { get; set; }

    /// <summary>Per destination folder (full name), what it held before this cursor's first APPEND into it.</summary>
    public Dictionary<string, DestinationStart> Destinations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The store now holds every map and the UIDL set as they are.</summary>
    internal void MarkStored()
    {
        foreach (var folder in Folders.Values)
        {
            folder.Map.MarkStored();
        }

        Pop3Done.MarkStored();
        Gmail?.MarkStored();
    }

    /// <summary>The cursor's head as UTF-8 JSON: everything but the maps and UIDLs, which live in <see cref="Parts"/>.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, CursorJsonContext.Default.MailboxCursor);

    /// <summary>Reads a head written by <see cref="ToJson"/>, or a whole cursor of format 1.</summary>
    public static MailboxCursor FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, CursorJsonContext.Default.MailboxCursor) ?? throw new JsonException("The cursor is empty.");
}

/// <summary>Source-generated serialisation of the cursor: a chunk reads and writes it several times, and the
/// reflection-based serialiser's first call alone costs a new worker process some 300 ms.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MailboxCursor))]
internal sealed partial class CursorJsonContext : JsonSerializerContext;

/// <summary>Over the mailbox's life, what a Gmail copy did with the labels of the messages it copied.</summary>
public sealed class GmailLabelTally
{
    /// <summary>Copied messages with a label that is a folder.</summary>
    public long Labelled { get; set; }

    /// <summary>Copied messages with none: archived mail, copied into Archive.</summary>
    public long Labelless { get; set; }

    /// <summary>Further labels kept as keywords.</summary>
    public long LabelsAsKeywords { get; set; }

    /// <summary>Further labels not kept.</summary>
    public long LabelsNotKept { get; set; }
}

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

    /// <summary>Source UID to destination UID, for keeping flags up to date on later runs. Stored in the segments.</summary>
    [JsonIgnore]
    public UidMap Map { get; set; } = new();

    /// <summary>The map as a head of format 1 carried it; never written.</summary>
    [JsonInclude]
    [JsonPropertyName("Map")]
    internal UidMap? MapInline
    {
        get => null;
        set => Map = value ?? new UidMap();
    }

    /// <summary>The run whose flag sync of this folder is done.</summary>
    public string? FlagsSyncedRun { get; set; }

    /// <summary>The source's HIGHESTMODSEQ (CONDSTORE, RFC 7162) up to which the destination has the source's flags;
    /// 0 when the source has no CONDSTORE or it is not known yet, and then flags are compared message by message.</summary>
    public ulong FlagsModSeq { get; set; }

    /// <summary>This run's flag sync of the folder, while it spans chunks: the highest source UID whose flags it has
    /// brought up to date; null when it has not started or is done.</summary>
    public uint? FlagsSyncedUpTo { get; set; }

    /// <summary>The source's HIGHESTMODSEQ when this run's flag sync of the folder began, while it spans chunks: what
    /// <see cref="FlagsModSeq"/> becomes when it is done, so a flag changed meanwhile is synced by the next run.</summary>
    public ulong? FlagsSyncFromModSeq { get; set; }
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

/// <summary>A source folder that could not be copied in this run.</summary>
public sealed class FailedFolder
{
    /// <summary>The source folder.</summary>
    public string Folder { get; set; } = "";

    /// <summary>The catalogue code.</summary>
    public MailImport.Core.Errors.ErrorCode Code { get; set; }

    /// <summary>The reason in words.</summary>
    public string Reason { get; set; } = "";
}

/// <summary>Which segments hold a cursor's UID maps and UIDLs.</summary>
public sealed class CursorParts
{
    /// <summary>The number the next segment written gets: numbers only grow, so a segment never replaces one a committed
    /// head may name.</summary>
    public long Next { get; set; } = 1;

    /// <summary>The segments, oldest first: [number, entries (runs and UIDLs) it holds].</summary>
    public List<long[]> Segments { get; set; } = [];

    /// <summary>A copy to change while the stored head still names this one.</summary>
    public CursorParts Copy() => new() { Next = Next, Segments = Segments.Select(s => (long[])s.Clone()).ToList() };
}
