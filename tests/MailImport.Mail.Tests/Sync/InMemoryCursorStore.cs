using MailImport.Mail.Sync;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Keeps the cursor as serialised bytes, as a real store would, so no object is shared with the engine.</summary>
internal sealed class InMemoryCursorStore : ICursorStore
{
    private byte[]? saved;

    public int Saves { get; private set; }

    public MailboxCursor? Current => saved is null ? null : MailboxCursor.FromJson(saved);

    public Task<MailboxCursor?> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(Current);

    public Task SaveAsync(MailboxCursor cursor, CancellationToken cancellationToken)
    {
        saved = cursor.ToJson();
        Saves++;
        return Task.CompletedTask;
    }
}
