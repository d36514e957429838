using System.Text;
using MailImport.Mail.Sync;
using MimeKit;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Units;

/// <summary>RawMessage's promise: when it says exact, APPEND sends the source's bytes, every one of them.</summary>
public class RawMessageTests(ITestOutputHelper output)
{
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Written(RawMessage raw, FormatOptions format)
    {
        using var stream = new MemoryStream();
        raw.Message.WriteTo(format, stream);
        return stream.ToArray();
    }

    /// <summary>The options MailKit's ImapFolder.Append really writes with: it clones the given ones and forces CRLF
    /// and EnsureNewLine (MailKit 4.18, ImapFolder.Append).</summary>
    private static FormatOptions AsMailKitAppends(FormatOptions format)
    {
        var clone = format.Clone();
        clone.NewLineFormat = NewLineFormat.Dos;
        clone.EnsureNewLine = true;
        return clone;
    }

    private static string Show(byte[] bytes, int at)
    {
        var from = Math.Max(0, at - 20);
        var text = Encoding.Latin1.GetString(bytes, from, Math.Min(bytes.Length, at + 20) - from);
        return text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
    }

    /// <summary>Byte equality that names the first differing offset instead of dumping megabytes.</summary>
    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        var at = expected.AsSpan().CommonPrefixLength(actual);
        if (at == expected.Length && at == actual.Length)
        {
            return;
        }

        Assert.Fail($"The bytes differ at offset {at} (expected {expected.Length} bytes, got {actual.Length}): "
            + $"expected \"{Show(expected, at)}\", got \"{Show(actual, at)}\".");
    }

    private static void AssertExactRoundTrip(byte[] input)
    {
        var raw = RawMessage.Create(input);

        Assert.True(raw.IsExact, "RawMessage should have been exact.");
        AssertSameBytes(input, Written(raw, raw.Format));
        AssertSameBytes(input, Written(raw, AsMailKitAppends(raw.Format)));
    }

    // ---------------------------------------------------------------- messages that split: exact

    private static readonly Dictionary<string, byte[]> Splittable = new()
    {
        ["crlf"] = Latin1(
            "Return-Path: <a@example.org>\r\nFrom: Alice <a@example.org>\r\nTo: bob@example.org\r\nSubject: Hello\r\n"
            + "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob.\r\n\r\n-- \r\nAlice\r\n"),
        ["no-mime-version"] = Latin1("From: a@example.org\r\nSubject: old mailer\r\n\r\nNo MIME here.\r\n"),
        ["utf8-8bit-body"] = Utf8(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Привет, мир — ünïcödé 😀\r\n"),
        ["utf8-raw-header"] = Utf8("From: Алиса <a@example.org>\r\nSubject: Тема письма\r\n\r\nТело\r\n"),
        ["bare-lf-and-bare-cr-in-body"] = Latin1("From: a@example.org\r\n\r\nline one\nline two\rline three\r\n\n\r\r\n"),
        ["nul-in-body"] = Latin1("From: a@example.org\r\n\r\nbefore\0after\r\n\0\0\0\r\n\0"),
        ["folded-headers-odd-spacing"] = Latin1(
            "From: a@example.org\r\nSubject:   lots   of   space   \r\n \t folded  \r\n\t\tagain\t\r\nX-Empty:\r\n"
            + "X-Tab:\tvalue\r\nX-Colon-Spaced : value\r\nReceived: from x\r\n by y;\r\n Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n"),
        ["duplicate-headers"] = Latin1(
            "Received: one\r\nReceived: two\r\nReceived: one\r\nFrom: a@example.org\r\nFrom: b@example.org\r\n"
            + "Subject: x\r\nSubject: x\r\nMIME-Version: 1.0\r\nMIME-Version: 1.0\r\n\r\nb\r\n"),
        ["no-headers"] = Latin1("\r\nA message without any header.\r\n"),
        ["no-headers-no-body"] = Latin1("\r\n"),
        ["no-headers-only-blank-lines"] = Latin1("\r\n\r\n"),
        ["empty-body"] = Latin1("From: a@example.org\r\nSubject: nothing\r\n\r\n"),
        ["body-without-final-crlf"] = Latin1("From: a@example.org\r\n\r\nno newline at the end"),
        ["body-starting-with-blank-lines"] = Latin1("From: a@example.org\r\n\r\n\r\n\r\nafter two blank lines\r\n"),
        ["multipart-missing-end-boundary"] = Latin1(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            + "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\npart one\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"),
        ["base64-body-bad-padding"] = Latin1(
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not base64==\r\n"),
        ["invalid-line-after-first-header"] = Latin1("From: a@example.org\r\nthis line is not a header\r\nSub ject: x\r\n\r\nbody\r\n"),
        ["bare-cr-inside-header-block"] = Latin1("From: a@example.org\rSubject: b\r\nX: y\r\r\n\r\nbody\r\n"),
        ["8bit-and-nul-in-header-values"] = Latin1("Subject: \u00e9\u00ff\u0080 and a \0 NUL\r\n\r\nbody\r\n"),
        ["long-header-line"] = Latin1("Subject: " + new string('x', 5000) + "\r\n\r\nbody\r\n"),
        ["body-looks-like-headers-and-mbox"] = Latin1("From: a@example.org\r\n\r\nFrom someone else\r\nSubject: not a header\r\n.\r\n"),
    };

    public static TheoryData<string> SplittableNames() => new(Splittable.Keys);

    [Theory]
    [MemberData(nameof(SplittableNames))]
    public void Create_SplittableMessage_IsExactAndWritesTheInputBack(string name) =>
        AssertExactRoundTrip(Splittable[name]);

    [Fact]
    public void Create_TenMegabyteBody_IsExactAndWritesTheInputBack()
    {
        var header = Latin1("From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n\r\n");
        var body = new byte[10 * 1024 * 1024];
        new Random(10).NextBytes(body);
        var input = header.Concat(body).ToArray();

        AssertExactRoundTrip(input);
    }

    [Fact]
    public void Create_NoMimeVersion_NoneIsAdded()
    {
        // MimeMessage.WriteTo adds "MIME-Version: 1.0" only when its body has headers of its own; the verbatim body
        // has none, so a message without the header goes without it, and every message shares one format.
        var input = Splittable["no-mime-version"];

        var raw = RawMessage.Create(input);

        AssertSameBytes(input, Written(raw, raw.Format));
        Assert.Empty(raw.Format.HiddenHeaders);
        Assert.False(raw.Message.Headers.Contains(HeaderId.MimeVersion));
    }

    [Fact]
    public void Create_Format_IsCrlfAndNotTheSharedDefault()
    {
        var raw = RawMessage.Create(Splittable["crlf"]);

        Assert.Equal(NewLineFormat.Dos, raw.Format.NewLineFormat);
        Assert.NotSame(FormatOptions.Default, raw.Format);
        Assert.False(raw.Format.International);
    }

    [Fact]
    public void Create_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RawMessage.Create(null!));

    // ---------------------------------------------------------------- messages that do not split

    [Fact]
    public void Create_NoBlankLine_IsNotExactAndGainsTheBlankLine()
    {
        // No CRLFCRLF, so there is no body to keep verbatim: MimeKit's parser takes it as headers only, and a
        // MimeMessage always ends its headers with a blank line, two bytes the source did not have.
        var input = Latin1("From: a@example.org\r\nSubject: headers only\r\n");

        var raw = RawMessage.Create(input);

        Assert.False(raw.IsExact);
        AssertSameBytes([.. input, .. "\r\n"u8], Written(raw, raw.Format));
    }

    [Fact]
    public void Create_MboxFromLine_IsNotExactAndLosesTheFromLine()
    {
        // HeaderList.Load rejects the mbox "From " line (it is no header field), so the split path gives up; MimeKit's
        // message parser then skips that marker, as it does for mbox files, and the rest is rebuilt without it.
        var input = Latin1("From a@example.org Mon Jan  1 00:00:00 2024\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nbody\r\n");

        var raw = RawMessage.Create(input);

        Assert.False(raw.IsExact);
        AssertSameBytes(input[input.AsSpan().IndexOf("\r\n"u8)..][2..], Written(raw, raw.Format));
    }

    [Fact]
    public void Create_LfOnlyLineEnds_IsNotExactAndComesOutAsCrlf()
    {
        // The split looks for CRLFCRLF only; MimeKit's parser reads LF lines, and APPEND literals are CRLF (RFC 3501
        // section 4.3), so the copy carries CRLF. IMAP and POP3 servers hand out CRLF, so this is mostly a local-file case.
        var input = Latin1("From: a@example.org\nSubject: unix\n\nline one\nline two\n");

        var raw = RawMessage.Create(input);

        Assert.False(raw.IsExact);
        AssertSameBytes(Latin1("From: a@example.org\r\nSubject: unix\r\n\r\nline one\r\nline two\r\n"), Written(raw, raw.Format));
    }

    [Fact]
    public void Create_BareLfInHeaderBlock_IsNotExact()
    {
        var input = Latin1("From: a@example.org\nSubject: mixed\r\n\r\nbody\r\n");

        var raw = RawMessage.Create(input);

        Assert.False(raw.IsExact);
        Assert.False(Written(raw, raw.Format).AsSpan().SequenceEqual(input));
    }

    [Fact]
    public void Create_ZeroBytes_IsNotExactButStillAMessage()
    {
        // Nothing to split and nothing for MimeKit's parser: the (empty) bytes go as a body under an empty header block.
        var raw = RawMessage.Create([]);

        Assert.False(raw.IsExact);
        AssertSameBytes("\r\n"u8.ToArray(), Written(raw, raw.Format));
    }

    public static TheoryData<string> UnparseableFirstLines() => new()
    {
        "Sub ject: space in the field name\r\n\r\nbody\r\n",
        " leading whitespace: a continuation with nothing to continue\r\nFrom: a@example.org\r\n\r\nbody\r\n",
        "\tx\r\n\r\nbody\r\n",
        "not a header at all\r\nFrom: a@example.org\r\n\r\nbody\r\n",
        ": empty field name\r\n\r\nbody\r\n",
        "\0\r\n\r\nbody\r\n",
        "X-\u00e9: eight-bit field name\r\n\r\nbody\r\n",
        "x",
    };

    [Theory]
    [MemberData(nameof(UnparseableFirstLines))]
    public void Create_FirstHeaderLineNotAField_KeepsEveryByteAsBodyNotExact(string input)
    {
        // Both HeaderList.Load (the split) and MimeMessage.Load (the fallback) reject a header block whose first line
        // is not "name:": the message still goes, every byte of it, as the body under an empty header block.
        var bytes = Latin1(input);

        var raw = RawMessage.Create(bytes);

        Assert.False(raw.IsExact);
        AssertSameBytes([.. "\r\n"u8.ToArray(), .. bytes], Written(raw, raw.Format));
    }

    [Fact]
    public void Create_ForAUtf8OnlyServer_SaysHonestlyWhenHeadersWouldBeRefolded()
    {
        // MailKit appends with International formatting when the destination announces UTF8=ONLY (RFC 6855), and
        // MimeKit then re-folds some raw headers ("X-Empty:" becomes "X-Empty: "): IsExact must reflect that.
        var input = Latin1("From: a@example.org\r\nX-Empty:\r\n\r\nbody\r\n");

        var raw = RawMessage.Create(input, international: true);

        Assert.True(raw.Format.International);
        Assert.Equal(Written(raw, AsMailKitAppends(raw.Format)).AsSpan().SequenceEqual(input), raw.IsExact);
        Assert.True(RawMessage.Create(input).IsExact);
    }

    // ---------------------------------------------------------------- randomized

    private static readonly byte[][] HeaderPieces =
    [
        .. new[]
        {
            "From: a@example.org\r\n", "To: \"B\" <b@example.org>\r\n", "Subject: hello\r\n", "Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\n",
            "Message-ID: <id@example.org>\r\n", "MIME-Version: 1.0\r\n", "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Type: multipart/mixed; boundary=\"zz\"\r\n", "Content-Transfer-Encoding: 8bit\r\n", "Content-Transfer-Encoding: base64\r\n",
            "Received: from x\r\n\tby y; Mon, 1 Jan 2024 00:00:00 +0000\r\n", "X-Odd:   spaced   \r\n  \t folded\r\n", "X-Empty:\r\n",
            "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n", "not a header line\r\n", "Sub ject: x\r\n", "X-Bare-LF: a\nb\r\n",
            "X-Bare-CR: a\rb\r\n", "X-Nul: a\0b\r\n", "X-8bit: \u00e9\u00ff\u0080\r\n", "X-Long: " + new string('x', 1200) + "\r\n",
            "From a@b Mon Jan 1 00:00:00 2024\r\n", ">From x\r\n", " leading-space\r\n", "\t\r\n", ":\r\n", "X-Colon-Space : v\r\n", "X-No-Eol: v",
        }.Select(Latin1),
        Utf8("Subject: Привет\r\n"),
    ];

    private static readonly byte[][] BodyPieces =
    [
        .. new[]
        {
            "Hello\r\n", "line\nbare lf\n", "bare\rcr\r", "\0\0nul\r\n", "--zz\r\nContent-Type: text/plain\r\n\r\npart\r\n", "--zz--\r\n",
            "\r\n", "\r\n\r\n", "From me\r\n", ".\r\n", "\u00ff\u00fe\u0080", "=?utf-8?Q?x?=\r\n", "AAAA\r\n",
        }.Select(Latin1),
        Utf8("Привет, мир 😀\r\n"),
    ];

    private static readonly byte[][] Separators = [.. new[] { "\r\n", "\r\n", "\r\n", "\n", "", "\r\n\r\n", "\r" }.Select(Latin1)];

    private static byte[] RandomMessage(Random random)
    {
        var message = new List<byte>();
        for (var i = random.Next(0, 6); i > 0; i--)
        {
            message.AddRange(HeaderPieces[random.Next(HeaderPieces.Length)]);
        }

        message.AddRange(Separators[random.Next(Separators.Length)]);
        for (var i = random.Next(0, 5); i > 0; i--)
        {
            message.AddRange(BodyPieces[random.Next(BodyPieces.Length)]);
        }

        if (random.Next(10) == 0)
        {
            // Now and then a few bytes of anything, anywhere.
            for (var i = 0; i < 3; i++)
            {
                message.Insert(random.Next(message.Count + 1), (byte)random.Next(256));
            }
        }

        return [.. message];
    }

    [Fact]
    public void Create_TwoThousandRandomMessages_ExactOnesRoundTripAndNoneThrows()
    {
        var random = new Random(20240101);
        int exact = 0, notExact = 0, unparseable = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var input = RandomMessage(random);
            RawMessage raw;
            try
            {
                raw = RawMessage.Create(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"Message #{i} threw {e.GetType().Name}: {e.Message}\n" + Convert.ToBase64String(input));
                throw;
            }

            if (!raw.IsExact)
            {
                notExact++;
                // A message even MimeKit cannot parse travels whole, as a body under an empty header block.
                var written = Written(raw, raw.Format);
                if (written.AsSpan().SequenceEqual([.. "\r\n"u8, .. input]))
                {
                    unparseable++;
                }

                continue;
            }

            exact++;
            AssertSameBytes(input, Written(raw, raw.Format));
            AssertSameBytes(input, Written(raw, AsMailKitAppends(raw.Format)));
        }

        output.WriteLine($"exact {exact}, not exact {notExact} (of which kept whole as a body: {unparseable})");
        // The generator must reach all three outcomes, or the test proves less than its name says.
        Assert.True(exact > 500, $"only {exact} exact messages");
        Assert.True(notExact > 100, $"only {notExact} not-exact messages");
        Assert.True(unparseable > 50, $"only {unparseable} messages kept whole as a body");
    }

    [Fact]
    public void Create_HeaderFoldedUpToTheLimit_IsQuickAndExact()
    {
        // MimeKit's header parser slows down faster than linearly with fold lines (4 MB took minutes): the limit keeps it quick.
        var folded = new StringBuilder("From: a@old.example\r\nSubject: big header\r\nX-Big: x");
        while (folded.Length < RawMessage.MaxHeaderBytes - 100)
        {
            folded.Append("\r\n ").Append('h', 76);
        }

        var raw = Latin1(folded.Append("\r\n\r\nbody\r\n").ToString());
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var message = RawMessage.Create(raw);

        output.WriteLine($"{raw.Length:N0} bytes of header: {clock.Elapsed.TotalSeconds:0.00}s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
        Assert.True(message.IsExact);
        AssertSameBytes(raw, Written(message, AsMailKitAppends(message.Format)));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("From: a\r\n\r\nbody", 7)]
    [InlineData("From: a\n\nbody", 7)]
    [InlineData("From: a\r\nSubject: b", 19)]
    public void HeaderBytes_IsUpToTheFirstBlankLine(string text, int expected) => Assert.Equal(expected, RawMessage.HeaderBytes(Latin1(text)));

    [Theory]
    [InlineData("")]
    [InlineData("From: a@old.example\r\nSubject: no separator, no line break")]
    public void Create_NoLineBreakAtTheEnd_IsNotExact(string text)
    {
        // Such a message cannot be rebuilt byte for byte (the empty one arrives as a blank line): saying so is the promise.
        Assert.False(RawMessage.Create(Latin1(text)).IsExact);
    }
}
