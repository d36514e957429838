using System.Collections.Concurrent;

namespace MailImport.Testing.Faults;

/// <summary>Which way bytes travel through a <see cref="FaultProxy"/>.</summary>
public enum Direction
{
    /// <summary>From the engine to the server (commands, APPEND literals).</summary>
    ClientToServer,
    /// <summary>From the server to the engine (greeting, responses, FETCH literals).</summary>
    ServerToClient,
}

/// <summary>The kinds of fault a <see cref="FaultProxy"/> injects; each is counted.</summary>
public enum FaultKind
{
    /// <summary>The connection was cut after a number of bytes from the engine.</summary>
    CutClientToServer,
    /// <summary>The connection was cut after a number of bytes from the server.</summary>
    CutServerToClient,
    /// <summary>Bytes stopped flowing for a while.</summary>
    Stall,
    /// <summary>The connection ran on a slow link.</summary>
    SlowLink,
    /// <summary>The server's greeting was replaced (a refused connection).</summary>
    Greeting,
    /// <summary>A command was answered by the proxy instead of the server.</summary>
    CommandAnswered,
    /// <summary>Something was injected into the server's responses (a BYE, say) and the connection closed.</summary>
    ResponseInjected,
}

/// <summary>What a <see cref="FaultProxy"/> does to one connection. Byte faults (cut, stall, slow) work on any
/// stream, TLS included; <see cref="Imap"/> needs plaintext IMAP.</summary>
public sealed record FaultPlan
{
    /// <summary>No fault: the proxy forwards bytes exactly.</summary>
    public static FaultPlan None { get; } = new();

    /// <summary>Cut the connection once this many bytes have gone from the engine to the server.</summary>
    public long? CutClientToServerAfter { get; init; }

    /// <summary>Cut the connection once this many bytes have gone from the server to the engine.</summary>
    public long? CutServerToClientAfter { get; init; }

    /// <summary>End a cut with a reset (RST) instead of a FIN: bytes still in flight may then be lost.</summary>
    public bool Abort { get; init; }

    /// <summary>Stop forwarding server bytes for <see cref="StallFor"/> once this many have gone to the engine.</summary>
    public long? StallServerToClientAfter { get; init; }

    /// <summary>How long a stall lasts; the connection is cut when it ends.</summary>
    public TimeSpan StallFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The link's speed in bytes per second each way; null for full speed.</summary>
    public int? BytesPerSecond { get; init; }

    /// <summary>Once this many server bytes have gone to the engine (0: from the greeting on), forward the rest one
    /// byte at a time, a second apart: a server that is alive but too slow to matter, which no read timeout catches.</summary>
    public long? TrickleServerToClientAfter { get; init; }

    /// <summary>Line-level IMAP rewriting (plaintext only).</summary>
    public ImapFaults? Imap { get; init; }

    /// <summary>True when the plan does anything at all.</summary>
    public bool IsFault => this != None;

    /// <summary>A cut at a random point: one direction, at 1..<paramref name="maxBytes"/> bytes, a FIN or a reset. The
    /// point is log-uniform, so the handshake, the login and the commands (a few hundred bytes) are hit as often as the
    /// bulk of the messages.</summary>
    public static FaultPlan RandomCut(Random random, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(random);
        var at = Math.Clamp((long)Math.Exp(random.NextDouble() * Math.Log(maxBytes)), 1, maxBytes);
        var abort = random.Next(2) == 0;
        return random.Next(2) == 0
            ? new FaultPlan { CutClientToServerAfter = at, Abort = abort }
            : new FaultPlan { CutServerToClientAfter = at, Abort = abort };
    }

    /// <inheritdoc/>
    public override string ToString() =>
        this == None ? "none" : string.Join(", ", new[]
        {
            CutClientToServerAfter is { } c ? $"cut engine->server at {c}" : null,
            CutServerToClientAfter is { } s ? $"cut server->engine at {s}" : null,
            Abort ? "with a reset" : null,
            StallServerToClientAfter is { } t ? $"stall server->engine at {t} for {StallFor.TotalSeconds:0.#}s" : null,
            BytesPerSecond is { } b ? $"{b} B/s" : null,
            TrickleServerToClientAfter is { } r ? $"trickle server->engine from byte {r} at 1 B/s" : null,
            Imap is null ? null : "imap rewrite",
        }.Where(p => p is not null));
}

/// <summary>One IMAP command from the engine: its first line, and the literals and lines that followed it.</summary>
public sealed class ImapCommand
{
    internal ImapCommand(string firstLine)
    {
        Text = firstLine;
        var parts = firstLine.TrimEnd('\r', '\n').Split(' ', 4);
        Tag = parts[0];
        Name = parts.Length < 2 ? "" : parts[1].ToUpperInvariant();
        if (Name == "UID" && parts.Length > 2)
        {
            Name = "UID " + parts[2].ToUpperInvariant();
        }
    }

    /// <summary>The command's tag.</summary>
    public string Tag { get; }

    /// <summary>The command's name, upper case; "UID FETCH" for UID commands.</summary>
    public string Name { get; }

    /// <summary>Every line of the command (literal markers included), without the literals' bytes.</summary>
    public string Text { get; internal set; }

    /// <summary>The literals read before the proxy had to decide (all of them for LITERAL+ commands).</summary>
    public List<byte[]> Literals { get; } = [];

    /// <summary>Untagged responses counted for this command so far (the proxy counts; rules read it).</summary>
    public int Responses { get; internal set; }
}

/// <summary>One complete server response: its lines with literal markers and the literals' bytes.</summary>
/// <param name="Text">The lines, literal markers included, without the literals' bytes.</param>
/// <param name="Bytes">Exactly what the server sent.</param>
public sealed record ImapResponse(string Text, byte[] Bytes)
{
    /// <summary>True for an untagged response ("* ...").</summary>
    public bool IsUntagged => Text.StartsWith("* ", StringComparison.Ordinal);
}

/// <summary>Line-level IMAP faults: replay server behaviour Dovecot does not produce. Each hook returns null to
/// leave the traffic alone.</summary>
public sealed record ImapFaults
{
    /// <summary>Given the server's greeting, a replacement to send instead; the connection closes after it.</summary>
    public Func<string, string?>? Greeting { get; init; }

    /// <summary>Given a command, the answer to send instead of forwarding it ("{tag}" stands for its tag).</summary>
    public Func<ImapCommand, string?>? Command { get; init; }

    /// <summary>Given a response and the command in progress, text to send instead of the response, after which the
    /// connection closes (a "* BYE" in the middle of a FETCH).</summary>
    public Func<ImapResponse, ImapCommand?, string?>? Response { get; init; }

    /// <summary>Given a response and the command in progress, text to send instead of the response, the connection
    /// going on after it (a response code a server sends though it does not announce its extension, taken out).</summary>
    public Func<ImapResponse, ImapCommand?, string?>? Rewrite { get; init; }
}

/// <summary>What a proxy did: connections, and faults by kind.</summary>
public sealed class FaultCounters
{
    private readonly ConcurrentDictionary<FaultKind, int> faults = new();
    private int connections;
    private int open;
    private int mostOpen;

    /// <summary>Connections accepted.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Connections open now: accepted and not yet ended by either side.</summary>
    public int Open => Volatile.Read(ref open);

    /// <summary>The most connections that were open at once, as the server side of the proxy saw them.</summary>
    public int MostOpen => Volatile.Read(ref mostOpen);

    /// <summary>Faults injected, all kinds.</summary>
    public int Faults => faults.Values.Sum();

    /// <summary>Faults of one kind.</summary>
    public int this[FaultKind kind] => faults.GetValueOrDefault(kind);

    internal void Connected()
    {
        Interlocked.Increment(ref connections);
        var now = Interlocked.Increment(ref open);
        for (var seen = Volatile.Read(ref mostOpen); now > seen; seen = Volatile.Read(ref mostOpen))
        {
            if (Interlocked.CompareExchange(ref mostOpen, now, seen) == seen)
            {
                break;
            }
        }
    }

    internal void Disconnected() => Interlocked.Decrement(ref open);

    internal void Injected(FaultKind kind) => faults.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Connections} connections, {Faults} faults" + (Faults == 0 ? "" : $" ({string.Join(", ", faults.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}"))})");
}
