using MailImport.Local;

var app = LocalHost.Build(args);
await LocalHost.PrepareAsync(app, CancellationToken.None);
await app.RunAsync();
