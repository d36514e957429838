using System.Reflection;
using System.Runtime.Loader;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Testing;
using MailImport.Workflow.Orchestrations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using P = Microsoft.DurableTask.Protobuf;

namespace MailImport.Functions.Tests;

/// <summary>A transient failure thrown by an activity of the Functions app reaches the orchestration with its code and
/// hinted delay, through the very code of the pinned Durable extension: the worker's serialiser, the host's parser
/// and converter (the host extension the Functions SDK ships in the app's .azurefunctions folder), and the worker's
/// orchestration runner.</summary>
/// <remarks>
/// The Functions host itself cannot run here; between the host's two conversions it keeps the failure in its task
/// hub's history, which is the Azure Storage history the embedded engine's tests go through.
/// </remarks>
public class FailurePropertiesTests
{
    private static readonly MailFailure Throttled = MailFailure.Transient(ErrorCode.SourceThrottled, "Too many simultaneous connections.", TimeSpan.FromSeconds(42));

    [Fact]
    public void ActivityFailure_ThroughWorkerSerialiserAndHostParser_KeepsCodeAndHint()
    {
        var details = ThroughHost(WorkerFailureText(new MailFailureException(Throttled)));

        Assert.True(FailureBoundary.TryGetRetry(ToTaskFailureDetails(details), out var failure));
        Assert.Equal(Throttled, failure);
    }

    [Fact]
    public void OrchestrationReplay_OfThatFailure_RetriesAfterTheHintedDelay()
    {
        var details = ThroughHost(WorkerFailureText(new MailFailureException(Throttled)));
        var started = new DateTime(2026, 12, 2, 8, 0, 0, DateTimeKind.Utc);
        var failedAt = started.AddSeconds(3);
        var request = new P.OrchestratorRequest { InstanceId = "run-1" };
        request.PastEvents.Add(Event(0, started, e => e.OrchestratorStarted = new P.OrchestratorStartedEvent()));
        request.PastEvents.Add(Event(-1, started, e => e.ExecutionStarted = new P.ExecutionStartedEvent
        {
            Name = WorkflowNames.ImportMailbox,
            OrchestrationInstance = new P.OrchestrationInstance { InstanceId = "run-1", ExecutionId = "e1" },
            Input = "\"chunk\"",
        }));
        request.PastEvents.Add(Event(0, started, e => e.TaskScheduled = new P.TaskScheduledEvent { Name = WorkflowNames.CopyChunk, Input = "\"chunk\"" }));
        request.NewEvents.Add(Event(-1, failedAt, e => e.OrchestratorStarted = new P.OrchestratorStartedEvent()));
        request.NewEvents.Add(Event(-1, failedAt, e => e.TaskFailed = new P.TaskFailedEvent { TaskScheduledId = 0, FailureDetails = details }));

        // The worker's runner, as DurableFunctionExecutor calls it for an orchestration trigger.
        var encoded = GrpcOrchestrationRunner.LoadAndRun<string, string>(request.ToByteString().ToBase64(), async (context, input) =>
        {
            var (_, problem) = await Retrying.CallAsync<string>(context, WorkflowNames.CopyChunk, input!, firstDelaySeconds: 1);
            return problem?.Code.ToString();
        });

        // Retried, not reported: the next action is the backoff timer, as long as the server asked for (not the 1 s
        // first backoff), counted from the moment the failure arrived.
        var response = P.OrchestratorResponse.Parser.ParseFrom(ByteString.FromBase64(encoded));
        var timer = Assert.Single(response.Actions, a => a.CreateTimer is not null).CreateTimer;
        Assert.Equal(failedAt + Throttled.RetryAfter!.Value, timer.FireAt.ToDateTime());
        Assert.DoesNotContain(response.Actions, a => a.CompleteOrchestration is not null);
    }

    [Fact]
    public void BugInAnActivity_ThroughTheSameCode_CarriesNoRetry()
    {
        var details = ThroughHost(WorkerFailureText(new InvalidOperationException("Batch b1 has no record.")));

        Assert.Empty(details.Properties);
        Assert.False(FailureBoundary.TryGetRetry(ToTaskFailureDetails(details), out _));
    }

    [Fact]
    public void DurableFunctionExecutor_TakesAnExceptionPropertiesProviderFromTheContainer()
    {
        // Program.cs registers FailureBoundary as this service; the executor that runs every activity trigger takes it.
        var executor = typeof(Microsoft.Azure.Functions.Worker.ActivityTriggerAttribute).Assembly
            .GetType("Microsoft.Azure.Functions.Worker.Extensions.DurableTask.Execution.DurableFunctionExecutor", throwOnError: true)!;

        Assert.Contains(executor.GetConstructors().SelectMany(c => c.GetParameters()), p => p.ParameterType == typeof(IExceptionPropertiesProvider));
    }

    /// <summary>What the worker answers the host for an activity that threw: Microsoft.Azure.Functions.Worker.Extensions.
    /// DurableTask's DurableFunctionExecutor wraps the exception in its internal DurableSerializationException (the
    /// failure details as protobuf JSON, properties from the registered provider), and the worker's InvocationHandler
    /// sends that exception's ToString() as the RPC exception's message.</summary>
    private static string WorkerFailureText(Exception thrown)
    {
        try
        {
            throw thrown;
        }
        catch (Exception e)
        {
            var type = typeof(Microsoft.Azure.Functions.Worker.ActivityTriggerAttribute).Assembly
                .GetType("Microsoft.Azure.Functions.Worker.Extensions.DurableTask.Exceptions.DurableSerializationException", throwOnError: true)!;
            var wrapped = (Exception)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.NonPublic, null, [e, new FailureBoundary()], null)!;
            return wrapped.ToString();
        }
    }

    /// <summary>What the Functions host extension makes of that message: OutOfProcMiddleware.GetFailureDetails turns the
    /// host's "Result: … Exception: … Stack: …" text back into DurableTask.Core's FailureDetails, and ProtobufUtils
    /// turns those into the TaskFailedEvent the worker's orchestration replays.</summary>
    private static P.TaskFailureDetails ThroughHost(string workerText)
    {
        var host = HostExtension.Value;
        var parse = host.GetType("Microsoft.Azure.WebJobs.Extensions.DurableTask.OutOfProcMiddleware", throwOnError: true)!
            .GetMethod("GetFailureDetails", BindingFlags.Static | BindingFlags.NonPublic, [typeof(Exception), typeof(bool).MakeByRefType()])!;
        var toProto = host.GetType("Microsoft.Azure.WebJobs.Extensions.DurableTask.ProtobufUtils", throwOnError: true)!
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Single(m => m.Name == "GetFailureDetails" && m.GetParameters().Single().ParameterType.Name == "FailureDetails");

        // Stand-ins for the host's FunctionInvocationException and the RpcException inside it, whose message has this
        // format (Azure/azure-functions-host, Workers/Rpc/RpcException.cs); the middleware reads only the messages.
        var invocation = new InvalidOperationException("Exception while executing function: Functions.CopyChunk",
            new InvalidOperationException($"Result: Failure\nException: {workerText}\nStack: at MailImport.Workflow.Activities.MailboxSteps.CopyChunkAsync()"));
        object?[] arguments = [invocation, false];
        var coreDetails = parse.Invoke(null, arguments)!;
        Assert.True((bool)arguments[1]!, "the host did not read the worker's serialised failure details");

        var proto = toProto.Invoke(null, [coreDetails])!;
        var hostProtobuf = AssemblyLoadContext.GetLoadContext(host)!.Assemblies.Single(a => a.GetName().Name == "Google.Protobuf");
        var toBytes = hostProtobuf.GetType("Google.Protobuf.MessageExtensions", throwOnError: true)!.GetMethods()
            .Single(m => m.Name == "ToByteArray" && m.GetParameters().Length == 1);
        return P.TaskFailureDetails.Parser.ParseFrom((byte[])toBytes.Invoke(null, [proto])!);
    }

    private static readonly Lazy<Assembly> HostExtension = new(() =>
    {
        // The host extension the Functions SDK restored for this app's Durable worker extension, loaded apart from the
        // test's own DurableTask.Core and Google.Protobuf, as the Functions host loads it.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var folder = Path.Combine(RepositoryPaths.Root, "src", "MailImport.Functions", "bin", configuration, "net10.0", ".azurefunctions");
        return new HostLoadContext(folder).LoadFromAssemblyPath(Path.Combine(folder, "Microsoft.Azure.WebJobs.Extensions.DurableTask.dll"));
    });

    private static TaskFailureDetails ToTaskFailureDetails(P.TaskFailureDetails details) =>
        new(details.ErrorType, details.ErrorMessage, details.StackTrace, null,
            details.Properties.ToDictionary(p => p.Key, p => p.Value.KindCase switch
            {
                Value.KindOneofCase.StringValue => (object?)p.Value.StringValue,
                Value.KindOneofCase.BoolValue => p.Value.BoolValue,
                Value.KindOneofCase.NumberValue => p.Value.NumberValue,
                _ => null,
            }));

    private static P.HistoryEvent Event(int id, DateTime at, Action<P.HistoryEvent> set)
    {
        var e = new P.HistoryEvent { EventId = id, Timestamp = Timestamp.FromDateTime(at) };
        set(e);
        return e;
    }

    private sealed class HostLoadContext(string folder) : AssemblyLoadContext(isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var path = Path.Combine(folder, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
