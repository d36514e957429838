using System.Runtime.CompilerServices;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using MailKit;
using MailKit.Net.Pop3;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>A POP3 source: one folder, INBOX, its messages named by UIDL (RFC 1939 section 7) and read with RETR;
/// nothing is ever deleted. POP3 has no flags, keywords or INTERNALDATE to carry over.</summary>
/// <remarks>The maildrop is its own and only folder, so this type is both the source and that folder.</remarks>
internal sealed class Pop3Source(Pop3Client client, MailboxCursor cursor, MessageSpool spool) : IMailSource, ISourceFolder
{
    private const string Inbox = "INBOX";

    private IList<int> sizes = [];
    private Dictionary<string, int>? indexOf;

    /// <inheritdoc/>
    public string Name => Inbox;

    /// <inheritdoc/>
    public bool FlagsPending => false;

    /// <inheritdoc/>
    public async Task<SourcePlan> PlanAsync(CancellationToken cancellationToken)
    {
        if ((client.Capabilities & Pop3Capabilities.UIDL) == 0)
        {
            throw new MailFailureException(new MailFailure(ErrorCode.SourceProtocolError,
                "The POP3 server does not support UIDL, so messages cannot be told apart across runs; use IMAP for this source.", false));
        }

        var uidls = await OnSource(() => client.GetMessageUidsAsync(cancellationToken));
        sizes = await OnSource(() => client.GetMessageSizesAsync(cancellationToken));
        // A UIDL a server repeats names its first message only.
        indexOf = uidls.Select((uidl, index) => (uidl, index)).GroupBy(p => p.uidl)
            .ToDictionary(g => g.Key, g => g.First().index, StringComparer.Ordinal);
        return new SourcePlan([new FolderPlan(Inbox, [Inbox], FolderRole.Inbox)], uidls.Count, sizes.Sum(s => (long)s));
    }

    /// <inheritdoc/>
    public bool Wrote(InFlightBatch journal) => journal.Uidls.Count > 0;

    /// <inheritdoc/>
    public async Task<IReadOnlyList<(SourceKey Key, MessageIdentity Identity)>?> JournaledIdentitiesAsync(InFlightBatch journal, CancellationToken cancellationToken)
    {
        var index = Listed();
        var identities = new List<(SourceKey, MessageIdentity)>();
        foreach (var uidl in journal.Uidls.Where(index.ContainsKey))
        {
            using var raw = await OnSource(() => DownloadAsync(index[uidl], cancellationToken));
            identities.Add((SourceKey.OfUidl(uidl), MessageIdentity.FromBody(raw)));
        }

        return identities;
    }

    /// <inheritdoc/>
    public void Reconciled(InFlightBatch journal, SourceKey key, uint destinationUid, DestinationFolder target) => Appended(key, null);

    /// <inheritdoc/>
    public Task<ISourceFolder> OpenFolderAsync(FolderPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.SourceFullName == Inbox
            ? Task.FromResult<ISourceFolder>(this)
            : throw new ArgumentException($"A POP3 source has only {Inbox}.", nameof(plan));
    }

    /// <inheritdoc/>
    public Task<bool> MatchTargetAsync(DestinationFolder target, CancellationToken cancellationToken) => Task.FromResult(false);

    /// <inheritdoc/>
    public async IAsyncEnumerable<MessageSlice> NewMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var failed = cursor.Failures.Where(f => f.Uidl is not null).Select(f => f.Uidl!).ToHashSet(StringComparer.Ordinal);
        var pending = Listed().Where(p => !cursor.Pop3Done.Contains(p.Key) && !failed.Contains(p.Key)).OrderBy(p => p.Value)
            .Select(p => new SourceMessage(SourceKey.OfUidl(p.Key), sizes[p.Value], MessageFlags.None, new HashSet<string>(), null))
            .ToList();
        // LIST gave every size up front: the whole maildrop is one page.
        yield return new MessageSlice(pending.Select(m => m.Key).ToList(), pending);
        await Task.CompletedTask;
    }

    /// <inheritdoc/>
    public InFlightBatch Journal(IReadOnlyList<SourceMessage> batch) => new()
    {
        SourceFolder = Inbox,
        Uidls = batch.Select(m => UidlOf(m.Key)).ToList(),
    };

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OutgoingMessage>> FetchAsync(IReadOnlyList<SourceMessage> batch, CancellationToken cancellationToken)
    {
        var index = Listed();
        var outgoing = new List<OutgoingMessage>(batch.Count);
        try
        {
            foreach (var message in batch)
            {
                var raw = await OnSource(() => DownloadAsync(index[UidlOf(message.Key)], cancellationToken));
                var (date, source) = ArrivalDate.Of(raw.HeaderBlock());
                outgoing.Add(new OutgoingMessage(message.Key, raw, MessageFlags.None, new HashSet<string>(), date, source));
            }
        }
        catch
        {
            outgoing.ForEach(m => m.Dispose());
            throw;
        }

        return outgoing;
    }

    /// <inheritdoc/>
    public void Appended(SourceKey key, UniqueId? destinationUid) => cursor.Pop3Done.Add(UidlOf(key));

    /// <inheritdoc/>
    /// <remarks>A refused message is only reported: it is not in the copied set, so the next run tries it again.</remarks>
    public void Refused(SourceKey key)
    {
    }

    /// <inheritdoc/>
    /// <remarks>The copied set names every message; there is no high-water mark to move.</remarks>
    public void Advance(IEnumerable<SourceKey> handled)
    {
    }

    /// <inheritdoc/>
    public Task<(long Updated, bool Done)> SyncFlagsAsync(DestinationFolder target, Func<bool> budgetSpent, CancellationToken cancellationToken) =>
        Task.FromResult((0L, true));

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();

    private static string UidlOf(SourceKey key) =>
        key.Uidl ?? throw new ArgumentException("A POP3 source names messages by UIDL.", nameof(key));

    private Dictionary<string, int> Listed() =>
        indexOf ?? throw new InvalidOperationException("The maildrop is not listed yet.");

    private async Task<MessageBody> DownloadAsync(int index, CancellationToken cancellationToken)
    {
        // RETR, never DELE: the source keeps every message. MailKit hands the content over whole in memory (POP3 has
        // no literal to spool as it arrives); it is moved into the spool here and MailKit's copy dropped.
        await using var stream = await client.GetStreamAsync(index, headersOnly: false, cancellationToken);
        var listed = sizes[index];
        await using var writer = spool.CreateWriter(listed);
        var tail = new byte[2];
        var tailLength = 0;
        if (stream.CanSeek && stream.Length == listed + 2L)
        {
            // Only the last two bytes are in question: copy the rest, then keep those two unless they are the added CRLF.
            await CopyAsync(stream, writer, listed, cancellationToken);
            tailLength = await stream.ReadAtLeastAsync(tail, 2, throwOnEndOfStream: false, cancellationToken);
            if (!IsAddedLineBreak(stream.Length, tail.AsSpan(0, tailLength), listed))
            {
                writer.Write(tail, 0, tailLength);
            }
        }
        else if (!stream.CanSeek)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            writer.Write(WithoutAddedLineBreak(buffer.ToArray(), listed));
        }
        else
        {
            await stream.CopyToAsync(writer, cancellationToken);
        }

        return writer.Detach();
    }

    private static async Task CopyAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (count > 0)
        {
            var n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken);
            if (n == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            count -= n;
        }
    }

    /// <summary>RETR's content less the line break the server added to end a message that has none.</summary>
    /// <remarks>A multi-line POP3 response is lines each ended by CRLF, then a line of "." (RFC 1939 section 3), so a
    /// server must end a message's last line for it, and the content MailKit hands back ends in a CRLF the message
    /// did not have. LIST gives the message's exact size in octets (RFC 1939 section 5): when the content is just
    /// that CRLF longer, the CRLF is the server's and is dropped. Anything else is kept as RETR gave it.</remarks>
    internal static byte[] WithoutAddedLineBreak(byte[] content, long listedSize) =>
        content.Length >= 2 && IsAddedLineBreak(content.Length, content.AsSpan(content.Length - 2), listedSize) ? content[..^2] : content;

    /// <summary>True when the last two bytes of RETR's content are the CRLF the server added (see <see cref="WithoutAddedLineBreak"/>).</summary>
    private static bool IsAddedLineBreak(long contentLength, ReadOnlySpan<byte> lastTwo, long listedSize) =>
        contentLength == listedSize + 2 && lastTwo.SequenceEqual("\r\n"u8);
}
