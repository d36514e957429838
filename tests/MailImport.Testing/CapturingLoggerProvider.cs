using Microsoft.Extensions.Logging;

namespace MailImport.Testing;

/// <summary>One captured log line: its event, its text, and the scopes it was written under (outermost first).</summary>
public sealed record CapturedLine(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<string> Scopes);

/// <summary>Keeps every log line, at every level, with its structured values and scopes, for the canary scans and the
/// checks of what the activities log.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    /// <summary>Each line as text: category, level, message, structured state, exception, and its scopes.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Each line as a record.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<CapturedLine> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

    /// <summary>The logger factory hands its scope provider over, so scopes begun on any logger are seen here.</summary>
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Capturing(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            owner.scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
            var message = formatter(state, exception);
            owner.Entries.Enqueue(new CapturedLine(category, logLevel, eventId, message, scopes));
            owner.Lines.Enqueue($"{category} {logLevel} {message} {state} {exception} {string.Join(" => ", scopes)}");
        }
    }
}
