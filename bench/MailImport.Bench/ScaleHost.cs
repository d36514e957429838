using System.Collections.Concurrent;
using MailImport.Core.Batches;
using MailImport.Infrastructure.Provisioning;
using MailImport.Local;
using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Workflow.Activities;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Bench;

/// <summary>"scale-host": the local host as the product builds it (<see cref="LocalHost.Build"/>, the same settings,
/// storage, engine, API and activities), with only the mail I/O replaced by <see cref="InProcessMail"/>, so the scale
/// benchmark measures the orchestrations, the status and storage rather than a mail server.</summary>
internal static class ScaleHost
{
    public static readonly IReadOnlySet<string> Flags = new HashSet<string>(StringComparer.Ordinal);

    public static async Task<int> RunAsync(CommandLine line)
    {
        var messages = line.Number("--messages", 3, 1, 1_000);
        line.RejectUnread();
        var mail = new InProcessMail(messages);
        // Registered after the host's own, so they are the ones resolved (the last registration of a service wins,
        // https://learn.microsoft.com/dotnet/core/extensions/dependency-injection#service-registration-methods).
        var app = LocalHost.Build([], services: services => services
            .AddSingleton<IMailEngine>(mail)
            .AddSingleton<IDestinationDirectory>(mail));
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.RunAsync();
        return 0;
    }
}

/// <summary>A mail engine and destination directory in memory: every source holds one INBOX of a fixed number of
/// messages of <see cref="MessageBytes"/> bytes, and a chunk "copies" them all by saving the cursor a real chunk would
/// leave (through the product's cursor store, lease included), so storage sees a copy's cursor writes and the report
/// the real counters.</summary>
internal sealed class InProcessMail(int messages) : IMailEngine, IDestinationDirectory
{
    /// <summary>About what the Dovecot mode's messages weigh (scale-seed).</summary>
    public const long MessageBytes = 400;

    private readonly ConcurrentDictionary<string, bool> mailboxes = new(StringComparer.OrdinalIgnoreCase);

    public Task<SourceCheckResult> ListSourceAsync(BatchDefinition batch, MailAccount account, bool dryRun, CancellationToken cancellationToken) =>
        Task.FromResult(new SourceCheckResult(StepResult.Success, ["INBOX"], messages, messages * MessageBytes));

    public async Task<ChunkResult> CopyChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(store);
        await using var hold = await store.TryLockAsync(cancellationToken)
            ?? throw new InvalidOperationException("Another chunk holds this mailbox's cursor.");
        var cursor = await store.LoadAsync(cancellationToken) ?? new MailboxCursor();
        var copied = messages - cursor.MessagesCopied;
        cursor.RunId = job.RunId;
        cursor.Folders["INBOX"] = new FolderCursor { UidValidity = 1, HighestCopiedUid = (uint)messages, DestinationFolder = "INBOX", DestinationUidValidity = 1 };
        cursor.MessagesCopied = messages;
        cursor.BytesCopied = messages * MessageBytes;
        cursor.DatesFromDateHeader = messages;
        await store.SaveAsync(cursor, cancellationToken);
        return new ChunkResult(true, copied, copied * MessageBytes, messages, messages * MessageBytes, messages, messages * MessageBytes, 1, [], 0, 0, 0, [], [],
            new(messages, 0, 0)) { DownloadedThisChunk = copied * MessageBytes };
    }

    public Task<bool> IsDomainConfirmedAsync(string domain, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>One organisation per domain, as the Dovecot directory counts.</summary>
    public string OrganisationOf(string domain) => $"inprocess:{domain.ToLowerInvariant()}";

    public Task<IReadOnlyList<DirectoryMailbox>> ListMailboxesAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DirectoryMailbox>>([.. mailboxes.Keys.Select(k => new DirectoryMailbox(k))]);

    public Task<ProvisioningResult> CreateMailboxAsync(NewMailbox mailbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return Task.FromResult(new ProvisioningResult(mailboxes.TryAdd(mailbox.Username, true) ? ProvisioningOutcome.Created : ProvisioningOutcome.AlreadyExists));
    }
}
