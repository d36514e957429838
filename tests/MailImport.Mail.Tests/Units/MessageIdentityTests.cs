using System.Security.Cryptography;
using System.Text;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MimeKit;

namespace MailImport.Mail.Tests.Units;

/// <summary>Message identities and the matcher that pairs source messages with their destination copies.</summary>
public class MessageIdentityTests
{
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>What the IMAP side computes for a message: MailKit parses the server's
    /// BODY[HEADER.FIELDS (MESSAGE-ID)] answer (the Message-ID lines and a blank line) and ImapIdentities hands
    /// the header's value and RFC822.SIZE to <see cref="MessageIdentity.FromMessageId"/>.</summary>
    private static MessageIdentity AsImapSees(string messageIdLines, long size)
    {
        var headers = HeaderList.Load(new MemoryStream(Latin1(messageIdLines + "\r\n")));
        var value = headers[HeaderId.MessageId];
        Assert.False(string.IsNullOrWhiteSpace(value));
        return MessageIdentity.FromMessageId(value, size);
    }

    // ---------------------------------------------------------------- FromRaw

    [Theory]
    [InlineData("Message-ID: <a@example.org>\r\n")]
    [InlineData("Message-ID:    <a@example.org>   \r\n")]
    [InlineData("Message-ID:\t<a@example.org>\r\n")]
    [InlineData("Message-ID:\r\n <a@example.org>\r\n")]
    [InlineData("message-id: <a@example.org>\r\n")]
    [InlineData("MESSAGE-ID: <a@example.org> (a comment)\r\n")]
    [InlineData("Message-ID: <\u00e9t\u00e9@example.org>\r\n")]
    public void FromRaw_WithMessageId_SameAsImapSideComputes(string messageIdLine)
    {
        var raw = Latin1("From: a@example.org\r\n" + messageIdLine + "Subject: x\r\n\r\nbody\r\n");

        var identity = MessageIdentity.FromRaw(raw);

        Assert.StartsWith("mid:", identity.Key, StringComparison.Ordinal);
        Assert.Equal(AsImapSees(messageIdLine, raw.Length), identity);
    }

    [Fact]
    public void FromRaw_WithMessageId_KeyIsTrimmedValueAndSizeIsLength()
    {
        var raw = Latin1("Message-ID:   <a@example.org>  \r\n\r\nbody\r\n");

        var identity = MessageIdentity.FromRaw(raw);

        Assert.Equal(new MessageIdentity("mid:<a@example.org>", raw.Length), identity);
    }

    [Fact]
    public void FromRaw_TwoMessageIds_UsesTheFirstLikeImapSide()
    {
        var lines = "Message-ID: <first@example.org>\r\nMessage-ID: <second@example.org>\r\n";
        var raw = Latin1(lines + "\r\nbody\r\n");

        Assert.Equal(AsImapSees(lines, raw.Length), MessageIdentity.FromRaw(raw));
        Assert.Equal("mid:<first@example.org>", MessageIdentity.FromRaw(raw).Key);
    }

    [Fact]
    public void FromRaw_MessageIdInBodyOnly_IsIgnored()
    {
        var raw = Latin1("From: a@example.org\r\n\r\nMessage-ID: <in-body@example.org>\r\n");

        Assert.StartsWith("hdr:", MessageIdentity.FromRaw(raw).Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("From: a@example.org\r\nSubject: no id\r\n\r\nbody\r\n")]
    [InlineData("From: a@example.org\r\nMessage-ID:\r\n\r\nbody\r\n")]
    [InlineData("From: a@example.org\r\nMessage-ID:    \r\n\r\nbody\r\n")]
    [InlineData("\r\nno headers\r\n")]
    public void FromRaw_NoUsableMessageId_HashesTheHeaderBlock(string message)
    {
        var raw = Latin1(message);

        var identity = MessageIdentity.FromRaw(raw);

        var expected = "hdr:" + Convert.ToHexString(SHA256.HashData(MessageIdentity.HeaderBlock(raw)));
        Assert.Equal(new MessageIdentity(expected, raw.Length), identity);
        Assert.Equal(MessageIdentity.FromHeaderBlock(MessageIdentity.HeaderBlock(raw), raw.Length), identity);
    }

    [Fact]
    public void FromRaw_MessageIdAfterUnparseableFirstLine_HashesTheHeaderBlock()
    {
        // HeaderList.Load rejects the whole block when its first line is no field, so the Message-ID below it is not
        // seen here, although an IMAP server would return it for HEADER.FIELDS (MESSAGE-ID). RawMessage.Create throws
        // for such a message, so it is never appended and the two sides never have to agree on it.
        var raw = Latin1("bogus first line\r\nMessage-ID: <a@example.org>\r\n\r\nbody\r\n");

        var identity = MessageIdentity.FromRaw(raw);

        Assert.Equal(MessageIdentity.FromHeaderBlock(MessageIdentity.HeaderBlock(raw), raw.Length), identity);
        Assert.NotEqual(AsImapSees("Message-ID: <a@example.org>\r\n", raw.Length), identity);
    }

    [Fact]
    public void FromRaw_NoMessageIdSameHeadersDifferentBody_SameKeyDifferentSize()
    {
        var a = MessageIdentity.FromRaw(Latin1("From: a@example.org\r\nSubject: x\r\n\r\nshort\r\n"));
        var b = MessageIdentity.FromRaw(Latin1("From: a@example.org\r\nSubject: x\r\n\r\nlonger body\r\n"));

        Assert.Equal(a.Key, b.Key);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void FromRaw_NoMessageIdHeadersDifferInOneByte_DifferentKey()
    {
        var a = MessageIdentity.FromRaw(Latin1("From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"));
        var b = MessageIdentity.FromRaw(Latin1("From: a@example.org\r\nSubject: y\r\n\r\nbody\r\n"));

        Assert.NotEqual(a.Key, b.Key);
    }

    [Fact]
    public void FromRaw_NoMessageId_HashCoversTheBlankLineLikeImapHeader()
    {
        // BODY[HEADER] includes the blank line (RFC 3501 section 6.4.5), so the source hash must include it too.
        var raw = Latin1("From: a@example.org\r\n\r\nbody\r\n");

        var identity = MessageIdentity.FromRaw(raw);

        Assert.Equal(MessageIdentity.FromHeaderBlock(Latin1("From: a@example.org\r\n\r\n"), raw.Length), identity);
        Assert.NotEqual(MessageIdentity.FromHeaderBlock(Latin1("From: a@example.org\r\n"), raw.Length), identity);
    }

    [Fact]
    public void FromRaw_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => MessageIdentity.FromRaw(null!));

    [Fact]
    public void FromRaw_MboxFromLineFirst_CopyAtDestinationHasTheSameIdentity()
    {
        // The identity is only stable across a byte-exact APPEND (the remarks say so). A first line that is no header
        // field (an mbox "From " line) once reached the destination as other bytes; now it goes verbatim, so reconcile
        // recognises its copy after a crash between APPEND and the cursor save.
        var source = Latin1("From a@example.org Mon Jan  1 00:00:00 2024\r\nMessage-ID: <m@example.org>\r\n\r\nbody\r\n");
        var raw = RawMessage.Create(source);
        using var appended = new MemoryStream();
        raw.Message.WriteTo(raw.Format, appended);

        Assert.True(raw.IsExact);
        Assert.Equal(MessageIdentity.FromRaw(source), MessageIdentity.FromRaw(appended.ToArray()));
    }

    [Fact]
    public void FromRaw_HeaderOverTheParsedLimit_StillFindsItsMessageIdQuickly()
    {
        // IMAP's side reads the Message-ID from the server (HEADER.FIELDS), whatever the header's size: the raw side must
        // find the same one, or a message with a 1 MB header would not be recognised at the destination.
        var raw = Latin1(MailCorpus.Folded("From: a@example.org\r\nX-Big: x", MessageIdentity.MaxParsedHeaderBytes * 4)
            + "\r\nMessage-ID:\r\n <big@example.org>\r\n\r\nbody\r\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var identity = MessageIdentity.FromRaw(raw);

        Assert.Equal(MessageIdentity.FromMessageId("<big@example.org>", raw.Length), identity);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
    }

    [Fact]
    public void FromMessageId_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => MessageIdentity.FromMessageId(null!, 1));

    // ---------------------------------------------------------------- HeaderBlock

    [Theory]
    [InlineData("From: a\r\nTo: b\r\n\r\nbody\r\n\r\nmore\r\n", "From: a\r\nTo: b\r\n\r\n")]
    [InlineData("From: a\r\n\r\n", "From: a\r\n\r\n")]
    [InlineData("\r\nbody\r\n\r\nmore", "\r\n")]
    [InlineData("\r\n", "\r\n")]
    [InlineData("From: a\r\nTo: b\r\n", "From: a\r\nTo: b\r\n")]
    [InlineData("From: a\nTo: b\n\nbody\n", "From: a\nTo: b\n\nbody\n")]
    [InlineData("", "")]
    public void HeaderBlock_Message_UpToAndIncludingTheBlankLine(string message, string expected) =>
        Assert.Equal(Latin1(expected), MessageIdentity.HeaderBlock(Latin1(message)).ToArray());

    [Fact]
    public void MessageIdOf_HeaderBlockWithoutMessageId_IsNull() =>
        Assert.Null(MessageIdentity.MessageIdOf(Latin1("From: a\r\n\r\n")));

    [Fact]
    public void MessageIdOf_UnparseableHeaderBlock_IsNull() =>
        Assert.Null(MessageIdentity.MessageIdOf(Latin1(" leading space\r\nMessage-ID: <a@b>\r\n\r\n")));

    // ---------------------------------------------------------------- IdentityMatcher

    private static MessageIdentity Id(string key, long size = 100) => new(key, size);

    [Fact]
    public void Match_DistinctIdentities_PairsInSourceOrder()
    {
        var source = new[] { ("s1", Id("a")), ("s2", Id("b")), ("s3", Id("c")) };
        var destination = new[] { (30, Id("c")), (10, Id("a")), (20, Id("b")) };

        var pairs = IdentityMatcher.Match(source, destination);

        Assert.Equal([("s1", 10), ("s2", 20), ("s3", 30)], pairs);
    }

    [Fact]
    public void Match_SourceWithoutCopy_IsLeftOut()
    {
        var pairs = IdentityMatcher.Match(new[] { ("s1", Id("a")), ("s2", Id("missing")), ("s3", Id("c")) }, new[] { (1, Id("a")), (3, Id("c")) });

        Assert.Equal([("s1", 1), ("s3", 3)], pairs);
    }

    [Fact]
    public void Match_SameKeyOtherSize_IsNoMatch()
    {
        var pairs = IdentityMatcher.Match(new[] { ("s1", Id("a", 100)) }, new[] { (1, Id("a", 101)) });

        Assert.Empty(pairs);
    }

    [Fact]
    public void Match_TwoSourceDuplicatesOneCopy_ExactlyOnePairForTheFirstSource()
    {
        var pairs = IdentityMatcher.Match(new[] { ("first", Id("dup")), ("second", Id("dup")) }, new[] { (7, Id("dup")) });

        Assert.Equal([("first", 7)], pairs);
    }

    [Fact]
    public void Match_DuplicatesOnBothSides_MatchedByCountInAppendOrder()
    {
        var source = new[] { ("s1", Id("dup")), ("s2", Id("x")), ("s3", Id("dup")), ("s4", Id("dup")) };
        var destination = new[] { (5, Id("dup")), (6, Id("x")), (8, Id("dup")) };

        var pairs = IdentityMatcher.Match(source, destination);

        Assert.Equal([("s1", 5), ("s2", 6), ("s3", 8)], pairs);
    }

    [Fact]
    public void Match_MoreCopiesThanSources_EachDestinationUsedAtMostOnce()
    {
        var pairs = IdentityMatcher.Match(new[] { ("s1", Id("a")) }, new[] { (1, Id("a")), (2, Id("a")), (3, Id("a")) });

        Assert.Equal([("s1", 1)], pairs);
    }

    [Fact]
    public void Match_ManyRandomDuplicates_EveryDestinationUsedAtMostOnceAndCountsAgree()
    {
        var random = new Random(7);
        var source = Enumerable.Range(0, 500).Select(i => (i, Id("k" + random.Next(40), random.Next(3)))).ToList();
        var destination = Enumerable.Range(0, 400).Select(i => (1_000 + i, Id("k" + random.Next(40), random.Next(3)))).ToList();

        var pairs = IdentityMatcher.Match(source, destination);

        Assert.Equal(pairs.Count, pairs.Select(p => p.Destination).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(source[p.Source].Item2, destination[p.Destination - 1_000].Item2));
        foreach (var group in source.GroupBy(s => s.Item2))
        {
            var expected = Math.Min(group.Count(), destination.Count(d => d.Item2 == group.Key));
            Assert.Equal(expected, pairs.Count(p => source[p.Source].Item2 == group.Key));
        }

        // In source order, and the earliest copy first within one identity.
        Assert.Equal(pairs.OrderBy(p => p.Source), pairs);
        foreach (var group in pairs.GroupBy(p => source[p.Source].Item2))
        {
            Assert.Equal(group.OrderBy(p => p.Destination), group);
        }
    }

    [Fact]
    public void Match_Empty_IsEmpty() =>
        Assert.Empty(IdentityMatcher.Match(Array.Empty<(int, MessageIdentity)>(), new[] { (1, Id("a")) }));

    [Fact]
    public void Match_NullSource_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => IdentityMatcher.Match<int, int>(null!, []));
}
