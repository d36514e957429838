using MailImport.Mail.Sync;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Keeps the cursor as serialised bytes, as a real store would, so no object is shared with the engine.</summary>
internal sealed class InMemoryCursorStore : ICursorStore
{
    private byte[]? saved;
    private int held;

    public int Saves { get; private set; }

    public MailboxCursor? Current => saved is null ? null : MailboxCursor.FromJson(saved);

    public Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(Current);

    public Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken)
    {
        saved = cursor.ToJson();
        Saves++;
        return Task.CompletedTask;
    }

    public Task<ICursorLock?> TryLockAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ICursorLock?>(Interlocked.CompareExchange(ref held, 1, 0) == 0 ? new Hold(this) : null);

    private sealed class Hold(InMemoryCursorStore store) : ICursorLock
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync()
        {
            Volatile.Write(ref store.held, 0);
            return ValueTask.CompletedTask;
        }
    }
}
