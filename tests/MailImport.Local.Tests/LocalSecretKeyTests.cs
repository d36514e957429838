using MailImport.Core;
using MailImport.Infrastructure.Secrets;
using MailImport.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailImport.Local.Tests;

/// <summary>The local host with neither Key Vault nor a configured key: it makes its secret store's key at the first
/// start, in a file only its user can read, reads it at every later start, and logs where it is, never what.</summary>
public sealed class LocalSecretKeyTests(LocalServersFixture servers) : IClassFixture<LocalServersFixture>
{
    private static string NewKeyFile() =>
        Path.Combine(Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") ?? "/tmp/mailimport", "local-secret-key-tests", Guid.NewGuid().ToString("N"), "state", "secret-key");

    private Dictionary<string, string?> Settings(string keyFile, string? configuredKey = null) => WorkflowSettings.For(servers.Destination, servers.Azurite,
        ("MailImport:LocalSecretKey", configuredKey),
        ("MailImport:LocalSecretKeyFile", keyFile),
        ("MailImport:Local:Urls", "http://127.0.0.1:0"),
        ("MailImport:TaskHub", "LocalKeyFile" + Guid.NewGuid().ToString("N")[..8]),
        ("MailImport:Api:Key", "local-key-file-test"),
        ("Logging:LogLevel:Default", "Trace"));

    /// <summary>Starts the host, stores or reads through its secret store, stops it; returns every log line.</summary>
    private static async Task<List<string>> RunHostAsync(Dictionary<string, string?> settings, Func<ISecretStore, Task> use)
    {
        await using var app = LocalHost.Build([], c => c.AddInMemoryCollection(settings));
        var logs = new CapturingLoggerProvider();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        await LocalHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        await use(app.Services.GetRequiredService<ISecretStore>());
        await app.StopAsync();
        return logs.Lines.ToList();
    }

    private static void AssertNoKeyIn(IEnumerable<string> lines, byte[] key)
    {
        var forms = new[] { Convert.ToBase64String(key), Convert.ToHexString(key) };
        Assert.DoesNotContain(lines, l => forms.Any(f => l.Contains(f, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Start_WithoutAKey_MakesAKeyFileOnlyItsUserReads_AndLogsWhereItIsNotWhatItHolds()
    {
        var keyFile = NewKeyFile();

        var lines = await RunHostAsync(Settings(keyFile), store => store.SetAsync("key-file-test", new Secret("kept-with-the-file"), null, CancellationToken.None));

        var key = Convert.FromBase64String(File.ReadAllText(keyFile).Trim());
        Assert.Equal(32, key.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyFile)!));
        Assert.Contains(lines, l => l.Contains(keyFile, StringComparison.Ordinal) && l.Contains("made at this start: True", StringComparison.Ordinal));
        Assert.True(lines.Count > 5, $"{lines.Count} log lines");
        AssertNoKeyIn(lines, key);
    }

    [Fact]
    public async Task Start_Again_ReadsTheSameKey_AndWhatTheFirstStartStored()
    {
        var keyFile = NewKeyFile();
        await RunHostAsync(Settings(keyFile), store => store.SetAsync("key-file-again", new Secret("stored-at-the-first-start"), null, CancellationToken.None));
        var first = File.ReadAllText(keyFile);

        Secret? read = null;
        var lines = await RunHostAsync(Settings(keyFile), async store => read = await store.GetAsync("key-file-again", CancellationToken.None));

        Assert.Equal(first, File.ReadAllText(keyFile));
        Assert.Equal(new Secret("stored-at-the-first-start"), read);
        Assert.Contains(lines, l => l.Contains(keyFile, StringComparison.Ordinal) && l.Contains("made at this start: False", StringComparison.Ordinal));
        AssertNoKeyIn(lines, Convert.FromBase64String(first.Trim()));
    }

    [Fact]
    public async Task Start_WithAConfiguredKey_UsesIt_AndMakesNoFile()
    {
        var keyFile = NewKeyFile();
        var configured = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        await RunHostAsync(Settings(keyFile, configured), store => store.SetAsync("key-configured", new Secret("under-the-configured-key"), null, CancellationToken.None));

        Assert.False(File.Exists(keyFile));
        // Another host with the same configured key and no file reads it: the configured key is the one used.
        Secret? read = null;
        await RunHostAsync(Settings(NewKeyFile(), configured), async store => read = await store.GetAsync("key-configured", CancellationToken.None));
        Assert.Equal(new Secret("under-the-configured-key"), read);
    }

    [Fact]
    public void Build_KeyFileWithoutAKey_StopsNamingTheFile()
    {
        var keyFile = NewKeyFile();
        Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
        File.WriteAllText(keyFile, "not a key\n");

        var failure = Assert.Throws<InvalidOperationException>(() => LocalHost.Build([], c => c.AddInMemoryCollection(Settings(keyFile))));

        Assert.Contains(keyFile, failure.Message, StringComparison.Ordinal);
    }
}
