using System.Text;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Testing;

/// <summary>One message to seed: its raw bytes and the state to give it.</summary>
public sealed record SeedMessage(string Raw, MessageFlags Flags, string[] Keywords, DateTimeOffset Date)
{
    public byte[] Bytes => Encoding.UTF8.GetBytes(Raw);
}

/// <summary>Seeds a mailbox over IMAP and reads a mailbox back for comparison.</summary>
public static class MailCorpus
{
    private static readonly DateTimeOffset Y2015 = new(2015, 3, 4, 5, 6, 7, TimeSpan.FromHours(3));

    /// <summary>A message with the given headers and body, CRLF line ends.</summary>
    public static string Message(string subject, string? messageId, string body = "Hello.\r\n", string extraHeaders = "") =>
        $"From: Ivan <ivan@old.example>\r\nTo: maria@old.example\r\nSubject: {subject}\r\n"
        + (messageId is null ? "" : $"Message-ID: <{messageId}>\r\n")
        + "Date: Tue, 4 Mar 2015 05:06:07 +0300\r\n" + extraHeaders + "\r\n" + body;

    /// <summary>Header text: <paramref name="start"/>, then fold lines of 76 characters (RFC 5322 section 2.2.3) until it
    /// is at least <paramref name="length"/> characters long, with no line break at the end. What makes MimeKit's
    /// header parser slow (it grows faster than linearly with fold lines).</summary>
    public static string Folded(string start, int length)
    {
        var folded = new StringBuilder(start, length + 80);
        while (folded.Length < length)
        {
            folded.Append("\r\n ").Append('h', 76);
        }

        return folded.ToString();
    }

    /// <summary>The corpus every copy test uses: nested and non-ASCII folders, a \Noselect parent, flags and keywords,
    /// dates over years, 8-bit and malformed MIME, no Message-ID, a shared Message-ID, an empty folder; with
    /// <paramref name="bigMessageBytes"/> above zero, one message of that size too.</summary>
    public static Dictionary<string, List<SeedMessage>> Standard(int bigMessageBytes = 0)
    {
        var corpus = new Dictionary<string, List<SeedMessage>>(StringComparer.Ordinal)
        {
            ["INBOX"] =
            [
                new(Message("plain", "p1@old.example"), MessageFlags.Seen, ["$Label1"], Y2015),
                new(Message("no message id", null), MessageFlags.Flagged, [], Y2015.AddYears(1)),
                new(Message("shared id one", "same@old.example", "first body\r\n"), MessageFlags.None, ["Project-X"], Y2015.AddYears(2)),
                new(Message("shared id two", "same@old.example", "second, longer body\r\n"), MessageFlags.Seen | MessageFlags.Answered, [], Y2015.AddYears(3)),
                new(Message("8bit", "e1@old.example", "Привет, мир — 8-bit без кодировки.\r\n",
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"), MessageFlags.None, [], Y2015.AddYears(4)),
                new(Message("malformed", "m1@old.example", "--nope\r\nContent-Type: text/plain\r\n\r\npart without end\r\n",
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n"), MessageFlags.Seen, ["NonJunk", "$Label2"], Y2015.AddYears(5)),
                new(Message("no mime version", "nm@old.example", "plain old RFC 822\r\n"), MessageFlags.None, [], Y2015.AddYears(6)),
            ],
            ["Sent"] =
            [
                new(Message("sent one", "s1@old.example"), MessageFlags.Seen, [], Y2015.AddDays(10)),
                new(Message("sent two", "s2@old.example"), MessageFlags.Seen | MessageFlags.Answered, [], Y2015.AddDays(20)),
            ],
            ["Drafts"] = [new(Message("draft", "d1@old.example"), MessageFlags.Draft, [], Y2015.AddDays(30))],
            ["Trash"] = [new(Message("deleted", "t1@old.example"), MessageFlags.Seen | MessageFlags.Deleted, [], Y2015.AddDays(40))],
            ["Work"] = [new(Message("work", "w1@old.example"), MessageFlags.None, ["Project-X"], Y2015.AddYears(7))],
            ["Work.Projects"] = [new(Message("project", "w2@old.example"), MessageFlags.Seen, [], Y2015.AddYears(8))],
            ["Входящие.Архив 2024"] = [new(Message("архив", "a1@old.example"), MessageFlags.Seen, [], Y2015.AddYears(9))],
            ["Empty"] = [],
        };
        if (bigMessageBytes > 0)
        {
            var line = new string('x', 76) + "\r\n";
            var body = new StringBuilder(bigMessageBytes + line.Length);
            while (body.Length < bigMessageBytes)
            {
                body.Append(line);
            }

            corpus["Big"] = [new(Message("big", "big@old.example", body.ToString()), MessageFlags.Seen, [], Y2015.AddYears(10))];
        }

        return corpus;
    }

    /// <summary>Creates the folders and appends the messages exactly (raw bytes, flags, keywords, dates).</summary>
    public static async Task SeedAsync(DovecotServer server, MailAccount account, Dictionary<string, List<SeedMessage>> corpus)
    {
        using var client = await Connect(server, account);
        foreach (var (name, messages) in corpus)
        {
            var folder = name == "INBOX" ? client.Inbox : await EnsureFolderAsync(server, account, client, name);
            foreach (var message in messages)
            {
                await AppendAsync(folder, message);
            }
        }

        await client.DisconnectAsync(true);
    }

    public static async Task AppendAsync(IMailFolder folder, SeedMessage message)
    {
        var raw = RawMessage.Create(message.Bytes);
        Assert.True(raw.IsExact, "the seed message must be appendable byte for byte");
        var request = new AppendRequest(raw.Message, message.Flags) { InternalDate = message.Date };
        request.Keywords = new HashSet<string>(message.Keywords);
        await folder.AppendAsync(raw.Format, request);
    }

    public static async Task<IMailFolder> EnsureFolderAsync(DovecotServer server, MailAccount account, ImapClient client, string name)
    {
        try
        {
            return await client.GetFolderAsync(name);
        }
        catch (FolderNotFoundException)
        {
            // doveadm creates "A.B" alone, leaving "A" a \Noselect parent, as the corpus wants.
            server.Doveadm("mailbox", "create", "-u", account.Login, name);
            return await client.GetFolderAsync(name);
        }
    }

    public static async Task<ImapClient> Connect(DovecotServer server, MailAccount account) =>
        await new MailConnector(new ConnectorOptions(), TestSourceAccess.LoopbackPolicy).OpenImapAsync(server.Imaps, account, MailSide.Source, CancellationToken.None);

    /// <summary>The standard corpus with <paramref name="more"/> plain messages more in the inbox (subjects "TAG n"),
    /// so that a batch of a few mailboxes runs through many small chunks for a test to interrupt.</summary>
    public static Dictionary<string, List<SeedMessage>> StandardAndMore(int more, string tag)
    {
        var corpus = Standard();
        corpus["INBOX"].AddRange(Enumerable.Range(0, more).Select(i =>
            new SeedMessage(Message($"{tag} {i}", $"{tag}{i}@old.example", $"body {i}\r\n"), MessageFlags.Seen, [], new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i))));
        return corpus;
    }

    /// <summary>Messages of <paramref name="source"/> missing at <paramref name="destination"/> and messages there more
    /// often than at the source, folder by folder, counted as multisets: a message copied twice has its line twice.</summary>
    public static (int Lost, int Doubled) LostAndDoubled(SortedDictionary<string, List<string>> source, SortedDictionary<string, List<string>> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var (lost, doubled) = (0, 0);
        foreach (var (folder, messages) in source)
        {
            var there = (destination.GetValueOrDefault(folder) ?? []).CountBy(m => m).ToDictionary();
            foreach (var (message, count) in messages.CountBy(m => m))
            {
                var found = there.GetValueOrDefault(message);
                lost += Math.Max(0, count - found);
                doubled += Math.Max(0, found - count);
            }
        }

        return (lost, doubled);
    }

    /// <summary>Asserts two snapshots are equal, naming every folder and line that differs.</summary>
    public static void AssertSame(SortedDictionary<string, List<string>> expected, SortedDictionary<string, List<string>> actual)
    {
        var differences = new List<string>();
        foreach (var folder in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            if (!actual.TryGetValue(folder, out var have))
            {
                differences.Add($"{folder}: missing at the destination");
                continue;
            }

            if (!expected.TryGetValue(folder, out var want))
            {
                // A \Noselect parent at the source is no folder at the destination either (left out of both snapshots).
                differences.Add($"{folder}: only at the destination, with {have.Count} messages");
                continue;
            }

            if (!want.SequenceEqual(have))
            {
                differences.Add($"{folder}:\n  expected:\n    {string.Join("\n    ", want)}\n  actual:\n    {string.Join("\n    ", have)}");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    /// <summary>Every selectable folder's messages as (SHA-256 of the bytes, flags, keywords, date), in UID order.</summary>
    public static async Task<SortedDictionary<string, List<string>>> SnapshotAsync(DovecotServer server, MailAccount account)
    {
        using var client = await Connect(server, account);
        var snapshot = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var folder in await client.GetFoldersAsync(client.PersonalNamespaces[0]))
        {
            if ((folder.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) != 0)
            {
                continue;
            }

            await folder.OpenAsync(FolderAccess.ReadOnly);
            var messages = new List<string>();
            if (folder.Count > 0)
            {
                var summaries = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate);
                foreach (var summary in summaries.OrderBy(s => s.UniqueId.Id))
                {
                    await using var stream = await folder.GetStreamAsync(summary.UniqueId, "");
                    using var buffer = new MemoryStream();
                    await stream.CopyToAsync(buffer);
                    var flags = (summary.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined);
                    var keywords = string.Join(",", (summary.Keywords ?? new HashSet<string>()).Order(StringComparer.Ordinal));
                    messages.Add($"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(buffer.ToArray()))[..16]} {buffer.Length} {flags} [{keywords}] {summary.InternalDate?.ToUniversalTime():O}");
                }
            }

            snapshot[folder.FullName] = messages;
            await folder.CloseAsync();
        }

        await client.DisconnectAsync(true);
        return snapshot;
    }
}
