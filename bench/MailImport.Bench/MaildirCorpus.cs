using System.Globalization;
using System.Text;

namespace MailImport.Bench;

/// <summary>What <see cref="MaildirCorpus"/> wrote.</summary>
/// <param name="Messages">Messages written.</param>
/// <param name="Bytes">Their sizes as IMAP reports them (RFC822.SIZE: CRLF line ends), added up.</param>
/// <param name="Folders">Messages per IMAP folder name.</param>
/// <param name="Plain">About 2 KB text/plain messages.</param>
/// <param name="Html">About 50 KB text/html messages.</param>
/// <param name="Attachments">2-5 MB messages with a base64 attachment.</param>
internal sealed record CorpusSummary(long Messages, long Bytes, IReadOnlyDictionary<string, int> Folders, int Plain, int Html, int Attachments);

/// <summary>A deterministic Maildir++ corpus: the same seed writes the same bytes, names and dates on every machine.</summary>
/// <remarks>
/// Only <see cref="Random"/> with the given seed decides anything (no clock, no Guid), and it is drawn in one fixed order.
/// Files are stored the way a delivery agent stores them: LF line ends (Dovecot sends CRLF on the wire), written to
/// tmp/ and renamed into cur/, named "time.Mn.host,S=size,W=vsize:2,FLAGS" (flags in ASCII order). Dovecot takes a
/// maildir message's INTERNALDATE from the file's mtime, so each file's mtime is its message's date.
/// </remarks>
/// <param name="small">Every message a short text/plain one (about 600 to 900 bytes, no large ones): a corpus of a
/// million messages then fits in a few GB of tmpfs, and the copy's per-message costs (cursor, commands) show.</param>
internal sealed class MaildirCorpus(int count, int seed, int giantMegabytes = 0, bool small = false)
{
    /// <summary>Messages that carry a 2-5 MB attachment: exactly ten, so large messages are in every run yet few.</summary>
    public const int BigMessages = 10;

    private const string Owner = "Maria Ivanova <maria.ivanova@old-company.example>";
    private const string OwnerAddress = "maria.ivanova@old-company.example";

    private static readonly DateTimeOffset Start = new(2012, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long SpanSeconds = (long)(new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero) - Start).TotalSeconds;
    private static readonly TimeSpan[] Zones = [TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(-5), TimeSpan.FromHours(-8), new(5, 30, 0)];

    private static readonly string[] FirstNames = ["Ivan", "Olga", "Pavel", "Anna", "Sergey", "Elena", "Dmitry", "Irina", "John", "Emma", "Lucas", "Sofia", "Ahmed", "Mei", "Carlos", "Nina"];
    private static readonly string[] LastNames = ["Petrov", "Smirnova", "Kuznetsov", "Popova", "Sokolov", "Lebedeva", "Smith", "Brown", "Garcia", "Muller", "Rossi", "Chen", "Novak", "Kowalski"];
    private static readonly string[] Domains = ["old-company.example", "partner.example", "supplier.example", "mail.example", "customer.example"];

    private static readonly string[] Words =
    [
        "the", "report", "meeting", "budget", "quarter", "project", "deadline", "review", "contract", "invoice", "delivery",
        "schedule", "update", "please", "attached", "regarding", "customer", "order", "shipment", "approval", "draft",
        "final", "version", "team", "office", "travel", "agenda", "minutes", "proposal", "question", "answer", "thanks",
        "tomorrow", "monday", "friday", "next", "week", "month", "year", "plan", "result", "figures", "sales", "costs",
        "server", "migration", "mailbox", "account", "access", "password", "policy", "security", "backup", "storage",
        "and", "of", "to", "in", "for", "with", "on", "at", "by", "from", "we", "you", "our", "your", "is", "are", "will",
        "can", "should", "would", "could", "be", "have", "has", "not", "all", "this", "that", "these", "those", "it",
    ];

    private static readonly string[] RussianWords = ["отчёт", "встреча", "бюджет", "проект", "договор", "счёт", "поставка", "график", "квартал", "итоги"];

    private static readonly (string Name, string Directory, double Share)[] FolderShares =
    [
        ("INBOX", "", 0.80),
        ("Sent", ".Sent", 0.14),
        ("Archive", ".Archive", 0.06),
    ];

    /// <summary>Writes the corpus into <paramref name="maildir"/>, which must hold no messages yet.</summary>
    public async Task<CorpusSummary> WriteAsync(string maildir, CancellationToken cancellationToken)
    {
        foreach (var (_, directory, _) in FolderShares)
        {
            var root = Path.Combine(maildir, directory);
            foreach (var sub in new[] { "cur", "new", "tmp" })
            {
                Directory.CreateDirectory(Path.Combine(root, sub));
            }

            if (Directory.EnumerateFileSystemEntries(Path.Combine(root, "cur")).Any() || Directory.EnumerateFileSystemEntries(Path.Combine(root, "new")).Any())
            {
                throw new UsageException($"{root} already holds messages; seed an empty maildir so the corpus is exactly the one the seed describes");
            }

            if (directory.Length > 0)
            {
                // Maildir++ marks a folder (as opposed to the root) with an empty "maildirfolder" file.
                await File.WriteAllBytesAsync(Path.Combine(root, "maildirfolder"), [], cancellationToken);
            }
        }

        var random = new Random(seed);
        var big = small ? [] : PickBig(random);
        var folders = FolderShares.ToDictionary(f => f.Name, _ => 0, StringComparer.Ordinal);
        long bytes = 0;
        int plain = 0, html = 0;
        for (var i = 0; i < count; i++)
        {
            var (folder, directory) = PickFolder(random);
            var giant = giantMegabytes > 0 && i == count / 2;
            var kind = giant || big.Contains(i) ? Kind.Attachment : small || random.NextDouble() >= 0.25 ? Kind.Plain : Kind.Html;
            var message = Compose(random, i, folder, kind, giant ? giantMegabytes * 1_000_000 : 0, small);
            var raw = Encoding.UTF8.GetBytes(message.Text);
            var virtualSize = raw.Length + raw.Count(b => b == (byte)'\n');
            var name = FormattableString.Invariant(
                $"{message.Date.ToUnixTimeSeconds()}.M{i:D7}P{seed}.bench,S={raw.Length},W={virtualSize}:2,{message.Flags}");

            var temporary = Path.Combine(maildir, directory, "tmp", name);
            await File.WriteAllBytesAsync(temporary, raw, cancellationToken);
            File.SetLastWriteTimeUtc(temporary, message.Date.UtcDateTime);
            File.Move(temporary, Path.Combine(maildir, directory, "cur", name));

            folders[folder]++;
            bytes += virtualSize;
            plain += kind == Kind.Plain ? 1 : 0;
            html += kind == Kind.Html ? 1 : 0;
        }

        return new CorpusSummary(count, bytes, folders, plain, html, big.Count);
    }

    private enum Kind
    {
        Plain,
        Html,
        Attachment,
    }

    private sealed record Composed(string Text, DateTimeOffset Date, string Flags);

    private HashSet<int> PickBig(Random random)
    {
        // A partial Fisher-Yates shuffle: BigMessages distinct indices, spread over the whole corpus.
        var indices = Enumerable.Range(0, count).ToArray();
        var picked = new HashSet<int>();
        for (var i = 0; i < Math.Min(BigMessages, count); i++)
        {
            var j = random.Next(i, count);
            (indices[i], indices[j]) = (indices[j], indices[i]);
            picked.Add(indices[i]);
        }

        return picked;
    }

    private static (string Name, string Directory) PickFolder(Random random)
    {
        var roll = random.NextDouble();
        foreach (var (name, directory, share) in FolderShares)
        {
            if (roll < share)
            {
                return (name, directory);
            }

            roll -= share;
        }

        return (FolderShares[0].Name, FolderShares[0].Directory);
    }

    /// <param name="attachmentBytes">For an attachment message, its size; 0 for a random 2 to 5 MB.</param>
    /// <param name="small">A text/plain message gets 100 to 400 bytes of prose instead of 1,000 to 2,000.</param>
    private static Composed Compose(Random random, int index, string folder, Kind kind, int attachmentBytes = 0, bool small = false)
    {
        var date = Start.AddSeconds(random.NextInt64(SpanSeconds)).ToOffset(Zones[random.Next(Zones.Length)]);
        var other = Person(random);
        var (from, to) = folder == "Sent" ? (Owner, other) : (other, Owner);
        var subject = Subject(random);
        var flags = Flags(random, folder);
        var messageId = FormattableString.Invariant($"<{date.ToUnixTimeSeconds():x}.{index}.{random.Next():x8}@{Domains[random.Next(Domains.Length)]}>");
        var relay = random.Next(1, 9);

        var text = new StringBuilder(kind == Kind.Attachment ? Math.Max(5_200_000, attachmentBytes + 200_000) : kind == Kind.Html ? 64_000 : 4_000);
        text.Append(CultureInfo.InvariantCulture,
            $"Return-Path: <{Address(from)}>\nReceived: from mx{relay}.partner.example (mx{relay}.partner.example [192.0.2.{relay}])\n")
            .Append(CultureInfo.InvariantCulture, $"\tby mail.old-company.example with ESMTPS id {random.NextInt64():x16}\n")
            .Append(CultureInfo.InvariantCulture, $"\tfor <{Address(to)}>; {Rfc5322(date)}\n")
            .Append(CultureInfo.InvariantCulture, $"Message-ID: {messageId}\nDate: {Rfc5322(date)}\nFrom: {from}\nTo: {to}\nSubject: {subject}\n")
            .Append("MIME-Version: 1.0\n");

        switch (kind)
        {
            case Kind.Plain:
                text.Append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n");
                Paragraphs(random, text, small ? random.Next(100, 400) : random.Next(1_000, 2_000), html: false);
                text.Append(CultureInfo.InvariantCulture, $"-- \n{Name(from)}\n");
                break;
            case Kind.Html:
                text.Append("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n")
                    .Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{index}</title></head>\n<body>\n");
                Paragraphs(random, text, random.Next(40_000, 60_000), html: true);
                text.Append("</body></html>\n");
                break;
            default:
                var boundary = FormattableString.Invariant($"=_bench_{index}_{random.Next():x8}");
                var target = random.Next(2_000_000, 5_000_001);
                target = attachmentBytes > 0 ? attachmentBytes : target;
                text.Append(CultureInfo.InvariantCulture, $"Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\nThis is a multi-part message in MIME format.\n\n--{boundary}\n")
                    .Append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n");
                Paragraphs(random, text, 600, html: false);
                text.Append(CultureInfo.InvariantCulture, $"\n--{boundary}\nContent-Type: application/pdf; name=\"report-{index}.pdf\"\n")
                    .Append(CultureInfo.InvariantCulture, $"Content-Disposition: attachment; filename=\"report-{index}.pdf\"\nContent-Transfer-Encoding: base64\n\n");
                // Base64 in 76-character lines: 57 source bytes make 77 bytes on disk (76 + LF).
                var attachment = new byte[Math.Max(57, (target - text.Length) / 77 * 57)];
                random.NextBytes(attachment);
                var encoded = Convert.ToBase64String(attachment);
                for (var offset = 0; offset < encoded.Length; offset += 76)
                {
                    text.Append(encoded, offset, Math.Min(76, encoded.Length - offset)).Append('\n');
                }

                text.Append(CultureInfo.InvariantCulture, $"--{boundary}--\n");
                break;
        }

        return new Composed(text.ToString(), date, flags);
    }

    /// <summary>Flags as a maildir info suffix, in ASCII order as Maildir requires (F, R, S); never T (deleted), so
    /// every tool copies every message.</summary>
    private static string Flags(Random random, string folder)
    {
        var seen = folder != "INBOX" || random.NextDouble() < 0.75;
        var answered = seen && folder != "Sent" && random.NextDouble() < 0.15;
        var flagged = random.NextDouble() < 0.08;
        return (flagged ? "F" : "") + (answered ? "R" : "") + (seen ? "S" : "");
    }

    private static string Person(Random random)
    {
        var first = FirstNames[random.Next(FirstNames.Length)];
        var last = LastNames[random.Next(LastNames.Length)];
        var domain = Domains[random.Next(Domains.Length)];
        return $"{first} {last} <{first.ToLowerInvariant()}.{last.ToLowerInvariant()}@{domain}>";
    }

    private static string Address(string person) => person[(person.IndexOf('<', StringComparison.Ordinal) + 1)..^1];

    private static string Name(string person) => person[..person.IndexOf(" <", StringComparison.Ordinal)];

    private static string Subject(Random random)
    {
        var prefix = random.NextDouble() < 0.2 ? "Re: " : "";
        if (random.NextDouble() < 0.05)
        {
            // Some subjects are non-ASCII, as RFC 2047 encoded words.
            var words = string.Join(' ', Enumerable.Range(0, random.Next(2, 5)).Select(_ => RussianWords[random.Next(RussianWords.Length)]));
            return prefix + "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(words)) + "?=";
        }

        var subject = string.Join(' ', Enumerable.Range(0, random.Next(3, 9)).Select(_ => Words[random.Next(Words.Length)]));
        return prefix + char.ToUpperInvariant(subject[0]) + subject[1..];
    }

    /// <summary>Appends about <paramref name="size"/> bytes of prose in lines of at most 76 characters.</summary>
    private static void Paragraphs(Random random, StringBuilder text, int size, bool html)
    {
        var end = text.Length + size;
        while (text.Length < end)
        {
            var bold = html && random.Next(8) == 0;
            text.Append(html ? (bold ? "<p><b>" : "<p>") : "");
            var line = 0;
            for (var words = random.Next(20, 90); words > 0; words--)
            {
                var word = Words[random.Next(Words.Length)];
                if (line + word.Length + 1 > 76)
                {
                    text.Append('\n');
                    line = 0;
                }
                else if (line > 0)
                {
                    text.Append(' ');
                    line++;
                }

                text.Append(word);
                line += word.Length;
            }

            text.Append(html ? (bold ? ".</b></p>\n" : ".</p>\n") : ".\n\n");
        }
    }

    private static string Rfc5322(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        return date.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + FormattableString.Invariant($"{sign}{Math.Abs(offset.Hours):D2}{Math.Abs(offset.Minutes):D2}");
    }
}
