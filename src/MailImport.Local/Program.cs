using MailImport.Local;

if (SecretCommand.IsCommand(args))
{
    return await SecretCommand.RunAsync(args, Console.In, Console.Out);
}

var app = LocalHost.Build(args);
await LocalHost.PrepareAsync(app, CancellationToken.None);
await app.RunAsync();
return 0;
