using MailImport.Functions;
using MailImport.Workflow;
using MailImport.Workflow.Orchestrations;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The Functions app: the workflow's services come from MailImport.Workflow, as in the local host.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddMailImportWorkflow();
// Activities' classified failures reach the orchestrations as TaskFailureDetails properties: the Durable extension's
// DurableFunctionExecutor takes this provider from the container.
builder.Services.AddSingleton<IExceptionPropertiesProvider, FailureBoundary>();
builder.AddFunctionsTelemetry();
builder.Build().Run();
