using System.Threading.RateLimiting;
using MailImport.Infrastructure.Settings;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>How many runs each caller may start: fixed windows per caller id, dry runs counted apart from real starts
/// and re-runs (https://learn.microsoft.com/dotnet/api/system.threading.ratelimiting.partitionedratelimiter).</summary>
public sealed class ApiRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> runs;
    private readonly PartitionedRateLimiter<string> dryRuns;

    /// <summary>The limits of MailImport:Api:Limits.</summary>
    public ApiRateLimits(IOptions<ApiOptions> api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var limits = api.Value.Limits;
        runs = Create(limits.RunsPerWindow, limits.Window);
        dryRuns = Create(limits.DryRunsPerWindow, limits.Window);
    }

    /// <summary>Takes one run of <paramref name="caller"/>'s allowance; null when it had one, else how long until its
    /// window ends.</summary>
    public TimeSpan? TryTake(ApiCaller caller, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(caller);
        using var lease = (dryRun ? dryRuns : runs).AttemptAcquire(caller.Id);
        return lease.IsAcquired ? null
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        runs.Dispose();
        dryRuns.Dispose();
    }

    private static PartitionedRateLimiter<string> Create(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetFixedWindowLimiter(caller, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
