using System.Text.RegularExpressions;
using MailImport.Core;
using MailImport.Infrastructure.Secrets;
using Microsoft.Extensions.Options;

namespace MailImport.Local;

/// <summary><c>MailImport.Local secret set NAME</c>: stores the first line of standard input as a secret in the
/// secret store the host itself uses (Key Vault when MailImport:KeyVaultUri is set, else the encrypted blobs on
/// Azure Storage), with the host's settings and their validation. This is how an admin gives the local host the
/// Yandex 360 OAuth token or the service application's secret without a password manager or the Azure portal.</summary>
/// <remarks>The value comes from standard input only: a command line is readable by every user through
/// <c>ps</c> and /proc/PID/cmdline, and a process's environment by its owner through /proc/PID/environ
/// (https://man7.org/linux/man-pages/man5/proc.5.html).</remarks>
public static partial class SecretCommand
{
    /// <summary>The usage line the command prints when its arguments are wrong.</summary>
    public const string Usage = "usage: MailImport.Local secret set NAME [host settings as --Key=Value ...] < value (its first line)";

    /// <summary>Whether <paramref name="args"/> ask for this command rather than for the host.</summary>
    public static bool IsCommand(string[] args) => args is ["secret", ..];

    /// <summary>Runs the command; returns the process's exit status (0 stored, 64 bad arguments or input, 78 settings
    /// the host would refuse too, as sysexits.h numbers them).</summary>
    /// <param name="args">"secret", "set", the name, then what the host takes as command-line settings.</param>
    /// <param name="input">Where the value is read from (its first line).</param>
    /// <param name="output">Where the outcome goes (never the value).</param>
    /// <param name="configure">Adds configuration sources after the host's own, as tests do.</param>
    /// <param name="cancellationToken">Cancels the store's call.</param>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, Action<IConfigurationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (args is not ["secret", "set", var name, .. var settings] || settings.Any(s => !s.StartsWith("--", StringComparison.Ordinal)))
        {
            await output.WriteLineAsync(Usage);
            return 64;
        }

        if (!SecretName().IsMatch(name))
        {
            // Key Vault's rule, the stricter of the two stores (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers).
            await output.WriteLineAsync($"secret: the name '{name}' is not 1 to 127 letters, digits and '-'");
            return 64;
        }

        var line = await input.ReadLineAsync(cancellationToken);
        if (string.IsNullOrEmpty(line))
        {
            await output.WriteLineAsync($"secret: no value on standard input for {name} (its first line is the value)");
            return 64;
        }

        var value = new Secret(line);
        // The host's own composition: its settings sources, their validation at start, and its ISecretStore.
        await using var app = LocalHost.Build(settings, configure);
        ISecretStore store;
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            store = app.Services.GetRequiredService<ISecretStore>();
        }
        catch (Exception e) when (e is OptionsValidationException or AggregateException)
        {
            // Several invalid sections come as one AggregateException of OptionsValidationExceptions.
            await output.WriteLineAsync($"secret: the host's settings are not valid: {e.Message}");
            return 78;
        }

        await store.SetAsync(name, value, expiresOn: null, cancellationToken);
        await output.WriteLineAsync($"secret: stored {name} ({value.Length} characters) in the {StoreName(store)}");
        return 0;
    }

    private static string StoreName(ISecretStore store) => store switch
    {
        KeyVaultSecretStore => "Key Vault",
        EncryptedBlobSecretStore => "local encrypted secret store",
        _ => store.GetType().Name,
    };

    [GeneratedRegex("^[0-9A-Za-z-]{1,127}$")]
    private static partial Regex SecretName();
}
