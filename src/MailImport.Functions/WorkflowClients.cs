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
        // A handler that starts or ends runs takes the one run starter, built over the same engine; each gets only
        // what its constructor takes.
        var takes = typeof(T).GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.ParameterType).ToHashSet();
        var given = new List<object>();
        if (takes.Contains(typeof(IWorkflowEngine)))
        {
            given.Add(engine);
        }

        if (takes.Contains(typeof(BatchRuns)))
        {
            given.Add(ActivatorUtilities.CreateInstance<BatchRuns>(services, engine));
        }

        return ActivatorUtilities.CreateInstance<T>(services, [.. given]);
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
