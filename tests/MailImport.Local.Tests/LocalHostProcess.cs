using System.Diagnostics;

namespace MailImport.Local.Tests;

/// <summary>The local host run as its own process (`dotnet MailImport.Local.dll`), as scripts/local-host runs it, so a
/// test can kill it. Its console is kept, the last lines of every start, so a failing test can show what the host said.</summary>
public sealed class LocalHostProcess : IDisposable
{
    /// <summary>How many of the newest console lines are kept over all starts.</summary>
    private const int KeptLines = 400;

    private readonly Queue<string> lines = new();
    private readonly IReadOnlyList<(string Name, string Value)> settings;
    private readonly Action<string>? onLine;
    private Process? process;
    private TaskCompletionSource ready = NewReady();
    private int starts;

    /// <param name="settings">The host's settings, by their configuration names; they reach it as environment variables.</param>
    /// <param name="onLine">Sees every line of standard output as it comes, beyond the kept ones.</param>
    public LocalHostProcess(IEnumerable<(string Name, string Value)> settings, Action<string>? onLine = null)
    {
        this.settings = settings.ToList();
        this.onLine = onLine;
    }

    /// <summary>Starts the host; a running one is killed first.</summary>
    public void Start()
    {
        Kill();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MailImport.Local.dll"));
        foreach (var (name, value) in settings)
        {
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var started = Process.Start(start)!;
        var generation = ++starts;
        var signal = ready = NewReady();
        Keep(generation, $"--- start {generation} (pid {started.Id}) at {DateTime.UtcNow:HH:mm:ss.fff} ---");
        started.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Keep(generation, e.Data);
            onLine?.Invoke(e.Data);
            // LocalHost prints this line from ApplicationStarted: the engine and every hosted service have started and
            // Kestrel listens (https://learn.microsoft.com/aspnet/core/fundamentals/host/generic-host#ihostapplicationlifetime).
            if (e.Data.StartsWith("MailImport local host on ", StringComparison.Ordinal))
            {
                signal.TrySetResult();
            }
        };
        started.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Keep(generation, "stderr: " + e.Data);
            }
        };
        started.EnableRaisingEvents = true;
        started.Exited += (_, _) => signal.TrySetException(new InvalidOperationException($"the host exited with code {SafeExitCode(started)} before it was ready\n{Output()}"));
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
    }

    /// <summary>Waits for the host's own readiness line. Fails with the host's output if it exits first, or if it
    /// has said nothing of the kind in <paramref name="limit"/>, which is only a guard against a hung host.</summary>
    public async Task WaitReadyAsync(TimeSpan limit)
    {
        try
        {
            await ready.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the host printed no readiness line in {limit.TotalSeconds:0} s\n{Output()}");
        }
    }

    /// <summary>Kills the host (SIGKILL, the whole process tree) and waits until it is gone.</summary>
    public void Kill()
    {
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        process.Dispose();
        process = null;
    }

    /// <summary>The kept console lines, oldest first, each start marked.</summary>
    public string Output()
    {
        lock (lines)
        {
            return string.Join("\n", lines);
        }
    }

    public void Dispose() => Kill();

    private void Keep(int generation, string line)
    {
        lock (lines)
        {
            lines.Enqueue($"[{generation}] {line}");
            while (lines.Count > KeptLines)
            {
                lines.Dequeue();
            }
        }
    }

    private static int? SafeExitCode(Process exited)
    {
        try
        {
            return exited.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static TaskCompletionSource NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
