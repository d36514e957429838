using System.Security.Cryptography;
using System.Text;
using MailImport.StandIns.Gmail;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>Thirty distinct messages labelled the ways a Gmail account holds mail.</summary>
internal static class GmailCorpus
{
    /// <summary>Messages with no label at all: archived, seen only in All Mail.</summary>
    public const int Archived = 5;

    /// <summary>Messages in Spam and in Trash, which All Mail does not show.</summary>
    public const int SpamAndTrash = 3;

    /// <summary>Each message's labels and flags, in arrival order.</summary>
    public static readonly IReadOnlyList<(string[] Labels, string[] Flags)> Shapes =
    [
        // Inbox only.
        ([@"\Inbox"], [@"\Seen"]), ([@"\Inbox"], []), ([@"\Inbox"], [@"\Seen"]), ([@"\Inbox", @"\Important"], []), ([@"\Inbox"], [@"\Seen", @"\Answered"]),
        ([@"\Inbox"], []),
        // Inbox and user labels.
        ([@"\Inbox", "Work"], [@"\Seen"]), ([@"\Inbox", "Work", "Projects/Alpha"], []), ([@"\Inbox", "Receipts 2024"], [@"\Seen"]),
        ([@"\Inbox", "Projects/Alpha", "Work"], [@"\Seen"]), ([@"\Inbox", @"\Important", "Family"], []),
        // User labels only.
        (["Work"], [@"\Seen"]), (["Projects/Alpha"], [@"\Seen"]), (["Receipts 2024"], []), (["Work", "Receipts 2024"], [@"\Seen"]), (["Family", "Projects/Alpha"], [@"\Seen"]),
        // Archived: no label.
        ([], [@"\Seen"]), ([], [@"\Seen"]), ([@"\Important"], [@"\Seen"]), ([], []), ([], [@"\Seen", @"\Answered"]),
        // Sent.
        ([@"\Sent"], [@"\Seen"]), ([@"\Sent", "Work"], [@"\Seen"]), ([@"\Sent", @"\Inbox"], [@"\Seen"]),
        // Starred.
        ([@"\Inbox", @"\Starred"], [@"\Seen"]), ([@"\Starred", "Family"], [@"\Seen"]),
        // A draft.
        ([@"\Draft"], [@"\Seen", @"\Draft"]),
        // Spam and Trash.
        ([@"\Spam"], []), ([@"\Spam"], []), ([@"\Trash", "Work"], [@"\Seen"]),
    ];

    /// <summary>The seeds, each message's bytes distinct, with what a byte-exact copy must keep (trailing spaces, an 8-bit
    /// header). No bare LF: Dovecot, the destination, gives those back as CRLF.</summary>
    public static IReadOnlyList<GmailSeed> Seeds() => Shapes.Select((shape, i) => new GmailSeed(
        Encoding.UTF8.GetBytes(MailCorpus.Message($"Gmail message {i} ünïcode", $"gmail-{i}@corpus.example", $"Body {i}  \r\nline two\r\nend\r\n")),
        shape.Labels, shape.Flags, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i))).ToList();

    /// <summary>How many copies of each message a destination snapshot holds, by the SHA-256 prefix the snapshot lines
    /// start with; every seed appears, with 0 when it is missing.</summary>
    public static Dictionary<string, int> Copies(SortedDictionary<string, List<string>> snapshot, IReadOnlyList<GmailSeed> seeds)
    {
        var copies = seeds.ToDictionary(Hash, _ => 0, StringComparer.Ordinal);
        foreach (var line in snapshot.Values.SelectMany(l => l))
        {
            var hash = line.Split(' ')[0];
            copies[hash] = copies.GetValueOrDefault(hash) + 1;
        }

        return copies;
    }

    /// <summary>The SHA-256 prefix a snapshot line names a message by.</summary>
    public static string Hash(GmailSeed seed) => Convert.ToHexString(SHA256.HashData(seed.Raw))[..16];
}
