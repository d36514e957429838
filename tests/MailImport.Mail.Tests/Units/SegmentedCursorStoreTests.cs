using System.Text;
using System.Text.Json;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;

namespace MailImport.Mail.Tests.Units;

/// <summary>The cursor kept as a small head and segments: what is saved comes back, a batch writes little, a million
/// messages fit in a small cursor, a cursor of the earlier format still reads, and a save cut short at any write leaves
/// the cursor before it.</summary>
public class SegmentedCursorStoreTests
{
    private const int Million = 1_000_000;
    private const int Batch = 100;

    /// <summary>A cursor of format 1 as the earlier release stored it, mid-batch: maps and UIDLs inline, a journal.</summary>
    private const string Format1Cursor = """
        {"Version":1,"RunId":"run-1","Folders":{"INBOX":{"UidValidity":1700000000,"HighestCopiedUid":1300,"CopiedAbove":[1303],"Retry":[17],"DestinationFolder":"INBOX","DestinationUidValidity":42,"Map":{"Runs":[[1,1,3],[5,4,2],[1300,6,1]]},"FlagsSyncedRun":"run-0","FlagsModSeq":99},"Sent":{"UidValidity":5,"HighestCopiedUid":2,"CopiedAbove":[],"Retry":[],"DestinationFolder":"Sent","DestinationUidValidity":6,"Map":{"Runs":[[1,10,2]]},"FlagsModSeq":0}},"Pop3Done":["UIDL-0001","UIDL-0002"],"InFlight":{"SourceFolder":"INBOX","SourceUidValidity":1700000000,"Uids":[1305,1301],"Uidls":[],"DestinationFolder":"INBOX","DestinationUidValidity":42,"DestinationUidNext":7},"Failures":[],"MessagesCopied":8,"BytesCopied":8000,"AlreadyAtDestination":0,"Destinations":{"INBOX":{"UidValidity":42,"ForeignBelow":1}}}
        """;

    private static MailboxCursor Load(SegmentedCursorStore store) => store.LoadAsync(CancellationToken.None).GetAwaiter().GetResult()!;

    private static void Save(SegmentedCursorStore store, MailboxCursor cursor) => store.SaveAsync(cursor, CancellationToken.None).GetAwaiter().GetResult();

    private static string Runs(UidMap map) => string.Join(" ", map.Runs.Select(r => $"[{r.Source},{r.Destination},{r.Count}]"));

    /// <summary>A cursor with the folder states a large mailbox has: a few folders, counters, a failure or two.</summary>
    private static MailboxCursor LargeMailbox()
    {
        var cursor = new MailboxCursor { RunId = "run-2026-12-03T09:00", MessagesCopied = 0, BytesCopied = 0 };
        foreach (var name in new[] { "INBOX", "Sent", "Archive/2025", "Archive/2026" })
        {
            cursor.Folders[name] = new FolderCursor { UidValidity = 1_764_000_000, DestinationFolder = name, DestinationUidValidity = 1_764_000_001, FlagsModSeq = 123_456_789 };
            cursor.Destinations[name] = new DestinationStart { UidValidity = 1_764_000_001, ForeignBelow = 1 };
        }

        return cursor;
    }

    /// <summary>Copies <paramref name="messages"/> as the chunk loop does: per batch, journal and save, record and save.</summary>
    private static void CopyInBatches(SegmentedCursorStore store, MailboxCursor cursor, int messages, Func<int, uint> sourceUid)
    {
        var folder = cursor.Folders["INBOX"];
        for (var first = 0; first < messages; first += Batch)
        {
            var count = Math.Min(Batch, messages - first);
            var uids = Enumerable.Range(first, count).Select(sourceUid).ToList();
            cursor.InFlight = new InFlightBatch { SourceFolder = "INBOX", SourceUidValidity = folder.UidValidity, Uids = uids, DestinationFolder = "INBOX", DestinationUidValidity = 1, DestinationUidNext = (uint)first + 1 };
            Save(store, cursor);
            for (var i = 0; i < count; i++)
            {
                folder.Map.Add(uids[i], (uint)(first + i + 1));
            }

            folder.HighestCopiedUid = uids[^1];
            cursor.MessagesCopied += count;
            cursor.BytesCopied += count * 2_048L;
            cursor.InFlight = null;
            Save(store, cursor);
        }
    }

    [Fact]
    public void LoadAsync_Format1CursorMidBatch_ReadsMapsUidlsAndJournal()
    {
        var store = new InMemoryCursorStore();
        store.PutHead(Encoding.UTF8.GetBytes(Format1Cursor));

        var cursor = Load(store);

        Assert.Equal(1, cursor.Version);
        Assert.Equal("[1,1,3] [5,4,2] [1300,6,1]", Runs(cursor.Folders["INBOX"].Map));
        Assert.Equal("[1,10,2]", Runs(cursor.Folders["Sent"].Map));
        Assert.Equal(["UIDL-0001", "UIDL-0002"], cursor.Pop3Done.Order(StringComparer.Ordinal));
        Assert.Equal([1305u, 1301u], cursor.InFlight!.Uids);
        Assert.Equal(7u, cursor.InFlight.DestinationUidNext);
        Assert.Equal(1300u, cursor.Folders["INBOX"].HighestCopiedUid);
        Assert.Equal([1303u], cursor.Folders["INBOX"].CopiedAbove);
        Assert.Equal(8, cursor.MessagesCopied);
    }

    [Fact]
    public void SaveAsync_Format1Cursor_MovesMapsAndUidlsIntoSegmentsAndKeepsThem()
    {
        var store = new InMemoryCursorStore();
        store.PutHead(Encoding.UTF8.GetBytes(Format1Cursor));
        var cursor = Load(store);

        Save(store, cursor);
        var back = store.Current!;

        using var head = JsonDocument.Parse(cursor.ToJson());
        Assert.Equal(MailboxCursor.CurrentVersion, head.RootElement.GetProperty("Version").GetInt32());
        Assert.False(head.RootElement.TryGetProperty("Pop3Done", out _));
        Assert.False(head.RootElement.GetProperty("Folders").GetProperty("INBOX").TryGetProperty("Map", out _));
        Assert.Equal(1, store.SegmentCount);
        Assert.Equal("[1,1,3] [5,4,2] [1300,6,1]", Runs(back.Folders["INBOX"].Map));
        Assert.Equal("[1,10,2]", Runs(back.Folders["Sent"].Map));
        Assert.Equal(["UIDL-0001", "UIDL-0002"], back.Pop3Done.Order(StringComparer.Ordinal));
        Assert.Equal([1305u, 1301u], back.InFlight!.Uids);
    }

    [Fact]
    public void SaveAsync_MillionSequentialInBatches_SmallHeadSmallCursorSameMap()
    {
        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();

        CopyInBatches(store, cursor, Million, i => (uint)i + 1);
        var back = store.Current!;

        Assert.InRange(store.HeadBytes, 1, 2_048);
        Assert.InRange(store.TotalBytes, 1, 2 * 1024 * 1024);
        Assert.Equal("[1,1,1000000]", Runs(back.Folders["INBOX"].Map));
        Assert.Equal(Million, back.MessagesCopied);
        Assert.Equal(1_000_000u, back.Folders["INBOX"].HighestCopiedUid);
        // Two saves a batch; each wrote the head and at most a few dozen bytes of segment.
        Assert.InRange(store.SegmentBytesWritten / (Million / Batch), 1, 100);
    }

    [Fact]
    public void SaveAsync_MillionSparseInBatches_SmallHeadSameMapFewSegments()
    {
        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();

        // Every other source UID gone before the copy: a million runs of one.
        CopyInBatches(store, cursor, Million, i => 2 * (uint)i + 1);
        var back = store.Current!;

        Assert.InRange(store.HeadBytes, 1, 2_048);
        Assert.InRange(store.TotalBytes, 1, 2 * 1024 * 1024);
        Assert.InRange(store.SegmentCount, 1, SegmentedCursorStore.MaxSegments);
        var map = back.Folders["INBOX"].Map;
        Assert.Equal(Million, map.Count);
        Assert.Equal(Million, map.Runs.Count);
        Assert.Equal(Enumerable.Range(0, Million).Select(i => (2 * (uint)i + 1, (uint)i + 1)), map.Pairs());
        // A batch's save writes O(batch) bytes on average, whatever the map's size: merges cost O(log n) rewrites each.
        Assert.InRange(store.SegmentBytesWritten / (Million / Batch), 1, 4_000);
    }

    [Fact]
    public void SaveAsync_Gmail100000MessagesByMessage_TableAndCopiedSetComeBackInAFewHundredKilobytes()
    {
        const int messages = 100_000;
        var random = new Random(42);
        // X-GM-MSGIDs as Gmail gives them: the example of Google's IMAP Extensions page, 1278455344230334865, is a time in
        // milliseconds (2008) shifted left 20 bits with 20 more bits below; here five years of mail, a message every
        // half hour on average, in arrival order as All Mail's UIDs are.
        var at = 1278455344230334865UL >> 20;
        string[] labels = ["Work", "Family", "Receipts", "Projects/Alpha", "Projects/Beta", "Travel", "Newsletters", "Банк"];
        var read = new List<(uint, ulong, IEnumerable<string>, uint)>(messages);
        for (var i = 0; i < messages; i++)
        {
            at += (ulong)random.Next(1, 3_600_000);
            var kind = random.Next(10);
            IEnumerable<string> set = kind switch
            {
                < 5 => [@"\Inbox", .. random.Next(3) == 0 ? [labels[random.Next(labels.Length)]] : Array.Empty<string>()],
                5 => [@"\Sent"],
                < 9 => [labels[random.Next(labels.Length)], .. random.Next(4) == 0 ? [@"\Important"] : Array.Empty<string>()],
                _ => [],
            };
            read.Add(((uint)i + 1, (at << 20) | (uint)random.Next(1 << 20), random.Next(20) == 0 ? set.Append(@"\Starred") : set, (uint)random.Next(1_500, 200_000)));
        }

        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();
        var table = GmailMessageTable.Of(600_123, "run-1", read);
        cursor.Gmail = new GmailCursor { Table = table };
        // Copied view by view, as the plan orders them, a batch of 100 at a time with its two saves.
        foreach (var view in table.Messages.GroupBy(m => Folders.GmailLabelPlanner.PlaceOnce(table.LabelSets[m.LabelSet]).Name))
        {
            var state = cursor.Folders["[Gmail]/All Mail \u2192 " + view.Key] = new FolderCursor { UidValidity = 600_123, DestinationFolder = view.Key, DestinationUidValidity = 7 };
            uint destination = 1;
            foreach (var batch in view.Chunk(Batch))
            {
                Save(store, cursor);
                foreach (var message in batch)
                {
                    state.Map.Add(message.Uid, destination++);
                    cursor.Gmail.MarkCopied(message.Uid);
                }

                state.HighestCopiedUid = batch[^1].Uid;
                Save(store, cursor);
            }
        }

        var back = store.Current!;

        Assert.Equal(table.Messages, back.Gmail!.Table!.Messages);
        Assert.Equal(table.LabelSets.Select(l => string.Join(",", l)), back.Gmail.Table.LabelSets.Select(l => string.Join(",", l)));
        Assert.Equal(table.LabelSetBytes, back.Gmail.Table.LabelSetBytes);
        Assert.Equal(messages, back.Gmail.Copied.Count);
        Assert.Equal(messages, back.Folders.Values.Sum(f => f.Map.Count));
        Assert.InRange(store.HeadBytes, 1, 4_096);
        var tableBytes = new CursorSegment { GmailTable = table }.Encode().Length;
        // Measured: 755,285 bytes in all, 3,429 of them the head; the table alone is 646,045 (an X-GM-MSGID's 20 low bits
        // and its time gap do not compress), the views' UID maps most of the rest, the copied set one run.
        Assert.InRange(store.TotalBytes, 1, 1_000_000);
        Console.WriteLine($"Gmail cursor of {messages:N0} messages: head {store.HeadBytes:N0} B, total {store.TotalBytes:N0} B, table {tableBytes:N0} B, {store.SegmentCount} segments");
    }

    [Fact]
    public void SaveAsync_MillionDovecotUidls_UnderTwoMegabytesAndExact()
    {
        var store = new InMemoryCursorStore();
        var cursor = new MailboxCursor { RunId = "run-1" };
        // Dovecot's default pop3_uidl_format, %08Xu%08Xv: the UID, then UIDVALIDITY, in hex
        // (https://doc.dovecot.org/main/core/config/pop3.html).
        static string Uidl(int i) => FormattableString.Invariant($"{i + 1:X8}{1_764_000_000:X8}");
        for (var first = 0; first < Million; first += 1_000)
        {
            for (var i = first; i < first + 1_000; i++)
            {
                cursor.Pop3Done.Add(Uidl(i));
            }

            Save(store, cursor);
        }

        var back = store.Current!;

        Assert.InRange(store.TotalBytes, 1, 2 * 1024 * 1024);
        Assert.Equal(Million, back.Pop3Done.Count);
        Assert.All(Enumerable.Range(0, Million).Where(i => i % 997 == 0), i => Assert.True(back.Pop3Done.Contains(Uidl(i))));
        Assert.False(back.Pop3Done.Contains(Uidl(Million)));
    }

    [Fact]
    public void SaveAsync_MapReplacedAfterSegments_OnlyTheNewRunsComeBack()
    {
        // A re-created destination folder or a new UIDVALIDITY replaces the folder's map: the stored runs must go.
        // Sparse, so the stored segment holds a thousand runs and the small replacing one is written apart from it.
        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();
        CopyInBatches(store, cursor, 1_000, i => 2 * (uint)i + 1);
        cursor.Folders["INBOX"].Map = new UidMap();
        cursor.Folders["INBOX"].Map.Add(7, 70);

        Save(store, cursor);
        var back = store.Current!;

        Assert.InRange(store.SegmentCount, 2, SegmentedCursorStore.MaxSegments);
        Assert.Equal("[7,70,1]", Runs(back.Folders["INBOX"].Map));
    }

    [Fact]
    public void SaveAsync_UidlAndOutOfOrderAddsOverManySaves_AllComeBack()
    {
        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();
        var expected = new SortedDictionary<uint, uint>();
        var random = new Random(7);
        for (var save = 0; save < 300; save++)
        {
            for (var i = 0; i < 10; i++)
            {
                var source = (uint)random.Next(1, 100_000);
                if (expected.TryAdd(source, (uint)(save * 10 + i + 1)))
                {
                    cursor.Folders["Sent"].Map.Add(source, expected[source]);
                }
            }

            cursor.Pop3Done.Add($"uidl-{save}");
            Save(store, cursor);
        }

        var back = store.Current!;

        Assert.Equal(expected.Select(p => (p.Key, p.Value)), back.Folders["Sent"].Map.Pairs());
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"uidl-{i}").Order(StringComparer.Ordinal), back.Pop3Done.Order(StringComparer.Ordinal));
        Assert.InRange(store.SegmentCount, 1, SegmentedCursorStore.MaxSegments);
    }

    public static TheoryData<string> WriteSteps => new() { "segment", "head", "delete" };

    [Theory]
    [MemberData(nameof(WriteSteps))]
    public void SaveAsync_CutShortAtAWrite_StoredCursorIsTheOneBeforeAndTheRetryWritesEverything(string step)
    {
        // Segments first, then a save larger than the newest of them, so it merges: it writes a segment, the head,
        // then deletes what it merged. That save is cut short at one write, as a crash there would.
        var store = new InMemoryCursorStore();
        var cursor = LargeMailbox();
        CopyInBatches(store, cursor, 300, i => 2 * (uint)i + 1);
        var before = store.Current!.Folders["INBOX"].Map.Pairs().ToList();
        var random = new Random(3);
        uint destination = 1_000;
        for (uint source = 10_001; source < 12_001; source += 2)
        {
            destination += (uint)random.Next(1, 1_000);
            cursor.Folders["INBOX"].Map.Add(source, destination);
        }

        cursor.Pop3Done.Add("UIDL-NEW");
        cursor.MessagesCopied++;
        var after = cursor.Folders["INBOX"].Map.Pairs().ToList();

        store.FailAt = step;
        var failure = Record.Exception(() => Save(store, cursor));

        Assert.Null(store.FailAt);
        Assert.IsType<IOException>(failure);
        var stored = store.Current!;
        if (step == "delete")
        {
            // The head was committed; only a merged segment was left behind.
            Assert.Equal(after, stored.Folders["INBOX"].Map.Pairs());
        }
        else
        {
            Assert.Equal(before, stored.Folders["INBOX"].Map.Pairs());
            Assert.Empty(stored.Pop3Done);
            Assert.Equal(300, stored.MessagesCopied);
        }

        Save(store, cursor);
        var back = store.Current!;
        Assert.Equal(after, back.Folders["INBOX"].Map.Pairs());
        Assert.Equal(["UIDL-NEW"], back.Pop3Done);
        Assert.Equal(301, back.MessagesCopied);
    }

    [Fact]
    public async Task FileCursorStore_SaveLoadAndMerge_KeepsOnlyTheNamedFiles()
    {
        var directory = Directory.CreateTempSubdirectory("mailimport-cursor-");
        try
        {
            var path = Path.Combine(directory.FullName, "cursor.json");
            var store = new FileCursorStore(path);
            var cursor = LargeMailbox();
            CopyInBatches(store, cursor, 2_000, i => 3 * (uint)i + 1);

            var back = await new FileCursorStore(path).LoadAsync(CancellationToken.None);

            Assert.Equal(cursor.Folders["INBOX"].Map.Pairs(), back!.Folders["INBOX"].Map.Pairs());
            Assert.Equal(store.Files().Order(StringComparer.Ordinal), directory.GetFiles().Select(f => f.FullName).Order(StringComparer.Ordinal));
            Assert.InRange(new FileInfo(path).Length, 1, 2_048);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
