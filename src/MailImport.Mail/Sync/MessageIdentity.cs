using System.Security.Cryptography;
using MimeKit;

namespace MailImport.Mail.Sync;

/// <summary>What makes two copies of a message recognisably the same, on both sides of a copy.</summary>
/// <remarks>
/// The Message-ID and the size when the message has a Message-ID; otherwise a SHA-256 of its raw header block
/// and the size. Both survive a byte-exact APPEND unchanged, so a message the engine appended before a crash is
/// found again at the destination. Messages that share an identity (true duplicates at the source) are matched
/// by count, in append order, so each copy at the destination accounts for exactly one source message.
/// </remarks>
public readonly record struct MessageIdentity(string Key, long Size)
{
    /// <summary>The identity of a message given its (non-empty) Message-ID header value and size.</summary>
    public static MessageIdentity FromMessageId(string messageId, long size)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        return new("mid:" + messageId.Trim(), size);
    }

    /// <summary>The identity of a message without a Message-ID, from its raw header block.</summary>
    public static MessageIdentity FromHeaderBlock(ReadOnlySpan<byte> headerBlock, long size) =>
        new("hdr:" + Convert.ToHexString(SHA256.HashData(headerBlock)), size);

    /// <summary>The identity of a whole raw message (POP3, or an IMAP message already downloaded).</summary>
    public static MessageIdentity FromRaw(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var header = HeaderBlock(raw);
        return MessageIdOf(header) is { } id ? FromMessageId(id, raw.Length) : FromHeaderBlock(header, raw.Length);
    }

    /// <summary>The identity of a message on its way (in memory or spooled), read from its header block alone.</summary>
    public static MessageIdentity FromBody(MessageBody raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var header = raw.HeaderBlock();
        return MessageIdOf(header) is { } id ? FromMessageId(id, raw.Length) : FromHeaderBlock(header, raw.Length);
    }

    /// <summary>The largest header block read with MimeKit's header parser (256 KB): it slows down faster than
    /// linearly on a header folded over many lines (1 MB takes seconds, 4 MB minutes), so a larger block, which no
    /// mail program writes, is read with the linear <see cref="HeaderFields"/> instead.</summary>
    public const int MaxParsedHeaderBytes = 256 * 1024;

    /// <summary>The Message-ID in a raw header block, or null when there is none.</summary>
    public static string? MessageIdOf(ReadOnlySpan<byte> headerBlock)
    {
        if (headerBlock.Length > MaxParsedHeaderBytes)
        {
            var field = HeaderFields.Of(headerBlock).FirstOrDefault(f => f.Name.Equals("Message-ID", StringComparison.OrdinalIgnoreCase));
            return string.IsNullOrWhiteSpace(field.Value) ? null : field.Value.Trim();
        }

        try
        {
            var headers = HeaderList.Load(new MemoryStream(headerBlock.ToArray(), writable: false));
            var value = headers[HeaderId.MessageId];
            return string.IsNullOrWhiteSpace(value) ? null : value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The header block of a raw message: everything up to and including the blank line that ends it
    /// (all of it when there is no blank line). This is what IMAP's BODY[HEADER] returns.</summary>
    public static ReadOnlySpan<byte> HeaderBlock(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var span = raw.AsSpan();
        if (span.StartsWith("\r\n"u8))
        {
            return span[..2];
        }

        var end = span.IndexOf("\r\n\r\n"u8);
        return end < 0 ? span : span[..(end + 4)];
    }
}

/// <summary>Pairs source messages with destination copies by identity.</summary>
public static class IdentityMatcher
{
    /// <summary>For each source message, in order, the destination message that is its copy, if any. Each
    /// destination message is used at most once, the earliest first, so copies are matched in append order.</summary>
    public static IReadOnlyList<(TSource Source, TDestination Destination)> Match<TSource, TDestination>(
        IEnumerable<(TSource Item, MessageIdentity Identity)> source,
        IEnumerable<(TDestination Item, MessageIdentity Identity)> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        var available = new IdentityPool<TDestination>(destination);
        var pairs = new List<(TSource, TDestination)>();
        foreach (var (item, identity) in source)
        {
            if (available.TryTake(identity, out var copy))
            {
                pairs.Add((item, copy));
            }
        }

        return pairs;
    }
}

/// <summary>Destination messages by identity, each taken at most once, the earliest first: the matching rule of
/// <see cref="IdentityMatcher"/>, kept open so batches matched one after another share one fetch.</summary>
public sealed class IdentityPool<TDestination>
{
    private readonly Dictionary<MessageIdentity, Queue<TDestination>> available = [];

    /// <summary>Takes the destination messages, in the order they are to be matched.</summary>
    public IdentityPool(IEnumerable<(TDestination Item, MessageIdentity Identity)> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        foreach (var (item, identity) in destination)
        {
            if (!available.TryGetValue(identity, out var queue))
            {
                available[identity] = queue = new Queue<TDestination>();
            }

            queue.Enqueue(item);
            Count++;
        }
    }

    /// <summary>Destination messages not taken yet.</summary>
    public int Count { get; private set; }

    /// <summary>Takes the earliest destination message with this identity not taken yet.</summary>
    public bool TryTake(MessageIdentity identity, out TDestination copy)
    {
        if (available.TryGetValue(identity, out var queue) && queue.TryDequeue(out copy!))
        {
            Count--;
            return true;
        }

        copy = default!;
        return false;
    }
}
