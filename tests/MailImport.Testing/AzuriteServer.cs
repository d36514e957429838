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

    /// <summary>Starts (or finds running) an instance on blob/queue/table ports portBase, +1, +2.</summary>
    public static AzuriteServer Start(string name, int portBase)
    {
        portBase = TestPorts.Shift(portBase);
        var directory = Path.Combine(Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") ?? "/tmp/mailimport", "azurite-" + name);
        ScriptRunner.Run("azurite", "start", ["--dir", directory, "--blob-port", $"{portBase}", "--queue-port", $"{portBase + 1}", "--table-port", $"{portBase + 2}"]);
        var connectionString = ScriptRunner.Run("azurite", "connection-string", ["--dir", directory]).Trim();
        return new AzuriteServer(directory, connectionString);
    }
}
