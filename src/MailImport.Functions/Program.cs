using MailImport.Functions;
using Microsoft.Extensions.Hosting;

FunctionsHost.Build(args).Run();
