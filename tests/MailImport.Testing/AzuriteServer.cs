namespace MailImport.Testing;

/// <summary>An Azurite instance started by <c>scripts/azurite</c> on 127.0.0.1, with its own data folder.</summary>
public sealed class AzuriteServer
{
    private AzuriteServer(string directory, string connectionString)
    {
        Directory = directory;
        ConnectionString = connectionString;
    }

    /// <summary>The instance's folder (data, log).</summary>
    public string Directory { get; }

    /// <summary>The storage connection string with the endpoints spelled out.</summary>
    public string ConnectionString { get; }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<bool>> FreshThisProcess = new(StringComparer.Ordinal);

    /// <summary>Starts an instance on blob/queue/table ports portBase, +1, +2: empty the first time this process asks
    /// for it (Azurite keeps its whole blob index in one JSON file that it rewrites as it changes, so data left by
    /// earlier runs makes every write slower; a dozen runs made a 2,000-blob test stall for minutes), found running
    /// after that.</summary>
    public static AzuriteServer Start(string name, int portBase)
    {
        portBase = TestPorts.Shift(portBase);
        var directory = Path.Combine(Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") ?? "/tmp/mailimport", "azurite-" + name);
        _ = FreshThisProcess.GetOrAdd(directory, d => new Lazy<bool>(() =>
        {
            ScriptRunner.Run("azurite", "destroy", ["--dir", d]);
            return true;
        })).Value;
        ScriptRunner.Run("azurite", "start", ["--dir", directory, "--blob-port", $"{portBase}", "--queue-port", $"{portBase + 1}", "--table-port", $"{portBase + 2}"]);
        var connectionString = ScriptRunner.Run("azurite", "connection-string", ["--dir", directory]).Trim();
        return new AzuriteServer(directory, connectionString);
    }
}
