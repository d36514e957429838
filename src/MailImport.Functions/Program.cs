using MailImport.Functions;
using MailImport.Workflow;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Functions app: the workflow's services come from MailImport.Workflow, as in the local host.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddMailImportWorkflow();
builder.AddFunctionsTelemetry();
builder.Build().Run();
