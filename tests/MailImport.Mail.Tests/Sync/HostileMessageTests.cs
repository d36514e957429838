using System.Diagnostics;
using System.Text;
using MailImport.Testing;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Messages no mail client would write, delivered to the source past IMAP's rules (doveadm save): each is
/// copied byte for byte or reported on its own, and the mailbox always goes on to the end.</summary>
[Collection(DovecotServers.Name)]
public class HostileMessageTests(DovecotFixture servers, ITestOutputHelper output)
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>The hostile messages by name.</summary>
    private static Dictionary<string, byte[]> Hostile()
    {
        var folded = MailCorpus.Folded("From: a@old.example\r\nSubject: 10 MB header\r\nMessage-ID: <big-header@old.example>\r\nX-Big: x", 10 * 1024 * 1024);
        var nested = new StringBuilder("From: a@old.example\r\nSubject: 200 levels of MIME\r\nMessage-ID: <deep@old.example>\r\nMIME-Version: 1.0\r\n");
        for (var level = 0; level < 200; level++)
        {
            nested.Append($"Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n");
        }

        nested.Append("Content-Type: text/plain\r\n\r\ninnermost\r\n");
        for (var level = 199; level >= 0; level--)
        {
            nested.Append($"--b{level}--\r\n");
        }

        return new()
        {
            ["10 MB header"] = Ascii(folded + "\r\n\r\nbody\r\n"),
            ["10 MB header line, unfolded"] = Ascii("From: a@old.example\r\nSubject: long line\r\nX-Long: " + new string('l', 10 * 1024 * 1024) + "\r\n\r\nbody\r\n"),
            ["bare CR and LF mixed"] = Ascii("From: a@old.example\r\nSubject: mixed\nMessage-ID: <mixed@old.example>\rX-A: 1\r\n\r\nline 1\rline 2\nline 3\r\n\r\r\n\n\rend"),
            ["LF only"] = Ascii("From: a@old.example\nSubject: lf only\nMessage-ID: <lf@old.example>\n\nline 1\nline 2\n"),
            ["NUL bytes"] = Ascii("From: a@old.example\r\nSubject: nul\0 in header\r\nMessage-ID: <nul@old.example>\r\n\r\nbefore\0after\r\n\0\0\0\r\n"),
            ["zero bytes"] = [],
            ["one blank line"] = Ascii("\r\n"),
            ["no header/body separator"] = Ascii("From: a@old.example\r\nSubject: headers only"),
            ["200 levels of MIME"] = Ascii(nested.ToString()),
            ["every byte value"] = [.. Ascii("From: a@old.example\r\nSubject: bytes\r\nMessage-ID: <bytes@old.example>\r\n\r\n"), .. Enumerable.Range(1, 255).Select(b => (byte)b), .. Ascii("\r\n")],
        };
    }

    public static TheoryData<string> Names() => new(Hostile().Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task CopyChunkAsync_HostileMessage_CopiedExactlyOrReportedAndTheMailboxGoesOn(string name)
    {
        var source = servers.Source.AddUniqueUser("hos");
        var destination = servers.Destination.AddUniqueUser("hod");
        // Ordinary messages either side: neither may be lost to its hostile neighbour.
        servers.Source.Save(source, Ascii(MailCorpus.Message("ordinary before", "before@old.example")));
        servers.Source.Save(source, Hostile()[name]);
        servers.Source.Save(source, Ascii(MailCorpus.Message("ordinary after", "after@old.example")));
        var clock = Stopwatch.StartNew();

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), new(
            "run-1", servers.Source.ImapSource, source, servers.Destination.Imaps, destination, new()), new InMemoryCursorStore(), new(int.MaxValue, long.MaxValue, TimeSpan.FromMinutes(5)))
            .WaitAsync(TimeSpan.FromMinutes(3));

        var expected = (await MailCorpus.SnapshotAsync(servers.Source, source))["INBOX"];
        var actual = (await MailCorpus.SnapshotAsync(servers.Destination, destination))["INBOX"];
        output.WriteLine($"{name}: {expected.Count} at the source, copied {result.MessagesCopied}, exact {actual.Count(expected.Contains)}, "
            + $"not exact {result.NotExact}, reported {result.Failures.Count} {string.Join("; ", result.Failures)}; {clock.Elapsed.TotalSeconds:0.0}s");
        Assert.True(result.Completed);
        Assert.Equal(3, expected.Count);
        // Both ordinary messages arrive; the hostile one arrives byte for byte or is reported on its own; none twice.
        Assert.Contains(expected[0], actual);
        Assert.Contains(expected[2], actual);
        Assert.Equal(expected.Count, actual.Count + result.Failures.Count);
        Assert.True(actual.Count(m => !expected.Contains(m)) <= result.NotExact, "a message arrived changed and was not counted as not exact");
        Assert.Equal(actual.Count, actual.Distinct().Count());
    }
}
