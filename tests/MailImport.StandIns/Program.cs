using MailImport.StandIns.Yandex360;

if (args is ["yandex360", .. var rest])
{
    return await Yandex360StandInProcess.RunAsync(rest, Console.Out);
}

await Console.Error.WriteLineAsync(Yandex360StandInProcess.Usage);
return 64;
