using System.Net;
using System.Net.Sockets;
using System.Text;
using MailImport.Testing.Faults;

namespace MailImport.Mail.Tests.Faults;

/// <summary>The proxy itself, against a loopback server that records what it receives and sends a fixed reply.</summary>
public sealed class FaultProxyTests : IAsyncDisposable
{
    private readonly TcpListener target = new(IPAddress.Loopback, 0);

    public FaultProxyTests() => target.Start();

    private int TargetPort => ((IPEndPoint)target.LocalEndpoint).Port;

    public ValueTask DisposeAsync()
    {
        target.Stop();
        target.Dispose();
        return ValueTask.CompletedTask;
    }

    private static byte[] Bytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Accepts one connection, sends <paramref name="reply"/>, and returns everything it received until the
    /// connection ended.</summary>
    private async Task<byte[]> ServeOnceAsync(byte[] reply)
    {
        using var connection = await target.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var sending = stream.WriteAsync(reply).AsTask();
        using var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received);
        }
        catch (IOException)
        {
            // A cut arrives as a reset.
        }

        try
        {
            await sending;
        }
        catch (IOException)
        {
            // Also cut.
        }

        return received.ToArray();
    }

    private static async Task<byte[]> ExchangeAsync(int port, byte[] request, int expectReply)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var received = new MemoryStream();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[8192];
            try
            {
                int read;
                while (received.Length < expectReply && (read = await stream.ReadAsync(buffer)) > 0)
                {
                    received.Write(buffer, 0, read);
                }
            }
            catch (IOException)
            {
                // Cut.
            }
        });
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // Cut while sending.
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        client.Client.Shutdown(SocketShutdown.Send);
        return received.ToArray();
    }

    [Fact]
    public async Task Proxy_NoFault_ForwardsBytesExactlyBothWays()
    {
        await using var proxy = new FaultProxy("t", TargetPort, seed: 1);
        var request = Bytes(300_000, 2);
        var reply = Bytes(200_000, 3);
        var serving = ServeOnceAsync(reply);

        var got = await ExchangeAsync(proxy.Port, request, reply.Length);

        Assert.Equal(reply, got);
        Assert.Equal(request, await serving.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, proxy.Counters.Connections);
        Assert.Equal(0, proxy.Counters.Faults);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12_345)]
    [InlineData(299_999)]
    public async Task Proxy_CutClientToServerAfterN_ServerReceivesExactlyNBytes(long n)
    {
        await using var proxy = new FaultProxy("t", TargetPort, seed: 1) { Plans = _ => new FaultPlan { CutClientToServerAfter = n } };
        var request = Bytes(300_000, 4);
        var serving = ServeOnceAsync([]);

        await ExchangeAsync(proxy.Port, request, 0);

        Assert.Equal(request[..(int)n], await serving.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, proxy.Counters[FaultKind.CutClientToServer]);
    }

    [Fact]
    public async Task Proxy_CutServerToClientAfterN_ClientReceivesExactlyNBytes()
    {
        await using var proxy = new FaultProxy("t", TargetPort, seed: 1) { Plans = _ => new FaultPlan { CutServerToClientAfter = 100_000 } };
        var reply = Bytes(200_000, 5);
        var serving = ServeOnceAsync(reply);

        var got = await ExchangeAsync(proxy.Port, [1, 2, 3], reply.Length);

        Assert.Equal(reply[..100_000], got);
        await serving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, proxy.Counters[FaultKind.CutServerToClient]);
    }

    [Fact]
    public void Proxy_SameSeed_ChoosesTheSameRandomCuts()
    {
        static List<string> Plans(int seed)
        {
            var random = new Random(seed);
            return Enumerable.Range(0, 20).Select(_ => FaultPlan.RandomCut(random, 100_000).ToString()).ToList();
        }

        Assert.Equal(Plans(42), Plans(42));
        Assert.NotEqual(Plans(42), Plans(43));
    }

    [Fact]
    public async Task Proxy_ImapCommandAnswered_ClientGetsTheAnswerAndServerNeverSeesTheCommand()
    {
        await using var proxy = new FaultProxy("t", TargetPort, seed: 1)
        {
            Plans = _ => new FaultPlan
            {
                Imap = new ImapFaults { Command = c => c.Name == "APPEND" ? "{tag} NO [OVERQUOTA] Quota exceeded\r\n" : null },
            },
        };
        var greeting = Encoding.ASCII.GetBytes("* OK ready\r\n");
        var serving = ServeOnceAsync(greeting);
        // A LITERAL+ APPEND is swallowed whole, literal included; the NOOP after it goes through.
        var request = Encoding.ASCII.GetBytes("A1 APPEND INBOX {5+}\r\nhello\r\nA2 NOOP\r\n");
        var expected = "* OK ready\r\nA1 NO [OVERQUOTA] Quota exceeded\r\n";

        var got = await ExchangeAsync(proxy.Port, request, expected.Length);

        Assert.Equal(expected, Encoding.ASCII.GetString(got));
        Assert.Equal("A2 NOOP\r\n", Encoding.ASCII.GetString(await serving.WaitAsync(TimeSpan.FromSeconds(30))));
        Assert.Equal(1, proxy.Counters[FaultKind.CommandAnswered]);
    }
}
