using MailImport.Mail.Errors;

namespace MailImport.Mail.Sync;

/// <summary>One batch's FETCH, started on the source connection while the batch before it is appended on the
/// destination's. It reads only: the batch is journaled before its own APPEND as any batch is, so fetching it early
/// changes nothing of what a crash leaves. Its bytes wait in the <see cref="MessageSpool"/>, within the process's cap.</summary>
internal sealed class PendingFetch : IAsyncDisposable
{
    private readonly CancellationTokenSource cancel;
    private readonly Task<IReadOnlyList<OutgoingMessage>> fetch;
    private bool taken;

    /// <summary>Starts fetching <paramref name="sending"/>.</summary>
    public PendingFetch(ISourceFolder folder, IReadOnlyList<SourceMessage> sending, CancellationToken cancellationToken)
    {
        cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        fetch = sending.Count == 0 ? Task.FromResult<IReadOnlyList<OutgoingMessage>>([]) : folder.FetchAsync(sending, cancel.Token);
    }

    /// <summary>Waits for the batch's bytes; from here the caller owns (and disposes) them.</summary>
    public async Task<IReadOnlyList<OutgoingMessage>> TakeAsync()
    {
        var messages = await fetch;
        taken = true;
        return messages;
    }

    /// <summary>When the bytes were not taken (the budget ran out, or the chunk failed meanwhile): stops the FETCH, waits
    /// for it to end, and frees what it brought.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!taken)
        {
            if (!fetch.IsCompleted)
            {
                await cancel.CancelAsync();
            }

            try
            {
                foreach (var message in await fetch)
                {
                    message.Dispose();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or MailFailureException or IOException)
            {
                // The batch was not going to be used; whatever ended its FETCH is the next chunk's to meet again.
            }
        }

        cancel.Dispose();
    }
}

/// <summary>A batch cut for copying, with its FETCH when that was started ahead (null: fetched after its journal).</summary>
/// <param name="Messages">The batch.</param>
/// <param name="Fetch">Its FETCH under way, if started ahead.</param>
internal sealed record PendingBatch(List<SourceMessage> Messages, PendingFetch? Fetch);
