using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.ExceptionServices;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;

namespace MailImport.Workflow.Orchestrations;

/// <summary>Where a classified failure crosses from an activity to its orchestration: the one place that sorts a
/// <see cref="MailFailure"/> into data or a retry, and the <see cref="TaskFailureDetails.Properties"/> that carry a
/// retry's code and hinted delay to <see cref="Retrying"/>.</summary>
/// <remarks>
/// A permanent failure is returned as the activity's result, so one bad mailbox never fails the fan-in; a transient
/// one is thrown, because only a thrown failure reaches the orchestration as a <see cref="TaskFailedException"/> that
/// a retry loop can see (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-error-handling).
/// Both hosts register this class as the worker's <see cref="IExceptionPropertiesProvider"/>: the embedded engine
/// through <c>TaskHubWorker.ExceptionPropertiesProvider</c>, the Functions app through dependency injection, where
/// Microsoft.Azure.Functions.Worker.Extensions.DurableTask's <c>DurableFunctionExecutor</c> takes it.
/// </remarks>
public sealed class FailureBoundary : IExceptionPropertiesProvider
{
    /// <summary>The failure's catalogue code, by name (names never change; see ErrorCatalog).</summary>
    public const string CodeProperty = "MailImport.Code";

    /// <summary>True when a retry may cure the failure.</summary>
    public const string TransientProperty = "MailImport.Transient";

    /// <summary>The delay the server hinted at, in whole seconds; absent when it hinted none.</summary>
    public const string RetryAfterProperty = "MailImport.RetryAfterSeconds";

    /// <summary>Sorts a classified failure: a permanent one comes back to be the step's data (it is reported and the
    /// mailbox or run ends); a transient one is thrown as <see cref="MailFailureException"/> for <see cref="Retrying"/>
    /// to back off and call again.</summary>
    /// <param name="failure">The classified failure.</param>
    /// <param name="cause">What the failure was classified from; a <see cref="MailFailureException"/> carrying this
    /// very failure is rethrown as it is, with its stack.</param>
    public static MailFailure AsData(MailFailure failure, Exception? cause = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (!failure.IsTransient)
        {
            return failure;
        }

        if (cause is MailFailureException carried && ReferenceEquals(carried.Failure, failure))
        {
            ExceptionDispatchInfo.Throw(carried);
        }

        throw new MailFailureException(failure, cause);
    }

    /// <inheritdoc/>
    public IDictionary<string, object?>? GetExceptionProperties(Exception exception) =>
        exception is MailFailureException { Failure: var failure } ? ToProperties(failure) : null;

    /// <summary>The properties that carry <paramref name="failure"/>'s code, transience and hinted delay; its text is
    /// the exception's message, which every host keeps as <see cref="TaskFailureDetails.ErrorMessage"/>.</summary>
    public static IDictionary<string, object?> ToProperties(MailFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [CodeProperty] = failure.Code.ToString(),
            [TransientProperty] = failure.IsTransient,
        };

        if (failure.RetryAfter is { } hinted)
        {
            // Whole seconds, as the retry loop has always waited them. A long, because every host keeps a number: the
            // Functions path turns it into a protobuf double, Azure Storage's history into a JSON integer.
            properties[RetryAfterProperty] = (long)hinted.TotalSeconds;
        }

        return properties;
    }

    /// <summary>Reads back a transient failure an activity threw; false for anything else (a bug, not a server).</summary>
    /// <param name="details">The failure as the orchestration received it.</param>
    /// <param name="failure">The failure: its code, the activity's message, and the hinted delay.</param>
    public static bool TryGetRetry(TaskFailureDetails? details, [NotNullWhen(true)] out MailFailure? failure)
    {
        failure = null;
        if (details?.Properties is not { } properties
            || !properties.TryGetValue(TransientProperty, out var transient) || transient is not true
            || !properties.TryGetValue(CodeProperty, out var name) || name is not string codeName
            || !Enum.TryParse<ErrorCode>(codeName, ignoreCase: false, out var code) || !Enum.IsDefined(code))
        {
            return false;
        }

        TimeSpan? retryAfter = properties.TryGetValue(RetryAfterProperty, out var seconds) && seconds is IConvertible number
            ? TimeSpan.FromSeconds(Convert.ToInt64(number, CultureInfo.InvariantCulture))
            : null;
        failure = MailFailure.Transient(code, details.ErrorMessage, retryAfter);
        return true;
    }
}
