using System.Security.Cryptography;
using System.Text;
using MailImport.Core.Reports;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Every kind of message a server can hand out, copied through the chunk's own classes from a real Dovecot
/// source over IMAP and over POP3 to a real Dovecot destination: the destination's BODY[] has the SHA-256 of the
/// source's BODY[] (and of POP3's RETR content), message by message, and a POP3 message's INTERNALDATE comes from
/// its Date header, else its topmost Received header, else the import.</summary>
[Collection(DovecotServers.Name)]
public class ExactCopyTests(DovecotFixture servers, ITestOutputHelper output)
{
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static readonly DateTimeOffset NoDate = DateTimeOffset.MinValue;

    /// <summary>One kind of message: its bytes, and the arrival date a POP3 copy must get (<see cref="NoDate"/>: the
    /// import time) and where from.</summary>
    private sealed record Row(byte[] Raw, ArrivalDateSource Source, DateTimeOffset Date);

    private static readonly DateTimeOffset Dated = new(2015, 3, 4, 5, 6, 7, TimeSpan.FromHours(3));

    private static Row Plain(string raw) => new(Latin1(raw), ArrivalDateSource.Date, Dated);

    private const string DateLine = "Date: Wed, 4 Mar 2015 05:06:07 +0300\r\n";

    private static readonly Dictionary<string, Row> Rows = Build();

    private static Dictionary<string, Row> Build()
    {
        var huge = MailCorpus.Folded("From: a@old.example\r\n" + DateLine + "X-Huge: x", 1024 * 1024);
        return new(StringComparer.Ordinal)
        {
            ["utf-8 byte-order mark first"] = new([0xEF, 0xBB, 0xBF, .. Latin1("From: a@old.example\r\n" + DateLine + "Subject: bom\r\n\r\nbody\r\n")], ArrivalDateSource.Date, Dated),
            ["mbox From line first"] = Plain("From sender@old.example Wed Mar  4 05:06:07 2015\r\nFrom: a@old.example\r\n" + DateLine + "\r\nbody\r\n"),
            ["trailing spaces"] = Plain("From: a@old.example \r\n" + DateLine + "Content-Type: multipart/mixed; boundary=foo \r\n\r\n--foo \r\n\r\npart \r\n--foo-- \r\n"),
            ["no final line break"] = Plain("From: a@old.example\r\n" + DateLine + "\r\nno line break at the end"),
            ["zero bytes"] = new([], ArrivalDateSource.ImportTime, NoDate),
            ["bare CR"] = Plain("From: a@old.example\r\n" + DateLine + "Subject: cr\rX-A: 1\r\n\r\nline 1\rline 2\r\n"),
            ["bare LF"] = Plain("From: a@old.example\n" + DateLine + "Subject: lf\n\nline 1\nline 2\n"),
            ["NUL"] = Plain("From: a@old.example\r\n" + DateLine + "Subject: nul\0 in header\r\n\r\nbefore\0after\r\n"),
            ["8-bit headers"] = new([.. Latin1("From: "), .. "Иван <ivan@old.example>\r\n"u8, .. Latin1(DateLine), .. "Subject: Привет\r\nX-Latin1: "u8, 0xE9, 0xFF, .. "\r\n\r\nbody\r\n"u8], ArrivalDateSource.Date, Dated),
            ["invalid header line"] = Plain("From: a@old.example\r\nthis line is no header\r\nSub ject: x\r\n" + DateLine + "\r\nbody\r\n"),
            ["first line starts with a space"] = Plain(" folded: nothing to continue\r\nFrom: a@old.example\r\n" + DateLine + "\r\nbody\r\n"),
            ["first line starts with a tab"] = Plain("\tx\r\nFrom: a@old.example\r\n" + DateLine + "\r\nbody\r\n"),
            ["no CRLF at all"] = new(Latin1("just some text, no line break"), ArrivalDateSource.ImportTime, NoDate),
            ["no blank line"] = Plain("From: a@old.example\r\n" + DateLine + "Subject: headers only\r\n"),
            ["huge header (1 MB folded)"] = Plain(huge + "\r\n\r\nbody\r\n"),
            ["long unfolded line (1 MB)"] = Plain("From: a@old.example\r\n" + DateLine + "X-Long: " + new string('l', 1024 * 1024) + "\r\n\r\nbody\r\n"),
            ["Date with obsolete zone EDT"] = new(Latin1("From: a@old.example\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n\r\nbody\r\n"), ArrivalDateSource.Date, new(2015, 3, 4, 5, 6, 7, TimeSpan.FromHours(-4))),
            ["Date with military zone"] = new(Latin1("From: a@old.example\r\nDate: 4 Mar 15 05:06 Z\r\n\r\nbody\r\n"), ArrivalDateSource.Date, new(2015, 3, 4, 5, 6, 0, TimeSpan.Zero)),
            ["Date not first"] = new(Latin1("Received: from x by y; Fri, 6 Mar 2015 12:00:00 +0000\r\nFrom: a@old.example\r\nSubject: s\r\nMessage-ID: <late-date@old.example>\r\nDate: Thu, 5 Mar 2015 10:00:00 +0100\r\n\r\nbody\r\n"), ArrivalDateSource.Date, new(2015, 3, 5, 10, 0, 0, TimeSpan.FromHours(1))),
            ["no Date, Received"] = new(Latin1("Received: from b by c (comment; with semicolon);\r\n Fri, 6 Mar 2015 12:00:00 -0500\r\nReceived: from a by b; Fri, 6 Mar 2015 11:00:00 -0500\r\nFrom: a@old.example\r\n\r\nbody\r\n"), ArrivalDateSource.Received, new(2015, 3, 6, 12, 0, 0, TimeSpan.FromHours(-5))),
            ["unreadable Date, Received"] = new(Latin1("Date: sometime last week\r\nReceived: from a by b; Sat, 7 Mar 2015 01:02:03 +0000\r\nFrom: a@old.example\r\n\r\nbody\r\n"), ArrivalDateSource.Received, new(2015, 3, 7, 1, 2, 3, TimeSpan.Zero)),
            ["neither Date nor Received"] = new(Latin1("From: a@old.example\r\nSubject: undated\r\n\r\nbody\r\n"), ArrivalDateSource.ImportTime, NoDate),
        };
    }

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var name in Rows.Keys)
        {
            cases.Add(name, "IMAP");
            cases.Add(name, "POP3");
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CopyChunkAsync_MessageOfEveryKind_ArrivesByteForByte(string name, string protocol)
    {
        var row = Rows[name];
        var source = servers.Source.AddUniqueUser("ex");
        var destination = servers.Destination.AddUniqueUser("exd");
        // doveadm save, past IMAP's rules: what the server then hands out (BODY[], RETR) is what must arrive.
        servers.Source.Save(source, row.Raw);
        var sourceServer = protocol == "IMAP" ? servers.Source.ImapSource : servers.Source.Pop3Source;
        var started = DateTimeOffset.UtcNow.AddSeconds(-2);

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(),
            new MailboxJob("run-1", sourceServer, source, servers.Destination.Imaps, destination, new CopyOptions()),
            new InMemoryCursorStore(), ChunkBudget.Default);

        var finished = DateTimeOffset.UtcNow.AddSeconds(2);
        var sent = Assert.Single(await BodiesAsync(servers.Source, source));
        var arrived = await BodiesAsync(servers.Destination, destination);
        output.WriteLine($"{name} over {protocol}: {row.Raw.Length} bytes saved, {sent.Raw.Length} served as BODY[], "
            + $"{(sent.Raw.AsSpan().SequenceEqual(row.Raw) ? "the bytes saved" : "not the bytes saved")}; arrived {arrived.Count}, "
            + $"failed {string.Join("; ", result.Failures.Select(f => $"{f.Code} {f.Reason}"))}, not exact {result.NotExact}");
        Assert.True(result.Completed);
        Assert.Equal(0, result.NotExact);
        if (arrived.Count == 0)
        {
            // A destination may refuse a message (Dovecot: no zero-byte message): then it is reported on its own, never lost in silence.
            Assert.Empty(row.Raw);
            Assert.Single(result.Failures);
            return;
        }

        var copy = Assert.Single(arrived);
        Assert.Empty(result.Failures);
        Assert.Equal(Sha256(sent.Raw), Sha256(copy.Raw));
        if (protocol == "POP3")
        {
            // RETR against RETR: Dovecot's IMAP writes a NUL as 0x80 (RFC 3501 section 4.3 allows no NUL in a literal)
            // while its POP3 sends the NUL, so the BODY[] above compares like with like and this compares the bytes.
            Assert.Equal(Sha256(await RetrContentAsync(servers.Source, source)), Sha256(await RetrContentAsync(servers.Destination, destination)));
            Assert.Equal(new ArrivalDateCounts(
                row.Source == ArrivalDateSource.Date ? 1 : 0, row.Source == ArrivalDateSource.Received ? 1 : 0, row.Source == ArrivalDateSource.ImportTime ? 1 : 0),
                result.ArrivalDates);
            if (row.Source == ArrivalDateSource.ImportTime)
            {
                Assert.InRange(copy.InternalDate, started, finished);
            }
            else
            {
                Assert.Equal(row.Date, copy.InternalDate);
            }
        }
        else
        {
            Assert.Null(result.ArrivalDates);
            Assert.Equal(sent.InternalDate, copy.InternalDate);
        }
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    /// <summary>Every INBOX message's BODY[] and INTERNALDATE, in UID order.</summary>
    private static async Task<List<(byte[] Raw, DateTimeOffset InternalDate)>> BodiesAsync(DovecotServer server, MailAccount account)
    {
        using var client = await MailCorpus.Connect(server, account);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var bodies = new List<(byte[], DateTimeOffset)>();
        if (client.Inbox.Count > 0)
        {
            foreach (var summary in (await client.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate)).OrderBy(s => s.UniqueId.Id))
            {
                await using var stream = await client.Inbox.GetStreamAsync(summary.UniqueId, "");
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer);
                bodies.Add((buffer.ToArray(), summary.InternalDate!.Value));
            }
        }

        await client.DisconnectAsync(true);
        return bodies;
    }

    /// <summary>The one message's RETR content, dot-unstuffed by MailKit, less the line break RFC 1939 makes the server
    /// add to a last line that has none (LIST's size tells).</summary>
    private static async Task<byte[]> RetrContentAsync(DovecotServer server, MailAccount account)
    {
        using var client = await new MailConnector(new ConnectorOptions(), TestSourceAccess.LoopbackPolicy)
            .OpenPop3Async(ServerEndpoint.Of(server.Pop3Source), account, MailSide.Source, CancellationToken.None);
        var size = Assert.Single(await client.GetMessageSizesAsync());
        await using var stream = await client.GetStreamAsync(0);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        await client.DisconnectAsync(true);
        return Pop3Source.WithoutAddedLineBreak(buffer.ToArray(), size);
    }
}
