using System.Globalization;

namespace MailImport.Testing;

/// <summary>Shifts every fixed test port by <c>MAILIMPORT_TEST_PORT_OFFSET</c> (a multiple of 10 below 100), so two
/// checkouts can run the suite side by side with their own <c>MAILIMPORT_RUN_DIR</c>. Port bases are multiples of
/// 1,000 and each server uses base+0..2 (Azurite) or base+110, 143, 993, 995 (Dovecot), so shifts of 10 to 90 never
/// land on another server's port.</summary>
public static class TestPorts
{
    /// <summary>The shift, 0 when the variable is unset.</summary>
    public static int Offset { get; } = Read();

    /// <summary>A fixed port base moved by <see cref="Offset"/>.</summary>
    public static int Shift(int port) => port + Offset;

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
