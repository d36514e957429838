using System.Text;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MimeKit;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Units;

/// <summary>RawMessage's promise: APPEND sends the source's bytes, every one of them, whatever they are.</summary>
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

    // ---------------------------------------------------------------- every kind of message: exact

    private static readonly Dictionary<string, byte[]> Messages = new()
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
        // Messages the earlier split into raw headers and a verbatim body could not rebuild.
        ["utf8-bom-first"] = [0xEF, 0xBB, 0xBF, .. Latin1("From: a@example.org\r\nSubject: bom\r\n\r\nbody\r\n")],
        ["mbox-from-line-first"] = Latin1("From a@example.org Mon Jan  1 00:00:00 2024\r\nFrom: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"),
        ["trailing-spaces"] = Latin1("From: a@example.org \r\nContent-Type: multipart/mixed; boundary=foo \r\n\r\n--foo \r\n\r\npart \r\n--foo-- \r\n"),
        ["no-blank-line"] = Latin1("From: a@example.org\r\nSubject: headers only\r\n"),
        ["no-crlf-at-all"] = Latin1("x"),
        ["lf-only"] = Latin1("From: a@example.org\nSubject: unix\n\nline one\nline two\n"),
        ["bare-lf-in-header-block"] = Latin1("From: a@example.org\nSubject: mixed\r\n\r\nbody\r\n"),
        ["zero-bytes"] = [],
        ["space-first"] = Latin1(" leading whitespace: a continuation with nothing to continue\r\nFrom: a@example.org\r\n\r\nbody\r\n"),
        ["tab-first"] = Latin1("\tx\r\n\r\nbody\r\n"),
        ["space-in-field-name"] = Latin1("Sub ject: space in the field name\r\n\r\nbody\r\n"),
        ["empty-field-name"] = Latin1(": empty field name\r\n\r\nbody\r\n"),
        ["nul-first"] = Latin1("\0\r\n\r\nbody\r\n"),
        ["8bit-field-name"] = Latin1("X-\u00e9: eight-bit field name\r\n\r\nbody\r\n"),
        ["x-empty"] = Latin1("From: a@example.org\r\nX-Empty:\r\n\r\nbody\r\n"),
    };

    public static TheoryData<string> MessageNames() => new(Messages.Keys);

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Create_AnyMessage_IsExactAndWritesTheInputBack(string name) =>
        AssertExactRoundTrip(Messages[name]);

    [Theory]
    [MemberData(nameof(MessageNames))]
    public async Task Create_AnyMessage_WritesTheInputBackAsynchronously(string name)
    {
        // MailKit's APPEND writes with WriteToAsync (ImapLiteral.WriteToAsync), its length with WriteTo.
        var input = Messages[name];
        var raw = RawMessage.Create(input);
        using var stream = new MemoryStream();

        await raw.Message.WriteToAsync(AsMailKitAppends(raw.Format), stream);

        AssertSameBytes(input, stream.ToArray());
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Create_ForAUtf8OnlyServer_IsExactToo(string name)
    {
        // MailKit appends with International formatting when the destination announces UTF8=ONLY (RFC 6855); with no
        // header written by MimeKit, nothing is re-folded.
        var input = Messages[name];
        var raw = RawMessage.Create(input, international: true);

        Assert.True(raw.Format.International);
        Assert.True(raw.IsExact);
        AssertSameBytes(input, Written(raw, AsMailKitAppends(raw.Format)));
    }

    [Fact]
    public void Create_TenMegabyteBody_IsExactAndWritesTheInputBack()
    {
        var header = Latin1("From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n\r\n");
        var body = new byte[10 * 1024 * 1024];
        new Random(10).NextBytes(body);

        AssertExactRoundTrip([.. header, .. body]);
    }

    [Fact]
    public void Create_TenMegabyteFoldedHeader_IsQuickAndExact()
    {
        // Nothing is parsed, so a header MimeKit's parser would take minutes over costs a copy.
        var input = Latin1(MailCorpus.Folded("From: a@old.example\r\nSubject: big header\r\nX-Big: x", 10 * 1024 * 1024) + "\r\n\r\nbody\r\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        AssertExactRoundTrip(input);

        output.WriteLine($"{input.Length:N0} bytes of header: {clock.Elapsed.TotalSeconds:0.00}s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
    }

    [Fact]
    public void Create_ManySmallMessages_AllocateNeitherABufferNorAParserEach()
    {
        // What a message costs before its bytes are touched is its MimeMessage and header lists, about 7 KB. The
        // exactness check's read buffer (16 KB) comes from the shared pool and the template's parser (5 KB of read
        // buffers) is one a thread: either made anew for every message made it 12 to 23 KB, 80 MB of garbage for the
        // copy benchmark's 5,000 messages, which the GC's allocation budget turned into resident memory.
        const int Limit = 10 * 1024;
        var input = Messages["crlf"];
        _ = RawMessage.Create(input);

        const int Count = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Count; i++)
        {
            Assert.True(RawMessage.Create(input).IsExact);
        }

        var perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
        output.WriteLine($"{perMessage:N0} bytes allocated per {input.Length:N0}-byte message");
        Assert.True(perMessage < Limit, $"RawMessage.Create allocated {perMessage:N0} bytes per message, more than its MimeMessage takes");
    }

    [Fact]
    public void Create_Message_HasNoHeadersOfItsOwn()
    {
        // MimeMessage.WriteTo writes the message's and the body's headers before the body: both lists must stay empty,
        // or MIME-Version and Content-Type would be added to every message.
        var raw = RawMessage.Create(Messages["no-mime-version"]);

        Assert.Empty(raw.Message.Headers);
        Assert.Empty(raw.Message.Body!.Headers);
        Assert.Empty(raw.Format.HiddenHeaders);
    }

    [Fact]
    public void Create_Format_IsWhatMailKitAppendsWith()
    {
        var raw = RawMessage.Create(Messages["crlf"]);

        Assert.Equal(NewLineFormat.Dos, raw.Format.NewLineFormat);
        Assert.True(raw.Format.EnsureNewLine);
        Assert.NotSame(FormatOptions.Default, raw.Format);
        Assert.False(raw.Format.International);
        Assert.Null(raw.NotExactReason);
    }

    [Fact]
    public void Serialises_OtherBytes_IsFalse()
    {
        // The per-message check that stands between a MimeKit that one day writes something else and a silent change.
        var input = Messages["crlf"];
        var rebuilt = MimeMessage.Load(new MemoryStream(input));

        Assert.True(RawMessage.Serialises(RawMessage.Create(input).Message, RawMessage.AppendFormat(false), input));
        Assert.False(RawMessage.Serialises(rebuilt, RawMessage.AppendFormat(false), [.. input, 0]));
        Assert.False(RawMessage.Serialises(rebuilt, RawMessage.AppendFormat(false), input[..^1]));
        Assert.False(RawMessage.Serialises(RawMessage.Create(Messages["lf-only"]).Message, RawMessage.AppendFormat(false), input));
    }

    [Fact]
    public void Create_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => RawMessage.Create(null!));

    [Fact]
    public void Create_TwoMessages_DoNotShareTheirBytes()
    {
        // The body type is made by MimeKit's parser from one shared template: each message must still have its own bytes.
        var first = RawMessage.Create(Messages["crlf"]);
        var second = RawMessage.Create(Messages["lf-only"]);

        AssertSameBytes(Messages["crlf"], Written(first, first.Format));
        AssertSameBytes(Messages["lf-only"], Written(second, second.Format));
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
    public void Create_TwoThousandRandomMessages_AllRoundTripAndNoneThrows()
    {
        var random = new Random(20240101);
        for (var i = 0; i < 2_000; i++)
        {
            var input = RandomMessage(random);
            var raw = RawMessage.Create(input);

            Assert.True(raw.IsExact, $"Message #{i} is not exact: " + Convert.ToBase64String(input));
            AssertSameBytes(input, Written(raw, AsMailKitAppends(raw.Format)));
        }
    }
}
