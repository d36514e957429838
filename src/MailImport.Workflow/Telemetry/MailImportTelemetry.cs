using System.Diagnostics;
using MailImport.Workflow.Activities;

namespace MailImport.Workflow.Telemetry;

/// <summary>MailImport's own spans, on the ActivitySource <see cref="SourceName"/>: one per step of a mailbox, tagged
/// with the batch, the run and the credential line (ids only: never a login or a password).</summary>
/// <remarks>
/// A step's span is started inside the activity method, so its parent is whatever span the engine made current for
/// the activity: DurableTask.Core's "activity:{name}" span on the embedded engine, the worker's invocation span in the
/// Functions app. Both engines carry the W3C trace context from the HTTP call that started the run through every
/// orchestration and activity (DurableTask.Core keeps it in ExecutionStartedEvent.ParentTraceContext and
/// TaskScheduledEvent.ParentTraceContext: https://github.com/Azure/durabletask/blob/main/src/DurableTask.Core/Tracing/TraceHelper.cs),
/// so a mailbox's chunks all land in the upload's trace.
/// </remarks>
public static class MailImportTelemetry
{
    /// <summary>The ActivitySource name a host subscribes to (TracerProviderBuilder.AddSource).</summary>
    public const string SourceName = "MailImport";

    /// <summary>The batch id tag.</summary>
    public const string BatchIdTag = "mailimport.batch_id";

    /// <summary>The run id tag (also the run's orchestration instance id).</summary>
    public const string RunIdTag = "mailimport.run_id";

    /// <summary>The credential line tag: with the batch id it names the mailbox.</summary>
    public const string LineTag = "mailimport.line";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of one step of a mailbox (null when no host listens); dispose it when the step ends.</summary>
    public static Activity? StartMailboxStep(string step, MailboxStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Source.HasListeners()
            ? Source.StartActivity(step, ActivityKind.Internal, parentContext: default, tags:
            [
                new(BatchIdTag, input.BatchId),
                new(RunIdTag, input.RunId),
                new(LineTag, input.Entry.Line),
            ])
            : null;
    }
}
