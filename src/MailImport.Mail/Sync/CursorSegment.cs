using System.Buffers.Binary;
using System.Numerics;
using System.IO.Compression;
using System.Text;

namespace MailImport.Mail.Sync;

/// <summary>What one segment of a cursor holds: for some folders, UID map runs (and whether they replace the folder's
/// earlier runs), and POP3 UIDLs (and whether they replace the earlier set). Segments apply in order; two neighbouring
/// segments merge into one that applies the same (<see cref="Then"/>).</summary>
/// <remarks>
/// The encoding, before compression: a format byte; per folder its name, a replace flag and its runs, each run as the
/// gap from the previous run's end on both sides and its length (varints, zigzag where a gap can be negative); then the
/// UIDLs sorted, their lengths, and their bytes column by column: UIDLs of one server share a shape (Dovecot's is the
/// UID and UIDVALIDITY in hex), so a column is mostly one repeated byte or a slow counter, which compresses to almost
/// nothing. Format 2 adds a Gmail part (<see cref="GmailCursor"/>): the run's All Mail table, column by column (UID
/// gaps, X-GM-MSGID differences, label set numbers), and the copied All Mail UIDs as runs; a segment of format 1
/// has none and still reads. The whole is Brotli-compressed (RFC 7932), behind its uncompressed length.
/// </remarks>
internal sealed class CursorSegment
{
    private const byte Format = 2;

    // Quality 5 of 11: the ratio on this data is close to the best at a small part of the CPU.
    private const int BrotliQuality = 5;

    // The window, log2 of bytes (10 to 24, RFC 7932 section 9.1): no larger than the segment, since the encoder's
    // buffers grow with it and most segments are one batch, a few hundred bytes.
    private static int BrotliWindow(int length) => Math.Clamp(BitOperations.Log2((uint)Math.Max(length, 1)) + 1, 10, 22);

    /// <summary>Per source folder, in the order first met.</summary>
    public Dictionary<string, FolderRuns> Folders { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether <see cref="Uidls"/> replaces the set the segments before held.</summary>
    public bool UidlsReplace { get; set; }

    /// <summary>POP3 UIDLs copied.</summary>
    public HashSet<string> Uidls { get; } = new(StringComparer.Ordinal);

    /// <summary>A Gmail source's All Mail table, replacing the one before; null when this segment has none.</summary>
    public GmailMessageTable? GmailTable { get; set; }

    /// <summary>Whether <see cref="GmailCopied"/> replaces the set the segments before held.</summary>
    public bool GmailCopiedReplace { get; set; }

    /// <summary>All Mail UIDs of Gmail messages at the destination.</summary>
    public SortedSet<uint> GmailCopied { get; } = [];

    /// <summary>Runs and UIDLs it holds, at least 1: what merging it costs, which its compressed size does not tell
    /// (a map of regular gaps compresses to a few bytes however long it is).</summary>
    public long Entries => 1 + Uidls.Count + Folders.Values.Sum(f => (long)f.Map.RunCount) + (GmailTable?.Messages.Count ?? 0) + GmailCopied.Count;

    /// <summary>Whether the segment would change nothing.</summary>
    public bool IsEmpty => Folders.Count == 0 && Uidls.Count == 0 && !UidlsReplace && GmailTable is null && GmailCopied.Count == 0 && !GmailCopiedReplace;

    /// <summary>What the cursor holds that its store does not: maps and sets the store never held in whole, and what
    /// was added to the others since the last save.</summary>
    public static CursorSegment Unsaved(MailboxCursor cursor)
    {
        var segment = new CursorSegment();
        foreach (var (name, folder) in cursor.Folders)
        {
            var map = folder.Map;
            if (!map.Stored)
            {
                segment.Folders[name] = new FolderRuns(true, map.Runs);
            }
            else if (map.Unsaved.Count > 0)
            {
                segment.Folders[name] = new FolderRuns(false, map.Unsaved);
            }
        }

        if (!cursor.Pop3Done.Stored)
        {
            segment.UidlsReplace = true;
            segment.Uidls.UnionWith(cursor.Pop3Done);
        }
        else
        {
            segment.Uidls.UnionWith(cursor.Pop3Done.Unsaved);
        }

        if (cursor.Gmail is { } gmail)
        {
            segment.GmailTable = gmail.Table is { Stored: false } table ? table : null;
            segment.GmailCopiedReplace = !gmail.CopiedStored;
            segment.GmailCopied.UnionWith(gmail.CopiedStored ? gmail.Unsaved : gmail.Copied);
        }

        return segment;
    }

    /// <summary>Folds <paramref name="later"/> into this segment: the result applies as this one, then it, would.</summary>
    public void Then(CursorSegment later)
    {
        foreach (var (name, runs) in later.Folders)
        {
            if (runs.Replace || !Folders.TryGetValue(name, out var earlier))
            {
                Folders[name] = runs;
                continue;
            }

            foreach (var run in runs.Map.Runs)
            {
                earlier.Map.Absorb(run);
            }
        }

        if (later.UidlsReplace)
        {
            UidlsReplace = true;
            Uidls.Clear();
        }

        Uidls.UnionWith(later.Uidls);
        GmailTable = later.GmailTable ?? GmailTable;
        if (later.GmailCopiedReplace)
        {
            GmailCopiedReplace = true;
            GmailCopied.Clear();
        }

        GmailCopied.UnionWith(later.GmailCopied);
    }

    /// <summary>Applies the segment to a cursor read from its head; runs of a folder the head no longer has are dropped.</summary>
    public void ApplyTo(MailboxCursor cursor)
    {
        foreach (var (name, runs) in Folders)
        {
            if (!cursor.Folders.TryGetValue(name, out var folder))
            {
                continue;
            }

            if (runs.Replace)
            {
                folder.Map = new UidMap();
            }

            foreach (var run in runs.Map.Runs)
            {
                folder.Map.Absorb(run);
            }
        }

        if (UidlsReplace)
        {
            cursor.Pop3Done = new UidlSet();
        }

        foreach (var uidl in Uidls)
        {
            cursor.Pop3Done.Absorb(uidl);
        }

        if (GmailTable is not null || GmailCopied.Count > 0 || GmailCopiedReplace)
        {
            var gmail = cursor.Gmail ??= new GmailCursor();
            gmail.Table = GmailTable ?? gmail.Table;
            if (GmailCopiedReplace)
            {
                gmail.Copied.Clear();
            }

            gmail.Absorb(GmailCopied);
        }
    }

    /// <summary>The segment as stored.</summary>
    public byte[] Encode()
    {
        var body = new VarintWriter();
        body.Byte(Format);
        body.Number((ulong)Folders.Count);
        foreach (var (name, runs) in Folders)
        {
            body.Text(name);
            body.Byte(runs.Replace ? (byte)1 : (byte)0);
            var list = runs.Map.Runs;
            body.Number((ulong)list.Count);
            long sourceEnd = 0, destinationEnd = 0;
            foreach (var run in list)
            {
                body.Signed(run.Source - sourceEnd);
                body.Signed(run.Destination - destinationEnd);
                body.Number(run.Count);
                sourceEnd = (long)run.Source + run.Count;
                destinationEnd = (long)run.Destination + run.Count;
            }
        }

        body.Byte(UidlsReplace ? (byte)1 : (byte)0);
        var uidls = Uidls.Select(Encoding.UTF8.GetBytes).ToArray();
        Array.Sort(uidls, (a, b) => a.AsSpan().SequenceCompareTo(b));
        body.Number((ulong)uidls.Length);
        var longest = 0;
        foreach (var uidl in uidls)
        {
            body.Number((ulong)uidl.Length);
            longest = Math.Max(longest, uidl.Length);
        }

        for (var column = 0; column < longest; column++)
        {
            foreach (var uidl in uidls)
            {
                if (column < uidl.Length)
                {
                    body.Byte(uidl[column]);
                }
            }
        }

        EncodeGmail(body);
        var raw = body.Written;
        var stored = new byte[4 + BrotliEncoder.GetMaxCompressedLength(raw.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(stored, raw.Length);
        if (!BrotliEncoder.TryCompress(raw, stored.AsSpan(4), out var written, BrotliQuality, BrotliWindow(raw.Length)))
        {
            throw new InvalidOperationException("Brotli could not compress a cursor segment.");
        }

        return stored[..(4 + written)];
    }

    /// <summary>Reads a segment written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a cursor segment.</exception>
    public static CursorSegment Decode(ReadOnlySpan<byte> stored)
    {
        if (stored.Length < 4)
        {
            throw new InvalidDataException("A cursor segment is too short.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(stored);
        if (length < 1 || length > 1 << 30)
        {
            throw new InvalidDataException("A cursor segment names an impossible length.");
        }

        var raw = new byte[length];
        if (!BrotliDecoder.TryDecompress(stored[4..], raw, out var written) || written != length)
        {
            throw new InvalidDataException("A cursor segment does not decompress.");
        }

        var body = new VarintReader(raw);
        var format = body.Byte();
        if (format is not (1 or Format))
        {
            throw new InvalidDataException("A cursor segment of an unknown format.");
        }

        var segment = new CursorSegment();
        for (var folders = body.Count(); folders > 0; folders--)
        {
            var name = body.Text();
            var map = new UidMap();
            var replace = body.Byte() == 1;
            long sourceEnd = 0, destinationEnd = 0;
            for (var runs = body.Count(); runs > 0; runs--)
            {
                var source = sourceEnd + body.Signed();
                var destination = destinationEnd + body.Signed();
                var count = body.Number();
                if (source is < 0 or > uint.MaxValue || destination is < 0 or > uint.MaxValue || count > uint.MaxValue)
                {
                    throw new InvalidDataException("A cursor segment holds a UID out of range.");
                }

                map.Absorb(new UidRun((uint)source, (uint)destination, (uint)count));
                sourceEnd = source + (long)count;
                destinationEnd = destination + (long)count;
            }

            segment.Folders[name] = new FolderRuns(replace, map);
        }

        segment.UidlsReplace = body.Byte() == 1;
        var lengths = new int[body.Count()];
        for (var i = 0; i < lengths.Length; i++)
        {
            lengths[i] = body.Count();
        }

        var uidls = lengths.Select(l => new byte[l]).ToArray();
        var longest = lengths.DefaultIfEmpty(0).Max();
        for (var column = 0; column < longest; column++)
        {
            foreach (var uidl in uidls)
            {
                if (column < uidl.Length)
                {
                    uidl[column] = body.Byte();
                }
            }
        }

        foreach (var uidl in uidls)
        {
            segment.Uidls.Add(Encoding.UTF8.GetString(uidl));
        }

        if (format >= 2)
        {
            DecodeGmail(ref body, segment);
        }

        return segment;
    }

    private void EncodeGmail(VarintWriter body)
    {
        body.Byte((byte)((GmailTable is null ? 0 : 1) | (GmailCopiedReplace ? 2 : 0)));
        if (GmailTable is { } table)
        {
            body.Number(table.UidValidity);
            body.Text(table.RunId);
            body.Number((ulong)table.LabelSets.Count);
            foreach (var (set, bytes) in table.LabelSets.Zip(table.LabelSetBytes))
            {
                body.Number((ulong)bytes);
                body.Number((ulong)set.Length);
                foreach (var label in set)
                {
                    body.Text(label);
                }
            }

            // Column by column: UID gaps are mostly 1 and label set numbers repeat, so each column compresses on its own.
            var messages = table.Messages;
            body.Number((ulong)messages.Count);
            uint uid = 0;
            foreach (var m in messages)
            {
                body.Number(m.Uid - uid);
                uid = m.Uid;
            }

            ulong id = 0;
            foreach (var m in messages)
            {
                body.Signed((long)(m.MessageId - id));
                id = m.MessageId;
            }

            foreach (var m in messages)
            {
                body.Number((ulong)m.LabelSet);
            }
        }

        var runs = Runs(GmailCopied).ToList();
        body.Number((ulong)runs.Count);
        uint end = 0;
        foreach (var (start, count) in runs)
        {
            body.Number(start - end);
            body.Number(count);
            end = start + count;
        }
    }

    private static void DecodeGmail(ref VarintReader body, CursorSegment segment)
    {
        var flags = body.Byte();
        segment.GmailCopiedReplace = (flags & 2) != 0;
        if ((flags & 1) != 0)
        {
            var uidValidity = (uint)body.Number();
            var runId = body.Text();
            var sets = new List<string[]>();
            var setBytes = new List<long>();
            for (var n = body.Count(); n > 0; n--)
            {
                setBytes.Add((long)body.Number());
                var labels = new string[body.Count()];
                for (var i = 0; i < labels.Length; i++)
                {
                    labels[i] = body.Text();
                }

                sets.Add(labels);
            }

            var count = body.Count();
            var uids = new uint[count];
            var ids = new ulong[count];
            uint uid = 0;
            for (var i = 0; i < count; i++)
            {
                uids[i] = uid += (uint)body.Number();
            }

            ulong id = 0;
            for (var i = 0; i < count; i++)
            {
                ids[i] = id += (ulong)body.Signed();
            }

            var messages = new List<GmailMessageEntry>(count);
            for (var i = 0; i < count; i++)
            {
                var set = body.Number();
                messages.Add(set < (ulong)sets.Count ? new GmailMessageEntry(uids[i], ids[i], (int)set)
                    : throw new InvalidDataException("A cursor segment names a label set it does not hold."));
            }

            segment.GmailTable = new GmailMessageTable { UidValidity = uidValidity, RunId = runId, LabelSets = sets, LabelSetBytes = setBytes, Messages = messages, Stored = true };
        }

        uint end = 0;
        for (var runs = body.Count(); runs > 0; runs--)
        {
            var start = end + (uint)body.Number();
            var length = (uint)body.Number();
            for (uint i = 0; i < length; i++)
            {
                segment.GmailCopied.Add(start + i);
            }

            end = start + length;
        }
    }

    /// <summary>Consecutive UIDs as (first, count) runs.</summary>
    private static IEnumerable<(uint Start, uint Count)> Runs(SortedSet<uint> uids)
    {
        uint start = 0, count = 0;
        foreach (var uid in uids)
        {
            if (count > 0 && uid == start + count)
            {
                count++;
                continue;
            }

            if (count > 0)
            {
                yield return (start, count);
            }

            (start, count) = (uid, 1);
        }

        if (count > 0)
        {
            yield return (start, count);
        }
    }

    /// <summary>One folder's runs in a segment.</summary>
    /// <param name="Replace">Whether they replace the runs the segments before held for the folder.</param>
    /// <param name="Map">The runs.</param>
    internal sealed record FolderRuns(bool Replace, UidMap Map)
    {
        public FolderRuns(bool replace, IEnumerable<UidRun> runs)
            : this(replace, new UidMap())
        {
            foreach (var run in runs)
            {
                Map.Absorb(run);
            }
        }
    }

    private sealed class VarintWriter
    {
        private byte[] buffer = new byte[256];
        private int length;

        public ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

        public void Byte(byte value)
        {
            Room(1);
            buffer[length++] = value;
        }

        // LEB128, as protobuf's varints: 7 bits a byte, low bits first (https://protobuf.dev/programming-guides/encoding/#varints).
        public void Number(ulong value)
        {
            Room(10);
            while (value >= 0x80)
            {
                buffer[length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[length++] = (byte)value;
        }

        // Zigzag, as protobuf's sint64: small negative numbers stay short.
        public void Signed(long value) => Number((ulong)((value << 1) ^ (value >> 63)));

        public void Text(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Number((ulong)bytes.Length);
            Room(bytes.Length);
            bytes.CopyTo(buffer, length);
            length += bytes.Length;
        }

        private void Room(int more)
        {
            if (length + more > buffer.Length)
            {
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + more));
            }
        }
    }

    private ref struct VarintReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> data = data;
        private int at;

        public byte Byte() => at < data.Length ? data[at++] : throw new InvalidDataException("A cursor segment ends early.");

        public ulong Number()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("A cursor segment holds an overlong number.");
        }

        public long Signed()
        {
            var value = Number();
            return (long)(value >> 1) ^ -(long)(value & 1);
        }

        public int Count()
        {
            var value = Number();
            // Every item takes at least a byte: a larger count is a damaged segment, not an allocation to make.
            return value <= (ulong)(data.Length - at)
                ? (int)value
                : throw new InvalidDataException("A cursor segment names more items than it holds.");
        }

        public string Text()
        {
            var bytes = Count();
            if (bytes > data.Length - at)
            {
                throw new InvalidDataException("A cursor segment ends early.");
            }

            var text = Encoding.UTF8.GetString(data.Slice(at, bytes));
            at += bytes;
            return text;
        }
    }
}
