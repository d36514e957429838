using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Mail.Sync;

/// <summary>The POP3 UIDLs already copied. Kept exact, not as digests: a digest that collided would make a new message
/// look copied, and it would never be.</summary>
/// <remarks>Remembers what was added since its store last wrote it (<see cref="Unsaved"/>), so a save writes only that.</remarks>
[JsonConverter(typeof(UidlSetJsonConverter))]
public sealed class UidlSet : IReadOnlyCollection<string>
{
    private readonly HashSet<string> uidls = new(StringComparer.Ordinal);
    private readonly List<string> unsaved = [];

    /// <inheritdoc/>
    public int Count => uidls.Count;

    /// <summary>Whether the store holds everything this set held before <see cref="Unsaved"/>: false for a new set.</summary>
    internal bool Stored { get; private set; }

    /// <summary>The UIDLs added since the store last wrote this set, in the order added.</summary>
    internal IReadOnlyList<string> Unsaved => unsaved;

    /// <summary>Whether <paramref name="uidl"/> was copied.</summary>
    public bool Contains(string uidl) => uidls.Contains(uidl);

    /// <summary>Records that <paramref name="uidl"/> was copied; false when it already was.</summary>
    public bool Add(string uidl)
    {
        ArgumentNullException.ThrowIfNull(uidl);
        if (!uidls.Add(uidl))
        {
            return false;
        }

        unsaved.Add(uidl);
        return true;
    }

    /// <summary>Records a UIDL the store already holds (read back from it): nothing to write.</summary>
    internal void Absorb(string uidl) => uidls.Add(uidl);

    /// <inheritdoc/>
    public IEnumerator<string> GetEnumerator() => uidls.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The store now holds everything in the set.</summary>
    internal void MarkStored()
    {
        Stored = true;
        unsaved.Clear();
    }
}

/// <summary>The set as a JSON array of strings: the form cursors of format 1 carry inline as "Pop3Done".</summary>
internal sealed class UidlSetJsonConverter : JsonConverter<UidlSet>
{
    public override UidlSet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Not a UIDL set: it must be an array of strings.");
        }

        var set = new UidlSet();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            set.Absorb(reader.GetString() ?? throw new JsonException("Not a UIDL set: a UIDL is null."));
        }

        return set;
    }

    public override void Write(Utf8JsonWriter writer, UidlSet value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var uidl in value.Order(StringComparer.Ordinal))
        {
            writer.WriteStringValue(uidl);
        }

        writer.WriteEndArray();
    }
}
