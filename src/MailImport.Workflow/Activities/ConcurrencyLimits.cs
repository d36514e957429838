using System.Diagnostics;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Infrastructure.Limits;
using MailImport.Infrastructure.Provisioning;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Activities;

/// <summary>The three concurrency limits a step that connects takes a slot of, each apart from the others: connections
/// to the source account (its preset's figure, else <see cref="ConnectorOptions.ConnectionsPerSourceAccount"/>),
/// connections to the source host (<see cref="WorkflowOptions.ConnectionsPerSourceHost"/>), and, for a step that writes,
/// mailboxes copied into the destination organisation (<see cref="WorkflowOptions.MailboxesPerDestinationOrganisation"/>).</summary>
/// <remarks>A step opens one source connection while it runs, so holding one slot of each for its length bounds the
/// connections. The slots are counted where <see cref="IConcurrencySlots"/> counts them: in Blob storage, across every
/// batch and host. A step waits for them a few seconds only (<see cref="Wait"/>), never minutes: when they stay taken it
/// gives up what it took and answers that the mailbox waits, and its orchestration calls again on a durable timer, so
/// no worker is held by a wait.</remarks>
public sealed class ConcurrencyLimits(
    IConcurrencySlots slots,
    IDestinationDirectory directory,
    IOptions<ConnectorOptions> connector,
    IOptions<WorkflowOptions> workflow,
    ILogger<ConcurrencyLimits> logger)
{
    /// <summary>How long a step waits for all its slots together.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>Takes a slot of each limit the step is under, in one order (account, host, organisation).</summary>
    /// <param name="batch">The batch: its source server and destination domain.</param>
    /// <param name="sourceLogin">The login at the source.</param>
    /// <param name="writes">True for a step that copies into the destination (a chunk), false for one that only reads
    /// the source (the source check, the dry run).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The slots, given back when disposed; or, when one limit stayed full, none held and why.</returns>
    public async Task<LimitSlots> TakeAsync(BatchDefinition batch, string sourceLogin, bool writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(sourceLogin);
        var held = new List<IHeldSlot>();
        var waited = Stopwatch.StartNew();
        foreach (var limit in Limits(batch, sourceLogin, writes))
        {
            var left = Wait - waited.Elapsed;
            var slot = await slots.TryTakeAsync(limit.Kind, limit.Key, limit.Count, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
            if (slot is null)
            {
                logger.LimitFull(limit.Kind, limit.Count);
                await new LimitSlots(held, null).DisposeAsync();
                return new LimitSlots([], MailFailure.Transient(ErrorCode.SettingsConcurrencyLimitReached, limit.Busy));
            }

            held.Add(slot);
        }

        return new LimitSlots(held, null);
    }

    /// <summary>The limits a step is under, with their keys in clear (the slots store a hash) and counts; a limit set to
    /// 0 is none.</summary>
    private IEnumerable<Limit> Limits(BatchDefinition batch, string sourceLogin, bool writes)
    {
        var source = batch.Source;
        var host = source.Host.ToLowerInvariant();
        var perAccount = ServerEndpoint.Of(source).ConnectionsPerAccount ?? connector.Value.ConnectionsPerSourceAccount;
        yield return new Limit(SlotKind.SourceAccount, $"{source.Protocol}\n{host}\n{sourceLogin.ToLowerInvariant()}", perAccount,
            $"{perAccount} connections to this source account are open already, as many as MailImport opens to one account at once (its provider's limit, or MailImport__Connector__ConnectionsPerSourceAccount), counting every batch and host; the mailbox waits for one to close and goes on by itself.");
        if (workflow.Value.ConnectionsPerSourceHost is > 0 and var perHost)
        {
            yield return new Limit(SlotKind.SourceHost, host, perHost,
                $"{perHost} connections to {host} are open already, as many as MailImport__Workflow__ConnectionsPerSourceHost allows, counting every batch and host; the mailbox waits for one to close and goes on by itself.");
        }

        if (writes && workflow.Value.MailboxesPerDestinationOrganisation is > 0 and var perOrganisation)
        {
            yield return new Limit(SlotKind.DestinationOrganisation, directory.OrganisationOf(batch.Domain), perOrganisation,
                $"{perOrganisation} mailboxes are being copied into the destination organisation already, as many as MailImport__Workflow__MailboxesPerDestinationOrganisation allows, counting every batch and host; the mailbox waits for one to finish its chunk and goes on by itself.");
        }
    }

    private sealed record Limit(SlotKind Kind, string Key, int Count, string Busy);
}

/// <summary>The slots one step holds, or why it holds none.</summary>
public sealed class LimitSlots : IAsyncDisposable
{
    private readonly IReadOnlyList<IHeldSlot> held;
    private readonly CancellationTokenSource? lost;

    internal LimitSlots(IReadOnlyList<IHeldSlot> held, MailFailure? busy)
    {
        this.held = held;
        Busy = busy;
        lost = held.Count > 0 ? CancellationTokenSource.CreateLinkedTokenSource([.. held.Select(h => h.Lost)]) : null;
    }

    /// <summary>Set when a limit stayed full: <see cref="ErrorCode.SettingsConcurrencyLimitReached"/> and which limit.</summary>
    public MailFailure? Busy { get; }

    /// <summary>Cancelled when any of the slots could not be kept.</summary>
    public CancellationToken Lost => lost?.Token ?? CancellationToken.None;

    /// <summary>Gives every slot back, the last taken first.</summary>
    public async ValueTask DisposeAsync()
    {
        lost?.Dispose();
        foreach (var slot in held.Reverse())
        {
            await slot.DisposeAsync();
        }
    }
}
