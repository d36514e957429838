using MailImport.Mail.Errors;

namespace MailImport.Mail.Sync;

/// <summary>Runs one call to a server and turns what it throws into a <see cref="MailFailureException"/>, classified
/// once for the side it came from. A failure already classified, and cancellation, pass through untouched.</summary>
internal static class Classified
{
    /// <summary>A call to the source server.</summary>
    public static Task<T> OnSource<T>(Func<Task<T>> action) => RunAsync(action, MailSide.Source);

    /// <summary>A call to the source server.</summary>
    public static Task OnSource(Func<Task> action) => RunAsync(async () => { await action(); return true; }, MailSide.Source);

    /// <summary>A call to the destination server.</summary>
    public static Task<T> OnDestination<T>(Func<Task<T>> action) => RunAsync(action, MailSide.Destination);

    private static async Task<T> RunAsync<T>(Func<Task<T>> action, MailSide side)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is not (MailFailureException or OperationCanceledException))
        {
            throw new MailFailureException(MailErrorClassifier.Classify(e, side), e);
        }
    }
}
