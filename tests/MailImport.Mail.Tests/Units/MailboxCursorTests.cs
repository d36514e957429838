using System.Text;
using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;

namespace MailImport.Mail.Tests.Units;

/// <summary>The cursor is the crash-safe state of a mailbox copy: what is saved must come back, and nothing else may be in
/// its head.</summary>
public class MailboxCursorTests
{
    private const string RussianFolder = "Входящие/Архив 2024";

    /// <summary>A cursor mid-copy, with every field set to something other than its default.</summary>
    internal static MailboxCursor Realistic()
    {
        var inboxMap = new UidMap();
        foreach (var (source, destination) in new (uint, uint)[] { (1, 1), (2, 2), (3, 3), (5, 4), (6, 5), (1300, 6) })
        {
            inboxMap.Add(source, destination);
        }

        var archiveMap = new UidMap();
        archiveMap.Add(7, 70);

        var cursor = new MailboxCursor
        {
            Version = MailboxCursor.CurrentVersion,
            RunId = "run-2024-06-01T10:00",
            MessagesCopied = 1_234,
            BytesCopied = 98_765_432_100,
            AlreadyAtDestination = 25,
            NotExactCount = 1,
            NotExact = [new("INBOX", 12, null, 4_096, "MimeKit wrote other bytes.")],
            DatesFromDateHeader = 3,
            DatesFromReceived = 2,
            DatesFromImportTime = 1,
            Pop3Done = ["UIDL-0001", "UIDL-0002"],
            InFlight = new InFlightBatch
            {
                SourceFolder = "INBOX",
                SourceUidValidity = 1_700_000_000,
                Uids = [1305, 1301, 1302],
                Uidls = ["UIDL-0003", "UIDL-0004"],
                DestinationFolder = "INBOX",
                DestinationUidValidity = 42,
                DestinationUidNext = 88,
            },
            Failures =
            [
                new FailedMessage { Folder = "INBOX", Uid = 17, Size = 52_428_800, Code = ErrorCode.MessageTooBig, Reason = "Larger than the destination accepts." },
                new FailedMessage { Folder = "INBOX", Uidl = "UIDL-0009", Code = ErrorCode.MessageUnreadable, Reason = "RETR failed." },
            ],
            FailedFolders = [new FailedFolder { Folder = "Old", Code = ErrorCode.SourceFolderUnavailable, Reason = "SELECT refused." }],
        };
        cursor.Destinations["INBOX"] = new DestinationStart { UidValidity = 42, ForeignBelow = 26 };
        cursor.Folders["INBOX"] = new FolderCursor
        {
            UidValidity = 1_700_000_000,
            HighestCopiedUid = 1_300,
            CopiedAbove = [1_303, 1_304],
            Retry = [17, 42],
            DestinationFolder = "INBOX",
            DestinationUidValidity = 42,
            Map = inboxMap,
            FlagsSyncedRun = "run-2024-05-01T10:00",
            FlagsModSeq = 12_345_678_901UL,
        };
        cursor.Folders[RussianFolder] = new FolderCursor
        {
            UidValidity = 3,
            HighestCopiedUid = uint.MaxValue,
            DestinationFolder = "Входящие.Архив 2024",
            DestinationUidValidity = 4,
            Map = archiveMap,
        };
        return cursor;
    }

    internal static void AssertSame(MailboxCursor expected, MailboxCursor actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.RunId, actual.RunId);
        Assert.Equal(expected.MessagesCopied, actual.MessagesCopied);
        Assert.Equal(expected.BytesCopied, actual.BytesCopied);
        Assert.Equal(expected.AlreadyAtDestination, actual.AlreadyAtDestination);
        Assert.Equal(
            expected.Destinations.Select(d => (d.Key, d.Value.UidValidity, d.Value.ForeignBelow)).Order(),
            actual.Destinations.Select(d => (d.Key, d.Value.UidValidity, d.Value.ForeignBelow)).Order());
        Assert.Equal(expected.Pop3Done.Order(StringComparer.Ordinal), actual.Pop3Done.Order(StringComparer.Ordinal));

        Assert.Equal(expected.Folders.Keys.Order(StringComparer.Ordinal), actual.Folders.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, want) in expected.Folders)
        {
            var got = actual.Folders[name];
            Assert.Equal(want.UidValidity, got.UidValidity);
            Assert.Equal(want.HighestCopiedUid, got.HighestCopiedUid);
            Assert.Equal(want.CopiedAbove, got.CopiedAbove);
            Assert.Equal(want.Retry, got.Retry);
            Assert.Equal(want.DestinationFolder, got.DestinationFolder);
            Assert.Equal(want.DestinationUidValidity, got.DestinationUidValidity);
            Assert.Equal(want.Map.Runs, got.Map.Runs);
            Assert.Equal(want.Map.Pairs(), got.Map.Pairs());
            Assert.Equal(want.FlagsSyncedRun, got.FlagsSyncedRun);
            Assert.Equal(want.FlagsModSeq, got.FlagsModSeq);
        }

        if (expected.InFlight is null)
        {
            Assert.Null(actual.InFlight);
        }
        else
        {
            Assert.NotNull(actual.InFlight);
            Assert.Equal(expected.InFlight.SourceFolder, actual.InFlight.SourceFolder);
            Assert.Equal(expected.InFlight.SourceUidValidity, actual.InFlight.SourceUidValidity);
            Assert.Equal(expected.InFlight.Uids, actual.InFlight.Uids);
            Assert.Equal(expected.InFlight.Uidls, actual.InFlight.Uidls);
            Assert.Equal(expected.InFlight.DestinationFolder, actual.InFlight.DestinationFolder);
            Assert.Equal(expected.InFlight.DestinationUidValidity, actual.InFlight.DestinationUidValidity);
            Assert.Equal(expected.InFlight.DestinationUidNext, actual.InFlight.DestinationUidNext);
        }

        Assert.Equal(expected.Failures.Count, actual.Failures.Count);
        foreach (var (want, got) in expected.Failures.Zip(actual.Failures))
        {
            Assert.Equal(want.Folder, got.Folder);
            Assert.Equal(want.Uid, got.Uid);
            Assert.Equal(want.Uidl, got.Uidl);
            Assert.Equal(want.Size, got.Size);
            Assert.Equal(want.Code, got.Code);
            Assert.Equal(want.Reason, got.Reason);
        }
    }

    /// <summary>Saves the cursor to a store of segments and reads it back, as the next chunk would.</summary>
    private static MailboxCursor RoundTrip(MailboxCursor cursor)
    {
        var store = new InMemoryCursorStore();
        store.SaveAsync(cursor, CancellationToken.None).GetAwaiter().GetResult();
        return store.Current!;
    }

    /// <summary>The head as a store writes it: after a save, so it names its segments.</summary>
    private static byte[] SavedHead()
    {
        var cursor = Realistic();
        new InMemoryCursorStore().SaveAsync(cursor, CancellationToken.None).GetAwaiter().GetResult();
        return cursor.ToJson();
    }

    [Fact]
    public void SaveAndLoad_RealisticCursor_KeepsEveryField()
    {
        var cursor = Realistic();

        var back = RoundTrip(cursor);

        AssertSame(cursor, back);
        // The journal keeps append order, not numeric order: reconcile matches in that order.
        Assert.Equal([1305u, 1301u, 1302u], back.InFlight!.Uids);
    }

    [Fact]
    public void ToJson_AfterRoundTrip_SameBytes()
    {
        var json = SavedHead();

        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(MailboxCursor.FromJson(json).ToJson()));
    }

    [Fact]
    public void SaveAndLoad_FreshCursor_KeepsDefaults()
    {
        var back = RoundTrip(new MailboxCursor());

        AssertSame(new MailboxCursor(), back);
        Assert.Equal(2, back.Version);
        Assert.Null(back.RunId);
        Assert.Null(back.InFlight);
        Assert.Empty(back.Folders);
    }

    [Fact]
    public void SaveAndLoad_MapAfterRoundTrip_StillMergesRuns()
    {
        var back = RoundTrip(Realistic());
        var map = back.Folders["INBOX"].Map;

        map.Add(1301, 7);

        Assert.Equal(new UidRun(1300, 6, 2), map.Runs[^1]);
        Assert.Equal(7, map.Count);
    }

    [Fact]
    public void ToJson_ErrorCode_IsWrittenAsItsNumber()
    {
        // Stored cursors outlive a release: the code is kept as the catalogue number, which never changes meaning.
        using var json = JsonDocument.Parse(Realistic().ToJson());

        var codes = json.RootElement.GetProperty("Failures").EnumerateArray().Select(f => f.GetProperty("Code")).ToList();

        Assert.All(codes, c => Assert.Equal(JsonValueKind.Number, c.ValueKind));
        Assert.Equal([700, 702], codes.Select(c => c.GetInt32()));
    }

    [Fact]
    public void ToJson_NullFields_AreLeftOut()
    {
        using var json = JsonDocument.Parse(new MailboxCursor().ToJson());

        Assert.False(json.RootElement.TryGetProperty("RunId", out _));
        Assert.False(json.RootElement.TryGetProperty("InFlight", out _));
    }

    [Fact]
    public void FromJson_JsonNull_ThrowsJsonException() =>
        Assert.Throws<JsonException>(() => MailboxCursor.FromJson("null"u8));

    [Fact]
    public void FromJson_NotJson_ThrowsJsonException() =>
        Assert.Throws<JsonException>(() => MailboxCursor.FromJson("password=hunter2"u8));

    // ---------------------------------------------------------------- nothing in it but what was put in

    private static void Walk(JsonElement element, string path, List<string> properties, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    // Folder names are dictionary keys, not fields: record them as values.
                    if (path is "Folders" or "Destinations")
                    {
                        strings.Add(property.Name);
                        Walk(property.Value, path + ".*", properties, strings);
                    }
                    else
                    {
                        properties.Add($"{path}.{property.Name}".TrimStart('.'));
                        Walk(property.Value, $"{path}.{property.Name}".TrimStart('.'), properties, strings);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[]", properties, strings);
                }

                break;
            case JsonValueKind.String:
                strings.Add(element.GetString()!);
                break;
        }
    }

    // Every field the cursor has, and no other: a secret (a password, a token) added to the type shows up here.
    private static readonly string[] ExpectedFields =
    [
        "AlreadyAtDestination", "BytesCopied", "DatesFromDateHeader", "DatesFromImportTime", "DatesFromReceived", "Destinations", "Destinations.*.ForeignBelow", "Destinations.*.UidValidity", "FailedFolders",
        "FailedFolders[].Code", "FailedFolders[].Folder", "FailedFolders[].Reason", "Failures", "Failures[].Code", "Failures[].Folder", "Failures[].Reason", "Failures[].Size",
        "Failures[].Uid", "Failures[].Uidl", "Folders", "Folders.*.CopiedAbove", "Folders.*.DestinationFolder",
        "Folders.*.DestinationUidValidity", "Folders.*.FlagsModSeq", "Folders.*.FlagsSyncedRun", "Folders.*.HighestCopiedUid",
        "Folders.*.Retry", "Folders.*.UidValidity", "InFlight", "InFlight.DestinationFolder",
        "InFlight.DestinationUidNext", "InFlight.DestinationUidValidity", "InFlight.SourceFolder",
        "InFlight.SourceUidValidity", "InFlight.Uidls", "InFlight.Uids", "MessagesCopied", "NotExact", "NotExactCount", "NotExact[].Folder",
        "NotExact[].Reason", "NotExact[].Size", "NotExact[].Uid", "Parts", "Parts.Next", "Parts.Segments", "RenamedFolders", "RunId", "Version",
    ];

    // Every text the realistic cursor's head carries, each as often as it occurs: the copied UIDLs are in a segment.
    private static readonly string[] ExpectedTexts =
    [
        "INBOX", "INBOX", "INBOX", "INBOX", "INBOX", "INBOX", "INBOX", "INBOX", "Larger than the destination accepts.", "MimeKit wrote other bytes.", "Old", "RETR failed.", "SELECT refused.",
        "UIDL-0003", "UIDL-0004", "UIDL-0009", "run-2024-05-01T10:00", "run-2024-06-01T10:00",
        "Входящие.Архив 2024", RussianFolder,
    ];

    [Fact]
    public void ToJson_RealisticCursor_HoldsOnlyTheFieldsAndTextsPutIn()
    {
        var properties = new List<string>();
        var strings = new List<string>();
        using (var json = JsonDocument.Parse(SavedHead()))
        {
            Walk(json.RootElement, "", properties, strings);
        }

        Assert.Equal(ExpectedFields, properties.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(ExpectedTexts, strings.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("pass", Encoding.UTF8.GetString(Realistic().ToJson()), StringComparison.OrdinalIgnoreCase);
    }
}
