using System.Text;
using MailImport.Mail.Sync;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Units;

/// <summary>The arrival date of a POP3 message: RFC 5322 section 3.3 dates with the obsolete forms of section 4.3, the
/// Date header wherever it stands, else the topmost Received header (RFC 5321 section 4.4), else the import.</summary>
public class ArrivalDateTests
{
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    public static TheoryData<string, string> Dates() => new()
    {
        { "Wed, 4 Mar 2015 05:06:07 +0300", "2015-03-04T05:06:07+03:00" },
        { "4 Mar 2015 05:06:07 -0000", "2015-03-04T05:06:07+00:00" },
        { "Wed, 04 Mar 2015 05:06 +0300", "2015-03-04T05:06:00+03:00" },
        { "  Wed ,  4   Mar   2015   05 : 06 : 07   +0300  ", "2015-03-04T05:06:07+03:00" },
        { "Wed, 4 Mar 2015 05:06:07 +0300 (MSK)", "2015-03-04T05:06:07+03:00" },
        { "(a comment (nested) \\) here) Wed, 4 Mar 2015 05:06:07 +0300", "2015-03-04T05:06:07+03:00" },
        { "wed, 4 mar 2015 05:06:07 +0300", "2015-03-04T05:06:07+03:00" },
        // Section 4.3: obsolete years.
        { "4 Mar 15 05:06:07 +0000", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 49 05:06:07 +0000", "2049-03-04T05:06:07+00:00" },
        { "4 Mar 50 05:06:07 +0000", "1950-03-04T05:06:07+00:00" },
        { "4 Mar 115 05:06:07 +0000", "2015-03-04T05:06:07+00:00" },
        // Section 4.3: obsolete zones.
        { "4 Mar 2015 05:06:07 UT", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 2015 05:06:07 GMT", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 2015 05:06:07 EST", "2015-03-04T05:06:07-05:00" },
        { "4 Mar 2015 05:06:07 EDT", "2015-03-04T05:06:07-04:00" },
        { "4 Mar 2015 05:06:07 CST", "2015-03-04T05:06:07-06:00" },
        { "4 Mar 2015 05:06:07 CDT", "2015-03-04T05:06:07-05:00" },
        { "4 Mar 2015 05:06:07 MST", "2015-03-04T05:06:07-07:00" },
        { "4 Mar 2015 05:06:07 MDT", "2015-03-04T05:06:07-06:00" },
        { "4 Mar 2015 05:06:07 PST", "2015-03-04T05:06:07-08:00" },
        { "4 Mar 2015 05:06:07 PDT", "2015-03-04T05:06:07-07:00" },
        { "4 Mar 2015 05:06:07 edt", "2015-03-04T05:06:07-04:00" },
        { "4 Mar 2015 05:06:07 Z", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 2015 05:06:07 A", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 2015 05:06:07 Y", "2015-03-04T05:06:07+00:00" },
        { "4 Mar 2015 05:06:07 CET", "2015-03-04T05:06:07+00:00" },
        // Leap second: the start of the next second.
        { "31 Dec 2016 23:59:60 +0000", "2017-01-01T00:00:00+00:00" },
        { "29 Feb 2024 00:00:00 +1400", "2024-02-29T00:00:00+14:00" },
    };

    [Theory]
    [MemberData(nameof(Dates))]
    public void Parse_Rfc5322Date_IsThatMoment(string text, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ArrivalDate.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("sometime last week")]
    [InlineData("Wed, 4 Mar 2015")]
    [InlineData("Wed, 4 Mar 2015 05:06:07")]
    [InlineData("31 Feb 2015 05:06:07 +0000")]
    [InlineData("29 Feb 2023 05:06:07 +0000")]
    [InlineData("4 Foo 2015 05:06:07 +0000")]
    [InlineData("4 Mar 2015 24:00:00 +0000")]
    [InlineData("4 Mar 2015 05:60:00 +0000")]
    [InlineData("4 Mar 2015 05:06:61 +0000")]
    [InlineData("4 Mar 2015 05:06:07 +0060")]
    [InlineData("4 Mar 2015 05:06:07 +1500")]
    [InlineData("4 Mar 2015 05:06:07 +03")]
    [InlineData("4 Mar 2015 05:06:07 +0300 trailing words")]
    [InlineData("2015-03-04T05:06:07Z")]
    [InlineData("0 Mar 2015 05:06:07 +0000")]
    public void Parse_NotADate_IsNull(string text) => Assert.Null(ArrivalDate.Parse(text));

    [Fact]
    public void Parse_HugeText_IsNullAndQuick()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Null(ArrivalDate.Parse(new string(' ', 1_000_000) + "4 Mar 2015 05:06:07 +0000"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed}");
    }

    [Theory]
    [InlineData("Date: Wed, 4 Mar 2015 05:06:07 EDT\r\nFrom: a@b\r\n\r\nbody\r\n")]
    [InlineData("From: a@b\r\nSubject: s\r\nReceived: from x by y; Fri, 6 Mar 2015 12:00:00 +0000\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n\r\nbody\r\n")]
    [InlineData("From sender Wed Mar  4 05:06:07 2015\r\nFrom: a@b\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n\r\nbody\r\n")]
    [InlineData("\uFEFFDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n\r\nbody\r\n")]
    [InlineData(" continued nothing\r\nnot a field\r\nDATE : Wed,\r\n 4 Mar 2015\r\n\t05:06:07 EDT\r\n\r\nbody\r\n")]
    [InlineData("From: a@b\nDate: Wed, 4 Mar 2015 05:06:07 EDT\n\nbody\n")]
    [InlineData("From: a@b\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT")]
    public void Of_DateHeaderAnywhere_IsTheDate(string raw)
    {
        var bytes = raw.StartsWith('\uFEFF') ? Encoding.UTF8.GetBytes(raw) : Latin1(raw);

        var (date, source) = ArrivalDate.Of(bytes);

        Assert.Equal(ArrivalDateSource.Date, source);
        Assert.Equal(new DateTimeOffset(2015, 3, 4, 5, 6, 7, TimeSpan.FromHours(-4)), date);
    }

    [Theory]
    [InlineData("Received: from b by c; Fri, 6 Mar 2015 12:00:00 +0000\r\nReceived: from a by b; Fri, 6 Mar 2015 11:00:00 +0000\r\n\r\nbody\r\n")]
    [InlineData("Received: from b by c (with; semicolons; in it);\r\n Fri, 6 Mar 2015 12:00:00 +0000\r\nFrom: a@b\r\n\r\nbody\r\n")]
    [InlineData("Date: not a date\r\nReceived: from b by c; Fri, 6 Mar 2015 12:00:00 GMT\r\n\r\nbody\r\n")]
    public void Of_NoReadableDate_IsTheTopmostReceived(string raw)
    {
        var (date, source) = ArrivalDate.Of(Latin1(raw));

        Assert.Equal(ArrivalDateSource.Received, source);
        Assert.Equal(new DateTimeOffset(2015, 3, 6, 12, 0, 0, TimeSpan.Zero), date);
    }

    [Theory]
    [InlineData("")]
    [InlineData("From: a@b\r\n\r\nbody\r\n")]
    [InlineData("From: a@b\r\n\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n")]
    [InlineData("Date: soon\r\nReceived: from a by b\r\n\r\nbody\r\n")]
    [InlineData("Received: from a by b; yesterday\r\n\r\nbody\r\n")]
    [InlineData("just text, no line break")]
    public void Of_NeitherDateNorReceived_IsTheImportTime(string raw)
    {
        var (date, source) = ArrivalDate.Of(Latin1(raw));

        Assert.Equal(ArrivalDateSource.ImportTime, source);
        Assert.Null(date);
    }

    [Fact]
    public void Of_TopmostReceivedUnreadable_DoesNotFallToAnOlderOne()
    {
        // The topmost Received is the arrival at the source; an older hop's date is not when the mailbox got the message.
        var (date, source) = ArrivalDate.Of(Latin1("Received: from b by c; garbled\r\nReceived: from a by b; Fri, 6 Mar 2015 11:00:00 +0000\r\n\r\nb\r\n"));

        Assert.Equal(ArrivalDateSource.ImportTime, source);
        Assert.Null(date);
    }

    [Fact]
    public void Fields_TenMegabyteFoldedHeader_IsQuick()
    {
        var raw = Latin1(MailCorpus.Folded("From: a@b\r\nX-Big: x", 10 * 1024 * 1024) + "\r\nDate: Wed, 4 Mar 2015 05:06:07 EDT\r\n\r\nbody\r\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (_, source) = ArrivalDate.Of(raw);

        Assert.Equal(ArrivalDateSource.Date, source);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed}");
    }

    [Fact]
    public void Fields_EightBitValues_ComeThroughByteForByte()
    {
        byte[] raw = [.. "X-A: "u8, 0xE9, 0xFF, 0x80, .. "\r\n\r\n"u8];

        var field = Assert.Single(HeaderFields.Of(raw));

        Assert.Equal("X-A", field.Name);
        Assert.Equal(" \u00e9\u00ff\u0080", field.Value);
    }

    [Theory]
    [InlineData("From: a\r\n\r\nbody", 15, "From: a\r\n\r\nbody")]
    [InlineData("From: a\r\n\r\nbody\r\n", 15, "From: a\r\n\r\nbody")]
    [InlineData("From: a\r\n\r\nbody\r\n", 17, "From: a\r\n\r\nbody\r\n")]
    [InlineData("From: a\r\n\r\nbody\n\n", 15, "From: a\r\n\r\nbody\n\n")]
    [InlineData("From: a\r\n\r\nbody\r\n", 10, "From: a\r\n\r\nbody\r\n")]
    [InlineData("\r\n", 0, "")]
    [InlineData("", 0, "")]
    public void WithoutAddedLineBreak_ContentJustOneCrlfOverTheListedSize_LosesThatCrlf(string content, int listed, string expected) =>
        Assert.Equal(Latin1(expected), Pop3Source.WithoutAddedLineBreak(Latin1(content), listed));
}
