using System.Globalization;

namespace MailImport.Testing;

/// <summary>Shifts every fixed test port by <c>MAILIMPORT_TEST_PORT_OFFSET</c> (a multiple of 10 below 100), so two
/// checkouts can run the suite side by side with their own <c>MAILIMPORT_RUN_DIR</c>. Port bases are multiples of
/// 1,000 and each server uses base+0..2 (Azurite) or base+110, 143, 993, 995 (Dovecot), so shifts of 10 to 90 never
/// land on another server's port. Every base stays below 32768 with room for base+999: Linux hands out outgoing
/// connections' local ports from 32768-60999 (net.ipv4.ip_local_port_range,
/// https://docs.kernel.org/networking/ip-sysctl.html), so a fixed listening port in that range fails now and then
/// with EADDRINUSE when a client socket of a test running beside it happens to hold the same number.</summary>
public static class TestPorts
{
    /// <summary>The Gmail-shaped IMAP stand-in of the mail tests (tests/MailImport.StandIns/Gmail) listens on base+143.</summary>
    public const int GmailStandInBase = 8000;

    /// <summary>The shift, 0 when the variable is unset.</summary>
    public static int Offset { get; } = Read();

    /// <summary>A fixed port base moved by <see cref="Offset"/>.</summary>
    public static int Shift(int port) =>
        port + Offset + 999 < EphemeralRangeStart
            ? port + Offset
            : throw new ArgumentOutOfRangeException(nameof(port), port, $"A fixed test port base must leave base+999 below {EphemeralRangeStart}, the start of Linux's ephemeral port range.");

    private const int EphemeralRangeStart = 32768;

    private static int Read()
    {
        var text = Environment.GetEnvironmentVariable("MAILIMPORT_TEST_PORT_OFFSET");
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) || offset % 10 != 0 || offset >= 100)
        {
            throw new InvalidOperationException($"MAILIMPORT_TEST_PORT_OFFSET must be 0, 10, 20, ... 90, not '{text}'.");
        }

        return offset;
    }
}
