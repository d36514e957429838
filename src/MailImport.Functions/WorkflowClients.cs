using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace MailImport.Functions;

/// <summary>Builds a workflow class that needs an <see cref="IWorkflowEngine"/> over the invocation's Durable client.</summary>
internal static class WorkflowClients
{
    public static T Create<T>(IServiceProvider services, DurableTaskClient client)
    {
        var engine = new DurableTaskClientEngine(client);
        // A handler that starts runs takes the one run starter, built over the same engine.
        var startsRuns = typeof(T).GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(BatchRuns)));
        return startsRuns
            ? ActivatorUtilities.CreateInstance<T>(services, engine, ActivatorUtilities.CreateInstance<BatchRuns>(services, engine))
            : ActivatorUtilities.CreateInstance<T>(services, engine);
    }
}

/// <summary>A shared handler's minimal-API result, executed as the Functions HTTP integration expects an action
/// result to be.</summary>
internal sealed class HandlerResult(IResult result) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return result.ExecuteAsync(context.HttpContext);
    }
}
