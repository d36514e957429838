using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;

namespace MailImport.Testing.Faults;

/// <summary>One connection about to be planned: its number at this proxy (from 1) and the proxy's seeded random.</summary>
/// <param name="Number">The connection's number.</param>
/// <param name="Random">The proxy's random, seeded, so a failing run replays with the same seed.</param>
public sealed record FaultConnection(int Number, Random Random);

/// <summary>A TCP proxy on 127.0.0.1 between the engine and a server that injects faults: it cuts connections after
/// N bytes (either way), stalls the server's bytes, slows the link, and for plaintext IMAP answers commands itself or
/// injects responses (replaying what a real provider does and Dovecot never will).</summary>
/// <remarks>Every connection gets its own <see cref="FaultPlan"/> from <see cref="Plans"/>, called one connection at a
/// time with the proxy's seeded random: the same seed and the same traffic give the same faults.</remarks>
public sealed partial class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly Random random;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<int, Link> links = new();
    private readonly Task accepting;
    private int connections;

    /// <summary>Starts listening on an ephemeral port of 127.0.0.1 and forwards to <paramref name="targetPort"/>.</summary>
    public FaultProxy(string name, int targetPort, int seed, string targetHost = "127.0.0.1")
    {
        Name = name;
        Seed = seed;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        random = new Random(seed);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = AcceptAsync();
    }

    /// <summary>A name for the log ("src", "dst").</summary>
    public string Name { get; }

    /// <summary>The seed of this proxy's random.</summary>
    public int Seed { get; }

    /// <summary>The port the proxy listens on.</summary>
    public int Port { get; }

    /// <summary>Chooses each connection's faults; no fault by default. May be changed at any time.</summary>
    public Func<FaultConnection, FaultPlan> Plans { get; set; } = _ => FaultPlan.None;

    /// <summary>What the proxy did.</summary>
    public FaultCounters Counters { get; } = new();

    /// <summary>Where the proxy reports each fault as it injects it (a test's output, say).</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The target endpoint reached through this proxy (same security and trusted certificate).</summary>
    public ServerEndpoint Endpoint(ServerEndpoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target with { Host = "127.0.0.1", Port = Port };
    }

    /// <summary>The target source server reached through this proxy.</summary>
    public SourceServer Source(SourceServer target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target with { Host = "127.0.0.1", Port = Port };
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        foreach (var link in links.Values)
        {
            link.Close(abort: true);
        }

        try
        {
            await accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stopping.Token);
            var number = Interlocked.Increment(ref connections);
            Counters.Connected();
            FaultPlan plan;
            lock (random)
            {
                plan = Plans(new FaultConnection(number, random));
            }

            _ = RunAsync(client, number, plan);
        }
    }

    private async Task RunAsync(TcpClient client, int number, FaultPlan plan)
    {
        try
        {
            using var server = new TcpClient();
            try
            {
                await server.ConnectAsync(targetHost, targetPort, stopping.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                client.Dispose();
                return;
            }

            using var link = new Link(this, $"{Name}#{number}", client, server, plan);
            links[number] = link;
            try
            {
                if (plan.IsFault)
                {
                    Report(link.Name, $"plan: {plan}");
                }

                await link.RunAsync();
            }
            finally
            {
                links.TryRemove(number, out _);
            }
        }
        finally
        {
            Counters.Disconnected();
        }
    }

    private void Report(string link, string what) => Log?.Invoke($"proxy {link} (seed {Seed}): {what}");

    [GeneratedRegex(@"~?\{(?<n>\d+)(?<plus>[+-])?\}\r\n$", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralMarker();

    /// <summary>The length of the literal a line announces, and whether the sender waits for "+" before sending it.</summary>
    private static (int Length, bool Synchronising)? LiteralOf(byte[] line)
    {
        var tail = Encoding.Latin1.GetString(line, Math.Max(0, line.Length - 32), Math.Min(32, line.Length));
        var match = LiteralMarker().Match(tail);
        return match.Success ? (int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["plus"].Value != "+") : null;
    }

    /// <summary>One proxied connection: two pumps, the plan's byte faults on the way.</summary>
    private sealed class Link(FaultProxy proxy, string name, TcpClient client, TcpClient server, FaultPlan plan) : IDisposable
    {
        private readonly NetworkStream clientStream = client.GetStream();
        private readonly NetworkStream serverStream = server.GetStream();
        private readonly SemaphoreSlim clientWrites = new(1, 1);
        private readonly CancellationTokenSource closed = new();
        private readonly TaskCompletionSource greeted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long toServer;
        private int isCut;
        private long toClient;
        private int isClosed;
        private bool trickling;
        private ImapCommand? current;

        public string Name { get; } = name;

        public async Task RunAsync()
        {
            if (plan.BytesPerSecond is not null)
            {
                Injected(FaultKind.SlowLink, $"slow link at {plan.BytesPerSecond} B/s");
            }

            var pumps = plan.Imap is { } imap
                ? new[] { ImapClientPumpAsync(imap), ImapServerPumpAsync(imap) }
                : [RawPumpAsync(clientStream, Direction.ClientToServer), RawPumpAsync(serverStream, Direction.ServerToClient)];
            await Task.WhenAny(pumps);
            if (Volatile.Read(ref isCut) == 1)
            {
                // Cut with FIN: give both ends a moment to read what they were sent and hang up themselves.
                try
                {
                    await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or TimeoutException)
                {
                    // Gone or slow: closed below either way.
                }
            }

            Close(abort: false);
            try
            {
                await Task.WhenAll(pumps);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // One side went away; the other pump saw its socket closed.
            }
        }

        /// <summary>Ends the connection after what was forwarded so far: with <paramref name="abort"/> a reset (bytes
        /// in flight may be lost, as with a real RST), else a FIN each way, so each end reads exactly what was sent.</summary>
        private void Cut(bool abort)
        {
            if (abort)
            {
                Close(abort: true);
                return;
            }

            if (Interlocked.Exchange(ref isCut, 1) == 1)
            {
                return;
            }

            foreach (var socket in new[] { client.Client, server.Client })
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // That end is gone already.
                }
            }
        }

        /// <summary>After a cut: read and drop what an end still sends, until it hangs up.</summary>
        private async Task DrainAsync(Stream from)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (await from.ReadAsync(buffer, closed.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Hung up hard.
            }
        }

        public void Close(bool abort)
        {
            if (Interlocked.Exchange(ref isClosed, 1) == 1)
            {
                return;
            }

            closed.Cancel();
            foreach (var socket in new[] { client.Client, server.Client })
            {
                try
                {
                    if (abort)
                    {
                        // RST, as a cut cable or a crashed middlebox looks to both ends.
                        socket.LingerState = new LingerOption(true, 0);
                    }

                    socket.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already gone.
                }
            }
        }

        public void Dispose()
        {
            Close(abort: false);
            closed.Dispose();
            clientWrites.Dispose();
        }

        private void Injected(FaultKind kind, string what)
        {
            proxy.Counters.Injected(kind);
            proxy.Report(Name, what);
        }

        private async Task RawPumpAsync(NetworkStream from, Direction direction)
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await from.ReadAsync(buffer, closed.Token);
                if (read == 0)
                {
                    return;
                }

                if (!await SendAsync(direction, buffer.AsMemory(0, read)))
                {
                    await DrainAsync(from);
                    return;
                }
            }
        }

        /// <summary>Forwards bytes one way with the plan's byte faults; false once the link is cut.</summary>
        private async Task<bool> SendAsync(Direction direction, ReadOnlyMemory<byte> data)
        {
            if (Volatile.Read(ref isCut) == 1)
            {
                return false;
            }

            var toward = direction == Direction.ClientToServer;
            var sent = toward ? toServer : toClient;
            var cutAt = toward ? plan.CutClientToServerAfter : plan.CutServerToClientAfter;
            var stallAt = toward ? null : plan.StallServerToClientAfter;
            if (stallAt is { } stall && sent < stall && sent + data.Length >= stall)
            {
                var before = (int)(stall - sent);
                await WriteAsync(direction, data[..before]);
                Sent(direction, before);
                Injected(FaultKind.Stall, $"stall server->engine at byte {stall} for {plan.StallFor.TotalSeconds:0.#}s");
                try
                {
                    await Task.Delay(plan.StallFor, closed.Token);
                }
                catch (OperationCanceledException)
                {
                    // The engine gave up first (its timeout) and closed its side.
                }

                Cut(abort: true);
                return false;
            }

            if (!toward && plan.TrickleServerToClientAfter is { } trickle && sent + data.Length > trickle)
            {
                var before = (int)Math.Max(0, trickle - sent);
                await WriteAsync(direction, data[..before]);
                Sent(direction, before);
                if (!trickling)
                {
                    trickling = true;
                    Injected(FaultKind.SlowLink, $"trickle server->engine from byte {trickle} at 1 B/s");
                }

                for (var i = before; i < data.Length; i++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), closed.Token);
                    await WriteNowAsync(direction, data.Slice(i, 1));
                    Sent(direction, 1);
                }

                return true;
            }

            if (cutAt is { } cut && sent + data.Length >= cut)
            {
                var before = (int)(cut - sent);
                await WriteAsync(direction, data[..before]);
                Sent(direction, before);
                Injected(toward ? FaultKind.CutClientToServer : FaultKind.CutServerToClient,
                    $"cut {(toward ? "engine->server" : "server->engine")} at byte {cut}{(plan.Abort ? " (reset)" : "")}");
                Cut(plan.Abort);
                return false;
            }

            await WriteAsync(direction, data);
            Sent(direction, data.Length);
            return true;
        }

        private void Sent(Direction direction, long count)
        {
            if (direction == Direction.ClientToServer)
            {
                toServer += count;
            }
            else
            {
                toClient += count;
            }
        }

        private async Task WriteAsync(Direction direction, ReadOnlyMemory<byte> data)
        {
            if (plan.BytesPerSecond is not { } speed)
            {
                await WriteNowAsync(direction, data);
                return;
            }

            // A slow link: pieces of a twentieth of a second each.
            var piece = Math.Max(1, speed / 20);
            for (var offset = 0; offset < data.Length; offset += piece)
            {
                var length = Math.Min(piece, data.Length - offset);
                await WriteNowAsync(direction, data.Slice(offset, length));
                await Task.Delay(TimeSpan.FromSeconds((double)length / speed), closed.Token);
            }
        }

        private async Task WriteNowAsync(Direction direction, ReadOnlyMemory<byte> data)
        {
            if (direction == Direction.ClientToServer)
            {
                await serverStream.WriteAsync(data, closed.Token);
                return;
            }

            await clientWrites.WaitAsync(closed.Token);
            try
            {
                await clientStream.WriteAsync(data, closed.Token);
            }
            finally
            {
                clientWrites.Release();
            }
        }

        // ------------------------------------------------------------ plaintext IMAP

        private async Task ImapClientPumpAsync(ImapFaults faults)
        {
            var reader = new LineReader(clientStream, closed.Token);
            while (await reader.ReadLineAsync() is { } line)
            {
                var command = new ImapCommand(Encoding.Latin1.GetString(line));
                var parts = new List<byte[]> { line };
                var literal = LiteralOf(line);
                // LITERAL+ literals follow without waiting: read the whole command before deciding on it.
                while (literal is { Synchronising: false } plus)
                {
                    if (await reader.ReadExactAsync(plus.Length) is not { } bytes || await reader.ReadLineAsync() is not { } next)
                    {
                        return;
                    }

                    command.Literals.Add(bytes);
                    command.Text += Encoding.Latin1.GetString(next);
                    parts.Add(bytes);
                    parts.Add(next);
                    literal = LiteralOf(next);
                }

                if (faults.Command?.Invoke(command) is { } answer)
                {
                    // Swallowed: the server never sees it. A client waiting on a synchronising literal takes the
                    // tagged answer as the end of the command (RFC 3501 section 7.5) and sends no literal.
                    Injected(FaultKind.CommandAnswered, $"answered {command.Name}: {answer.Trim()}");
                    await greeted.Task.WaitAsync(closed.Token);
                    await WriteNowAsync(Direction.ServerToClient, Encoding.UTF8.GetBytes(answer.Replace("{tag}", command.Tag, StringComparison.Ordinal)));
                    continue;
                }

                current = command;
                foreach (var part in parts)
                {
                    if (!await SendAsync(Direction.ClientToServer, part))
                    {
                        await DrainAsync(clientStream);
                        return;
                    }
                }

                // A synchronising literal: the server's "+" goes back through the other pump; then the rest follows.
                while (literal is { Synchronising: true } sync)
                {
                    if (await reader.ReadExactAsync(sync.Length) is not { } bytes || !await SendAsync(Direction.ClientToServer, bytes)
                        || await reader.ReadLineAsync() is not { } next || !await SendAsync(Direction.ClientToServer, next))
                    {
                        await DrainAsync(clientStream);
                        return;
                    }

                    literal = LiteralOf(next);
                }
            }
        }

        private async Task ImapServerPumpAsync(ImapFaults faults)
        {
            var reader = new LineReader(serverStream, closed.Token);
            if (await reader.ReadLineAsync() is not { } greeting)
            {
                return;
            }

            if (faults.Greeting?.Invoke(Encoding.Latin1.GetString(greeting)) is { } replacement)
            {
                Injected(FaultKind.Greeting, $"greeting replaced: {replacement.Trim()}");
                await WriteNowAsync(Direction.ServerToClient, Encoding.UTF8.GetBytes(replacement));
                Cut(abort: false);
                await DrainAsync(serverStream);
                return;
            }

            var forwarded = await SendAsync(Direction.ServerToClient, greeting);
            greeted.TrySetResult();
            if (!forwarded)
            {
                await DrainAsync(serverStream);
                return;
            }

            while (await reader.ReadLineAsync() is { } line)
            {
                var text = new StringBuilder(Encoding.Latin1.GetString(line));
                using var bytes = new MemoryStream();
                bytes.Write(line);
                for (var literal = LiteralOf(line); literal is { } l; literal = LiteralOf(line))
                {
                    if (await reader.ReadExactAsync(l.Length) is not { } data || await reader.ReadLineAsync() is not { } next)
                    {
                        return;
                    }

                    bytes.Write(data);
                    bytes.Write(next);
                    text.Append(Encoding.Latin1.GetString(next));
                    line = next;
                }

                var response = new ImapResponse(text.ToString(), bytes.ToArray());
                var command = current;
                if (response.IsUntagged && command is not null)
                {
                    command.Responses++;
                }

                if (faults.Response?.Invoke(response, command) is { } injected)
                {
                    Injected(FaultKind.ResponseInjected, $"during {command?.Name}: {injected.Trim()}");
                    await WriteNowAsync(Direction.ServerToClient, Encoding.UTF8.GetBytes(injected));
                    Cut(abort: false);
                    await DrainAsync(serverStream);
                    return;
                }

                if (faults.Rewrite?.Invoke(response, command) is { } rewritten)
                {
                    response = response with { Bytes = Encoding.Latin1.GetBytes(rewritten) };
                }

                if (!await SendAsync(Direction.ServerToClient, response.Bytes))
                {
                    await DrainAsync(serverStream);
                    return;
                }
            }
        }
    }

    /// <summary>Reads CRLF lines and exact byte counts from a stream.</summary>
    private sealed class LineReader(Stream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] buffer = new byte[16 * 1024];
        private int start;
        private int end;

        /// <summary>A line with its CRLF (or what came before the end of the stream); null at the end.</summary>
        public async Task<byte[]?> ReadLineAsync()
        {
            using var line = new MemoryStream();
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    line.Write(buffer, start, newline + 1 - start);
                    start = newline + 1;
                    return line.ToArray();
                }

                line.Write(buffer, start, end - start);
                start = end = 0;
                if (!await FillAsync())
                {
                    return line.Length == 0 ? null : line.ToArray();
                }
            }
        }

        /// <summary>Exactly <paramref name="count"/> bytes; null when the stream ends first.</summary>
        public async Task<byte[]?> ReadExactAsync(int count)
        {
            var result = new byte[count];
            var have = 0;
            while (have < count)
            {
                if (start == end && !await FillAsync())
                {
                    return null;
                }

                var take = Math.Min(count - have, end - start);
                Array.Copy(buffer, start, result, have, take);
                start += take;
                have += take;
            }

            return result;
        }

        private async Task<bool> FillAsync()
        {
            start = 0;
            end = await stream.ReadAsync(buffer, cancellationToken);
            return end > 0;
        }
    }
}
