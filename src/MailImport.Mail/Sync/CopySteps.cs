using MailKit;

namespace MailImport.Mail.Sync;

/// <summary>Reports each <see cref="CopyStep"/> a chunk reaches to a test's hook, which throws there to simulate a
/// crash; without a hook every step is free.</summary>
internal sealed class CopySteps(Func<CopyStep, ValueTask>? hook)
{
    /// <summary>The chunk reached <paramref name="step"/>.</summary>
    public ValueTask ReachedAsync(CopyStep step) => hook?.Invoke(step) ?? ValueTask.CompletedTask;

    /// <summary>Progress for an APPEND that reports <see cref="CopyStep.Appending"/> halfway; null without a hook.</summary>
    public ITransferProgress? AppendProgress() => hook is null ? null : new HalfwayProgress(this);

    /// <summary>Reports <see cref="CopyStep.Appending"/> once half of an APPEND's bytes are written, to interrupt it mid-literal.</summary>
    private sealed class HalfwayProgress(CopySteps steps) : ITransferProgress
    {
        private bool fired;

        public void Report(long bytesTransferred, long totalSize)
        {
            if (!fired && bytesTransferred * 2 >= totalSize)
            {
                fired = true;
                steps.ReachedAsync(CopyStep.Appending).AsTask().GetAwaiter().GetResult();
            }
        }

        public void Report(long bytesTransferred)
        {
        }
    }
}
