using Azure;
using Azure.Storage.Blobs.Specialized;
using MailImport.Infrastructure.Limits;
using MailImport.Mail.Sync;

namespace MailImport.Infrastructure.Storage;

/// <summary>A blob lease held by this process: renewed every third of its duration while held, released when disposed.
/// A process that dies stops renewing, and the lease lapses by itself within its duration
/// (https://learn.microsoft.com/rest/api/storageservices/lease-blob: 15 to 60 seconds, or infinite, which a crash would
/// keep for ever).</summary>
internal sealed class RenewedLease : ICursorLock, IHeldSlot
{
    private readonly BlobLeaseClient lease;
    private readonly TimeSpan duration;
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task renewing;
    private bool abandoned;

    /// <summary>Keeps <paramref name="lease"/>, acquired already for <paramref name="duration"/>.</summary>
    public RenewedLease(BlobLeaseClient lease, TimeSpan duration)
    {
        this.lease = lease;
        this.duration = duration;
        renewing = RenewAsync();
    }

    public CancellationToken Lost => lost.Token;

    /// <summary>Stops renewing without releasing, as a process that dies leaves its lease: for tests of what the
    /// others see then.</summary>
    internal async Task AbandonAsync()
    {
        abandoned = true;
        await stop.CancelAsync();
        await renewing;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await renewing;
        if (!abandoned)
        {
            try
            {
                await lease.ReleaseAsync();
            }
            catch (RequestFailedException)
            {
                // Lost already, or storage away: the lease lapses by itself.
            }
        }

        lost.Dispose();
        stop.Dispose();
    }

    private async Task RenewAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(duration / 3, stop.Token);
                await lease.RenewAsync(cancellationToken: stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released.
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or IOException or TimeoutException)
        {
            // Not renewed in time, or taken: another may hold what the lease guards now.
            await lost.CancelAsync();
        }
    }
}
