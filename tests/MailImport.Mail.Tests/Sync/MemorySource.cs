using System.Runtime.CompilerServices;
using MailImport.Mail.Folders;
using MailImport.Mail.Sync;
using MailKit;

namespace MailImport.Mail.Tests.Sync;

/// <summary>A source held in memory, one folder of messages named UID 1, 2, ...: the proof that a source is only what
/// <see cref="IMailSource"/> asks, and the copy loop does the rest. It writes down what the loop asks of it.</summary>
/// <remarks>What it has copied is kept in the instance, not the cursor: reuse one instance across chunks.</remarks>
internal sealed class MemorySource(IReadOnlyList<byte[]> messages, List<string> trace) : IMailSource, ISourceFolder
{
    private readonly HashSet<uint> copied = [];

    public string Name => "INBOX";

    public bool FlagsPending => false;

    public Task<SourcePlan> PlanAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new SourcePlan([new FolderPlan("INBOX", ["INBOX"], FolderRole.Inbox)], messages.Count, messages.Sum(m => (long)m.Length)));

    public bool Wrote(InFlightBatch journal) => journal.Uids.Count > 0;

    public Task<IReadOnlyList<(SourceKey Key, MessageIdentity Identity)>?> JournaledIdentitiesAsync(InFlightBatch journal, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(SourceKey, MessageIdentity)>?>(
            journal.Uids.Select(u => (SourceKey.OfUid(u), MessageIdentity.FromRaw(messages[(int)u - 1]))).ToList());

    public void Reconciled(InFlightBatch journal, SourceKey key, uint destinationUid, DestinationFolder target)
    {
        copied.Add(key.Uid!.Value);
        trace.Add($"reconciled {key}");
    }

    public Task<ISourceFolder> OpenFolderAsync(FolderPlan plan, CancellationToken cancellationToken) => Task.FromResult<ISourceFolder>(this);

    public Task<bool> MatchTargetAsync(DestinationFolder target, CancellationToken cancellationToken) => Task.FromResult(false);

    public async IAsyncEnumerable<MessageSlice> NewMessagesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var fresh = Enumerable.Range(1, messages.Count).Select(i => (uint)i).Where(u => !copied.Contains(u))
            .Select(u => new SourceMessage(SourceKey.OfUid(u), messages[(int)u - 1].Length, MessageFlags.Seen, new HashSet<string>(), null))
            .ToList();
        yield return new MessageSlice(fresh.Select(m => m.Key).ToList(), fresh);
    }

    public InFlightBatch Journal(IReadOnlyList<SourceMessage> batch) =>
        new() { SourceFolder = Name, Uids = batch.Select(m => m.Key.Uid!.Value).ToList() };

    public Task<IReadOnlyList<OutgoingMessage>> FetchAsync(IReadOnlyList<SourceMessage> batch, CancellationToken cancellationToken)
    {
        trace.Add($"fetch {string.Join(", ", batch.Select(m => m.Key))}");
        return Task.FromResult<IReadOnlyList<OutgoingMessage>>(batch
            .Select(m => new OutgoingMessage(m.Key, MessageBody.Of(messages[(int)m.Key.Uid!.Value - 1]), m.Flags, m.Keywords, m.InternalDate)).ToList());
    }

    public void Appended(SourceKey key, UniqueId? destinationUid)
    {
        copied.Add(key.Uid!.Value);
        trace.Add($"appended {key}");
    }

    public void Refused(SourceKey key) => trace.Add($"refused {key}");

    public void Advance(IEnumerable<SourceKey> handled) => trace.Add($"advance {string.Join(", ", handled)}");

    public Task<(long Updated, bool Done)> SyncFlagsAsync(DestinationFolder target, Func<bool> budgetSpent, CancellationToken cancellationToken) =>
        Task.FromResult((0L, true));

    public void Dispose()
    {
    }
}
