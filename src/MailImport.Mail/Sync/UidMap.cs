using System.Text.Json.Serialization;

namespace MailImport.Mail.Sync;

/// <summary>Which destination UID each copied source UID became, stored as runs so a folder copied in order
/// costs a few numbers, not one pair per message.</summary>
public sealed class UidMap
{
    /// <summary>Runs of consecutive source UIDs that map onto consecutive destination UIDs: [source, destination, count].</summary>
    public List<uint[]> Runs { get; init; } = [];

    /// <summary>Number of mapped messages.</summary>
    [JsonIgnore]
    public long Count => Runs.Sum(r => (long)r[2]);

    /// <summary>Records that <paramref name="source"/> was copied as <paramref name="destination"/>.</summary>
    public void Add(uint source, uint destination)
    {
        if (Runs.Count > 0)
        {
            var last = Runs[^1];
            if (last[0] + last[2] == source && last[1] + last[2] == destination)
            {
                last[2]++;
                return;
            }
        }

        var at = Runs.FindIndex(r => r[0] > source);
        Runs.Insert(at < 0 ? Runs.Count : at, [source, destination, 1]);
    }

    /// <summary>Every (source, destination) pair, in source order.</summary>
    public IEnumerable<(uint Source, uint Destination)> Pairs() =>
        Runs.SelectMany(r => Enumerable.Range(0, (int)r[2]).Select(i => (r[0] + (uint)i, r[1] + (uint)i)));
}
