using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Mail.Sync;

/// <summary>Consecutive source UIDs copied onto consecutive destination UIDs.</summary>
/// <param name="Source">The first source UID.</param>
/// <param name="Destination">The destination UID it became.</param>
/// <param name="Count">How many UIDs the run holds, one after another on both sides.</param>
public readonly record struct UidRun(uint Source, uint Destination, uint Count)
{
    /// <summary>Whether (<paramref name="source"/>, <paramref name="destination"/>) continues this run.</summary>
    public bool Continues(uint source, uint destination) =>
        Count < uint.MaxValue && (ulong)Source + Count == source && (ulong)Destination + Count == destination;

    /// <summary>Whether <paramref name="next"/> starts where this run ends, on both sides.</summary>
    public bool Joins(UidRun next) =>
        (ulong)Count + next.Count <= uint.MaxValue && (ulong)Source + Count == next.Source && (ulong)Destination + Count == next.Destination;
}

/// <summary>Which destination UID each copied source UID became, stored as runs so a folder copied in order
/// costs a few numbers, not one pair per message.</summary>
/// <remarks>
/// The copy appends in increasing source UID order, so the runs live in a list sorted by source that grows at its end:
/// an append is O(1) amortised. An add below the highest run (reconcile can record a message below ones already mapped)
/// goes into a balanced tree of its own, O(log n) (its floor query, GetViewBetween(...).Max, no longer counts the view:
/// https://github.com/dotnet/corefx/pull/30921); a lookup is a binary search of the list and one of the tree.
/// <see cref="Runs"/> merges both in source order, joining runs that meet.
/// The map remembers what was added since its store last wrote it (<see cref="Unsaved"/>), so a save writes only that.
/// </remarks>
[JsonConverter(typeof(UidMapJsonConverter))]
public sealed class UidMap
{
    private static readonly IComparer<UidRun> BySource = Comparer<UidRun>.Create((a, b) => a.Source.CompareTo(b.Source));

    private readonly List<UidRun> runs = [];
    private readonly List<UidRun> unsaved = [];
    private SortedSet<UidRun>? below;

    /// <summary>Number of mapped messages.</summary>
    public long Count { get; private set; }

    /// <summary>How many runs the map keeps, before joining those that meet: cheap, unlike <see cref="Runs"/>.</summary>
    internal int RunCount => runs.Count + (below?.Count ?? 0);

    /// <summary>The runs in source order, runs that meet joined.</summary>
    public IReadOnlyList<UidRun> Runs => [.. Joined(Ordered())];

    /// <summary>Whether the store holds everything this map held before <see cref="Unsaved"/>: false for a new map,
    /// which replaces whatever the store held for its folder.</summary>
    internal bool Stored { get; private set; }

    /// <summary>The runs added since the store last wrote this map, in the order added.</summary>
    internal IReadOnlyList<UidRun> Unsaved => unsaved;

    /// <summary>Records that <paramref name="source"/> was copied as <paramref name="destination"/>.</summary>
    public void Add(uint source, uint destination) => Add(new UidRun(source, destination, 1));

    /// <summary>Records a run of copies.</summary>
    public void Add(UidRun run)
    {
        if (Absorb(run))
        {
            Track(run);
        }
    }

    /// <summary>Records a run the store already holds (read back from it): nothing to write.</summary>
    /// <returns>False for an empty run.</returns>
    internal bool Absorb(UidRun run)
    {
        if (run.Count == 0)
        {
            return false;
        }

        Place(run);
        Count += run.Count;
        return true;
    }

    private void Track(UidRun run)
    {
        if (unsaved.Count > 0 && unsaved[^1].Joins(run))
        {
            unsaved[^1] = unsaved[^1] with { Count = unsaved[^1].Count + run.Count };
        }
        else
        {
            unsaved.Add(run);
        }
    }

    /// <summary>The destination UID <paramref name="source"/> was copied as, if it was.</summary>
    public bool TryGetDestination(uint source, out uint destination)
    {
        destination = 0;
        var probe = new UidRun(source, 0, 0);
        var at = runs.BinarySearch(probe, BySource);
        UidRun? found = at >= 0 ? runs[at] : at == -1 ? null : runs[~at - 1];
        if (below is { Count: > 0 } && below.Min.Source <= source)
        {
            var floor = below.GetViewBetween(below.Min, probe).Max;
            // The later record of a source UID mapped twice is the tree's: it wins a tie.
            if (found is not { } listed || floor.Source >= listed.Source)
            {
                found = floor;
            }
        }

        if (found is { } run && source - run.Source < run.Count)
        {
            destination = run.Destination + (source - run.Source);
            return true;
        }

        return false;
    }

    /// <summary>Every (source, destination) pair, in source order.</summary>
    public IEnumerable<(uint Source, uint Destination)> Pairs()
    {
        foreach (var run in Ordered())
        {
            for (uint i = 0; i < run.Count; i++)
            {
                yield return (run.Source + i, run.Destination + i);
            }
        }
    }

    /// <summary>The store now holds everything in the map.</summary>
    internal void MarkStored()
    {
        Stored = true;
        unsaved.Clear();
    }

    /// <summary>Joins runs that meet; <paramref name="ordered"/> is in source order.</summary>
    internal static IEnumerable<UidRun> Joined(IEnumerable<UidRun> ordered)
    {
        UidRun? pending = null;
        foreach (var run in ordered)
        {
            if (pending is { } open && open.Joins(run))
            {
                pending = open with { Count = open.Count + run.Count };
                continue;
            }

            if (pending is { } done)
            {
                yield return done;
            }

            pending = run;
        }

        if (pending is { } last)
        {
            yield return last;
        }
    }

    private void Place(UidRun run)
    {
        if (runs.Count == 0 || runs[^1].Source < run.Source)
        {
            if (runs.Count > 0 && runs[^1].Joins(run))
            {
                runs[^1] = runs[^1] with { Count = runs[^1].Count + run.Count };
            }
            else
            {
                runs.Add(run);
            }

            return;
        }

        below ??= new SortedSet<UidRun>(BySource);
        if (below.Count > 0 && below.Min.Source < run.Source)
        {
            var floor = below.GetViewBetween(below.Min, run).Max;
            if (floor.Source < run.Source && floor.Joins(run))
            {
                below.Remove(floor);
                below.Add(floor with { Count = floor.Count + run.Count });
                return;
            }
        }

        if (!below.Add(run))
        {
            // The same first source UID again (a message recorded twice): the later record wins, as a lookup should see.
            below.Remove(run);
            below.Add(run);
        }
    }

    /// <summary>The list and the tree merged in source order.</summary>
    private IEnumerable<UidRun> Ordered()
    {
        if (below is not { Count: > 0 })
        {
            foreach (var run in runs)
            {
                yield return run;
            }

            yield break;
        }

        using var extra = below.GetEnumerator();
        var more = extra.MoveNext();
        foreach (var run in runs)
        {
            while (more && extra.Current.Source < run.Source)
            {
                yield return extra.Current;
                more = extra.MoveNext();
            }

            yield return run;
        }

        while (more)
        {
            yield return extra.Current;
            more = extra.MoveNext();
        }
    }
}

/// <summary>The map as JSON, <c>{"Runs":[[source,destination,count],...]}</c>: the form cursors of format 1 carry inline,
/// still read so a cursor stored by an earlier release (a batch in progress) survives the upgrade.</summary>
internal sealed class UidMapJsonConverter : JsonConverter<UidMap>
{
    public override UidMap Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var map = new UidMap();
        Expect(reader.TokenType == JsonTokenType.StartObject, "a UID map must be an object");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            Expect(reader.TokenType == JsonTokenType.PropertyName, "a property name");
            var runs = reader.ValueTextEquals("Runs"u8);
            reader.Read();
            if (!runs)
            {
                reader.Skip();
                continue;
            }

            Expect(reader.TokenType == JsonTokenType.StartArray, "Runs must be an array");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                Expect(reader.TokenType == JsonTokenType.StartArray, "a run must be an array");
                var numbers = new uint[3];
                for (var i = 0; i < 3; i++)
                {
                    reader.Read();
                    numbers[i] = reader.GetUInt32();
                }

                reader.Read();
                Expect(reader.TokenType == JsonTokenType.EndArray, "a run is [source, destination, count]");
                map.Absorb(new UidRun(numbers[0], numbers[1], numbers[2]));
            }
        }

        return map;
    }

    public override void Write(Utf8JsonWriter writer, UidMap value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("Runs"u8);
        foreach (var run in value.Runs)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(run.Source);
            writer.WriteNumberValue(run.Destination);
            writer.WriteNumberValue(run.Count);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Expect(bool ok, string what)
    {
        if (!ok)
        {
            throw new JsonException($"Not a UID map: {what}.");
        }
    }
}
