using MailImport.Bench;

// The benchmarks' tool, run by scripts/bench: "seed" writes the corpus, "copy" runs the engine, "cursor" and
// "cursor-noop" measure the cursor at a mailbox's scale, "cursor-size" a copy's cursor,
// the "scale-*" commands are the orchestration scale benchmark's host, seeding, status poll, history read and import page watch (see Usage).
try
{
    return args switch
    {
        _ when args.Any(a => a is "--help" or "-h") => Usage.Print(Console.Out, 0),
        ["seed", .. var rest] => await SeedCommand.RunAsync(new CommandLine(rest, SeedCommand.Flags)),
        ["copy", .. var rest] => await CopyCommand.RunAsync(new CommandLine(rest, CopyCommand.Flags)),
        ["cursor", .. var rest] => await CursorCommand.RunAsync(new CommandLine(rest, CursorCommand.Flags)),
        ["cursor-size", .. var rest] => await CursorCommand.SizeAsync(new CommandLine(rest, CursorCommand.Flags)),
        ["cursor-noop", .. var rest] => await CursorCommand.NoopAsync(new CommandLine(rest, CursorCommand.Flags)),
        ["scale-seed", .. var rest] => await ScaleCommand.SeedAsync(new CommandLine(rest, ScaleCommand.Flags)),
        ["scale-poll", .. var rest] => await ScaleCommand.PollAsync(new CommandLine(rest, ScaleCommand.Flags)),
        ["scale-host", .. var rest] => await ScaleHost.RunAsync(new CommandLine(rest, ScaleHost.Flags)),
        ["scale-history", .. var rest] => await ScaleCommand.HistoryAsync(new CommandLine(rest, ScaleCommand.Flags)),
        ["scale-page", .. var rest] => await PageWatchCommand.WatchAsync(new CommandLine(rest, PageWatchCommand.Flags)),
        ["help"] => Usage.Print(Console.Out, 0),
        _ => Usage.Print(Console.Error, 64),
    };
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"MailImport.Bench: {e.Message} (--help for usage)");
    return 64;
}
