using MailImport.Mail.Errors;
using MailImport.Workflow.Activities;
using Microsoft.Extensions.Logging;

namespace MailImport.Workflow.Telemetry;

/// <summary>How an activity logs: a scope naming its batch, run and credential line, so that every line written while
/// it runs says which mailbox it is about (the copy engine's chunk lines too), and one line when the step throws.
/// The success and data-failure lines are the activities' own (<see cref="Log"/>).</summary>
/// <remarks>Scopes are the logging abstraction's way of adding properties to all lines of a unit of work; the console
/// formatter prints them with IncludeScopes and OpenTelemetry exports them as attributes of each log record
/// (https://learn.microsoft.com/dotnet/core/extensions/logging#log-scopes). Ids only: never a login or a password.</remarks>
public static class StepLogging
{
    private static readonly Func<ILogger, string, string, int, IDisposable?> MailboxScope =
        LoggerMessage.DefineScope<string, string, int>("Batch {BatchId} run {RunId} line {Line}");

    private static readonly Func<ILogger, string, string, IDisposable?> RunScope =
        LoggerMessage.DefineScope<string, string>("Batch {BatchId} run {RunId}");

    private static readonly Func<ILogger, string, IDisposable?> BatchScope =
        LoggerMessage.DefineScope<string>("Batch {BatchId}");

    /// <summary>The scope of one step of one mailbox.</summary>
    public static IDisposable? BeginMailboxScope(this ILogger logger, MailboxStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return MailboxScope(logger, input.BatchId, input.RunId, input.Entry.Line);
    }

    /// <summary>The scope of a step of a whole run.</summary>
    public static IDisposable? BeginRunScope(this ILogger logger, string batchId, string runId) => RunScope(logger, batchId, runId);

    /// <summary>The scope of a step of a batch outside any one run (ingestion, closing).</summary>
    public static IDisposable? BeginBatchScope(this ILogger logger, string batchId) => BatchScope(logger, batchId);

    /// <summary>Runs one mailbox step under its span and scope; a step that throws gets its line before the engine sees
    /// the exception (a classified failure by its code, anything else by its type: exception texts can quote a server).</summary>
    public static async Task<T> RunMailboxStepAsync<T>(this ILogger logger, string step, MailboxStepInput input, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var span = MailImportTelemetry.StartMailboxStep(step, input);
        using var scope = logger.BeginMailboxScope(input);
        try
        {
            return await body();
        }
        catch (MailFailureException e)
        {
            logger.StepThrewFailure(step, e.Failure.Code, e.Failure.IsTransient);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.StepThrew(step, e.GetType().Name);
            throw;
        }
    }
}
