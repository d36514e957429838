using System.Collections.Concurrent;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Storage;

namespace MailImport.Workflow.Activities;

/// <summary>The directory as a run read it: which of the run's usernames exist already.</summary>
/// <remarks>A run's snapshot is written once, before its mailboxes start, and never changes, so each worker keeps the
/// last few in memory: a line costs no directory call and no blob read.</remarks>
public sealed class RunDirectory(BatchStorage storage)
{
    /// <summary>Snapshots kept per process; runs of different batches interleave on one worker.</summary>
    private const int Kept = 8;

    private readonly ConcurrentDictionary<(string BatchId, string RunId), Lazy<Task<Dictionary<string, DirectoryMailbox>>>> snapshots = new();

    /// <summary>The mailbox with this username the run found in the directory, or null when there was none.</summary>
    public async Task<DirectoryMailbox?> FindAsync(string batchId, string runId, string username, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(username);
        var key = (batchId, runId);
        var load = snapshots.GetOrAdd(key, _ => new Lazy<Task<Dictionary<string, DirectoryMailbox>>>(() => LoadAsync(batchId, runId)));
        Dictionary<string, DirectoryMailbox> mailboxes;
        try
        {
            mailboxes = await load.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed read is not cached: the activity's retry reads again.
            snapshots.TryRemove(key, out _);
            throw;
        }

        if (snapshots.Count > Kept)
        {
            foreach (var other in snapshots.Keys.Where(k => k != key))
            {
                snapshots.TryRemove(other, out _);
            }
        }

        return mailboxes.GetValueOrDefault(username.ToLowerInvariant());
    }

    private async Task<Dictionary<string, DirectoryMailbox>> LoadAsync(string batchId, string runId)
    {
        var snapshot = await storage.LoadDirectorySnapshotAsync(batchId, runId, CancellationToken.None)
            ?? throw new InvalidOperationException($"Run {runId} of batch {batchId} has no directory snapshot: {Orchestrations.WorkflowNames.ReadDirectory} did not run before its mailboxes.");
        var byName = new Dictionary<string, DirectoryMailbox>(StringComparer.Ordinal);
        foreach (var mailbox in snapshot.Mailboxes)
        {
            byName.TryAdd(mailbox.Username.ToLowerInvariant(), mailbox);
        }

        return byName;
    }
}
