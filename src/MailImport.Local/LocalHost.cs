using System.Security.Cryptography;
using MailImport.Infrastructure.Secrets;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Workflow;
using MailImport.Workflow.Api;
using MailImport.Workflow.Hosting;
using Microsoft.Extensions.Options;

namespace MailImport.Local;

/// <summary>Builds the local host: the HTTP API and the import page (at /) on Kestrel bound to 127.0.0.1, and the
/// embedded engine on Azurite.</summary>
public static class LocalHost
{
    /// <summary>The host, configured from appsettings, environment and arguments with the Functions app's setting names.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">More configuration sources, over the default ones.</param>
    /// <param name="services">Registrations after the host's own, which they replace (the scale benchmark's
    /// in-process mail engine); the product's host passes none.</param>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder.Configuration);
        // Local means local: never listen beyond the loopback address.
        builder.WebHost.UseUrls(builder.Configuration["MailImport:Local:Urls"] ?? "http://127.0.0.1:7071");
        var secretKeyFile = PrepareLocalSecretKey(builder.Configuration);
        var generatedKey = string.IsNullOrEmpty(builder.Configuration["MailImport:Api:Key"]);
        if (generatedKey)
        {
            builder.Configuration["MailImport:Api:Key"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }

        builder.AddLocalTelemetry();
        // A service that cannot be built stops the host here, not the first request or activity that needs it
        // (https://learn.microsoft.com/dotnet/core/extensions/dependency-injection#scope-validation).
        builder.Host.UseDefaultServiceProvider(options =>
        {
            options.ValidateScopes = true;
            options.ValidateOnBuild = true;
        });
        builder.Services.AddLocalHostServices();
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapImportApi();
        app.MapImportPage();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var key = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Key;
            Console.WriteLine(StartedLine(app.Urls, key, generatedKey));
            if (secretKeyFile is { } file)
            {
                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LocalHost));
                Log.LocalSecretKeyFile(logger, file.Path, file.Created);
            }
        });
        return app;
    }

    /// <summary>The line the host prints once it listens. A key it made up itself is shown, since nobody else knows it;
    /// a configured one is not: whoever configured it has it, and a host started in the background (scripts/local-host)
    /// has its console in a log file.</summary>
    public static string StartedLine(IEnumerable<string> urls, string key, bool generatedKey) =>
        $"MailImport local host on {string.Join(", ", urls)}; " +
        (generatedKey ? $"API key (made up for this run; set MailImport__Api__Key to choose one): {key}" : "API key: the one configured in MailImport__Api__Key");

    /// <summary>Where the local host keeps its state when nothing else is said: the directory scripts/local-host uses.</summary>
    public static string DefaultStateDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("MAILIMPORT_RUN_DIR") is { Length: > 0 } runDirectory ? runDirectory : "/tmp/mailimport", "local-host");

    /// <summary>With neither a vault nor a key configured, the secret store's key is the host's own: made at the first
    /// start in MailImport:LocalSecretKeyFile (by default secret-key in <see cref="DefaultStateDirectory"/>) and read
    /// from there at every later one. Null when a vault or a key is configured.</summary>
    private static (string Path, bool Created)? PrepareLocalSecretKey(ConfigurationManager configuration)
    {
        if (!string.IsNullOrEmpty(configuration["MailImport:KeyVaultUri"]) || !string.IsNullOrEmpty(configuration["MailImport:LocalSecretKey"]))
        {
            return null;
        }

        var path = configuration["MailImport:LocalSecretKeyFile"];
        if (string.IsNullOrEmpty(path))
        {
            path = Path.Combine(DefaultStateDirectory, "secret-key");
            configuration["MailImport:LocalSecretKeyFile"] = path;
        }

        // Made (or checked) now, so a file that holds no key stops the start here, naming the file.
        var (key, created) = LocalSecretKeyFile.ReadOrCreate(path);
        CryptographicOperations.ZeroMemory(key);
        return (Path.GetFullPath(path), created);
    }

    /// <summary>The local host's services: the workflow's, the HTTP API's over the embedded engine, and the schedule
    /// timer.</summary>
    public static IServiceCollection AddLocalHostServices(this IServiceCollection services)
    {
        services.AddMailImportWorkflow().AddMailImportApi();
        services.AddValidatedOptions<LocalEngineOptions>(LocalEngineOptions.SectionName);
        services.AddSingleton<LocalEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalEngine>());
        services.AddSingleton<IWorkflowEngine>(sp => sp.GetRequiredService<LocalEngine>().Engine);
        services.AddHostedService<ScheduleTimer>();
        return services;
    }

    /// <summary>Creates the storage containers before the API takes requests.</summary>
    public static Task PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<BatchStorage>().EnsureContainersAsync(cancellationToken);
    }
}
