namespace MailImport.Mail.Sync;

/// <summary>One message of Gmail's All Mail as a run read it: its UID there, its X-GM-MSGID and its labels (an index into
/// <see cref="GmailMessageTable.LabelSets"/>).</summary>
internal readonly record struct GmailMessageEntry(uint Uid, ulong MessageId, int LabelSet);

/// <summary>All Mail's messages with their X-GM-MSGID and X-GM-LABELS, read once per run and kept in the cursor's
/// segments, so every later chunk of the run plans from it instead of fetching every message's labels again.</summary>
/// <remarks>X-GM-MSGID is "a unique ID for each email" that does not change (Google's IMAP Extensions page,
/// https://developers.google.com/gmail/imap/imap-extensions, "Access to the Gmail unique message ID"): the table is
/// what pairs All Mail's UIDs under one UIDVALIDITY with it, so a later run that finds another UIDVALIDITY knows which
/// of the new UIDs were copied.</remarks>
internal sealed class GmailMessageTable
{
    /// <summary>All Mail's UIDVALIDITY when the table was read.</summary>
    public uint UidValidity { get; init; }

    /// <summary>The run that read it.</summary>
    public string RunId { get; init; } = "";

    /// <summary>The distinct label sets, each sorted ordinally.</summary>
    public List<string[]> LabelSets { get; init; } = [];

    /// <summary>Per label set, the bytes of its messages: the plan's sizes. A message's own size is read when it is
    /// copied, so the table does not keep it (it would be a third of the table).</summary>
    public List<long> LabelSetBytes { get; init; } = [];

    /// <summary>The messages in UID order.</summary>
    public List<GmailMessageEntry> Messages { get; init; } = [];

    /// <summary>Whether the store holds this table; a new one is written whole with the next save.</summary>
    internal bool Stored { get; set; }

    /// <summary>Builds a table from FETCH answers, in any order.</summary>
    public static GmailMessageTable Of(uint uidValidity, string runId, IEnumerable<(uint Uid, ulong MessageId, IEnumerable<string> Labels, uint Size)> messages)
    {
        var sets = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = new GmailMessageTable { UidValidity = uidValidity, RunId = runId };
        foreach (var (uid, messageId, labels, size) in messages.OrderBy(m => m.Uid))
        {
            var sorted = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            // U+0000 cannot be in a label (IMAP strings carry no NUL, RFC 3501 section 4.3), so it joins them unambiguously.
            var key = string.Join('\0', sorted);
            if (!sets.TryGetValue(key, out var index))
            {
                sets[key] = index = table.LabelSets.Count;
                table.LabelSets.Add(sorted);
                table.LabelSetBytes.Add(0);
            }

            table.LabelSetBytes[index] += size;
            table.Messages.Add(new GmailMessageEntry(uid, messageId, index));
        }

        return table;
    }
}

/// <summary>What a cursor keeps of a Gmail source copied by message: the run's <see cref="GmailMessageTable"/> and the
/// All Mail UIDs (under the table's UIDVALIDITY) of the messages at the destination, whatever view copied them. Both
/// live in the segments.</summary>
internal sealed class GmailCursor
{
    private readonly List<uint> unsaved = [];

    /// <summary>The table the last run read; null before the first.</summary>
    public GmailMessageTable? Table { get; set; }

    /// <summary>All Mail UIDs, under <see cref="GmailMessageTable.UidValidity"/>, of messages at the destination.</summary>
    public SortedSet<uint> Copied { get; private set; } = [];

    /// <summary>Whether the store holds everything <see cref="Copied"/> held before <see cref="Unsaved"/>.</summary>
    internal bool CopiedStored { get; private set; }

    /// <summary>UIDs added to <see cref="Copied"/> since the last save.</summary>
    internal IReadOnlyList<uint> Unsaved => unsaved;

    /// <summary>Records that the message of this All Mail UID is at the destination.</summary>
    public void MarkCopied(uint uid)
    {
        if (Copied.Add(uid))
        {
            unsaved.Add(uid);
        }
    }

    /// <summary>Replaces the copied set (All Mail's UIDVALIDITY changed and its UIDs were translated); written whole next save.</summary>
    public void ReplaceCopied(IEnumerable<uint> uids)
    {
        Copied = [.. uids];
        CopiedStored = false;
        unsaved.Clear();
    }

    /// <summary>Records UIDs the store already holds (read back from it).</summary>
    internal void Absorb(IEnumerable<uint> uids) => Copied.UnionWith(uids);

    /// <summary>The store now holds the table and the copied set as they are.</summary>
    internal void MarkStored()
    {
        if (Table is not null)
        {
            Table.Stored = true;
        }

        CopiedStored = true;
        unsaved.Clear();
    }
}
