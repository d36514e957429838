using System.Security.Cryptography;
using System.Text;
using MailImport.Mail.Sync;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Units;

/// <summary>MessageSpool's promises: message bytes in memory never pass the cap, a message over it or over 1 MiB waits in
/// an encrypted file that leaves no name and no plaintext on disk, and every byte comes back exactly.</summary>
public sealed class MessageSpoolTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("mailimport-spool-test-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static byte[] Message(int size, int seed)
    {
        var header = Encoding.ASCII.GetBytes($"Message-ID: <{seed}@spool.example>\r\nSubject: {seed}\r\n\r\n");
        var bytes = new byte[Math.Max(size, header.Length)];
        new Random(seed).NextBytes(bytes);
        header.CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>Writes as MailKit does: the literal in 4 KB reads, then Position = 0, then the callback takes it.</summary>
    private static MessageBody Spool(MessageSpool spool, byte[] bytes, long announced)
    {
        using var writer = spool.CreateWriter(announced);
        for (var offset = 0; offset < bytes.Length; offset += 4096)
        {
            writer.Write(bytes, offset, Math.Min(4096, bytes.Length - offset));
        }

        writer.Position = 0;
        return MessageBody.TakeAsync(writer, spool, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static byte[] ReadAll(MessageBody body)
    {
        using var read = body.OpenRead();
        using var all = new MemoryStream();
        read.CopyTo(all, 1000);
        return all.ToArray();
    }

    [Fact]
    public void SmallMessage_StaysInMemory_CountedUntilDisposed()
    {
        var spool = new MessageSpool(1024 * 1024, directory);
        var bytes = Message(20_000, 1);

        var body = Spool(spool, bytes, bytes.Length);

        Assert.False(body.InSpoolFile);
        Assert.Equal(2 * MessageSpool.BlockSize, spool.InMemoryBytes);
        Assert.Equal(bytes, ReadAll(body));
        Assert.Equal(MessageIdentity.FromRaw(bytes), MessageIdentity.FromBody(body));
        body.Dispose();
        Assert.Equal(0, spool.InMemoryBytes);
    }

    [Fact]
    public void MessageOverOneMebibyte_GoesToAnEncryptedFileWithNoName_ComesBackExactly()
    {
        var spool = new MessageSpool(64 * 1024 * 1024, directory);
        var bytes = Message(3 * 1024 * 1024 + 17, 2);

        var body = Spool(spool, bytes, bytes.Length);

        Assert.True(body.InSpoolFile);
        Assert.Equal(0, spool.InMemoryBytes);
        Assert.Equal(1, spool.OpenFiles);
        // Unlinked as soon as it was open: nothing of the message is named on disk, not even while it is in use.
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(ReadAll(body)));
        Assert.Equal(bytes, body.ToArray());
        Assert.Equal(MessageIdentity.FromRaw(bytes), MessageIdentity.FromBody(body));
        body.Dispose();
        Assert.Equal(0, spool.OpenFiles);
    }

    [Fact]
    public void MessagesBeyondTheCap_GoToFiles_MemoryNeverPassesIt()
    {
        const int cap = 256 * 1024;
        var spool = new MessageSpool(cap, directory);
        var bodies = new List<(byte[] Bytes, MessageBody Body)>();
        for (var i = 0; i < 40; i++)
        {
            // Announced as 0, as for a length unknown up front: the writer must move to a file on the way.
            var bytes = Message(30_000 + i, 100 + i);
            bodies.Add((bytes, Spool(spool, bytes, i % 2 == 0 ? bytes.Length : 0)));
            Assert.True(spool.InMemoryBytes <= cap, $"{spool.InMemoryBytes} bytes in memory after message {i}, over the cap of {cap}");
        }

        output.WriteLine($"in memory {bodies.Count(b => !b.Body.InSpoolFile)}, in files {bodies.Count(b => b.Body.InSpoolFile)}, {spool.InMemoryBytes} bytes held");
        Assert.Contains(bodies, b => b.Body.InSpoolFile);
        Assert.Contains(bodies, b => !b.Body.InSpoolFile);
        foreach (var (bytes, body) in bodies)
        {
            Assert.Equal(bytes, ReadAll(body));
            body.Dispose();
        }

        Assert.Equal(0, spool.InMemoryBytes);
        Assert.Equal(0, spool.OpenFiles);
    }

    [Fact]
    public void SpooledMessage_RawMessageWritesItExactly_AndCatchesADifference()
    {
        var spool = new MessageSpool(1024 * 1024, directory);
        var bytes = Message(2 * 1024 * 1024, 3);
        using var body = Spool(spool, bytes, bytes.Length);

        var raw = RawMessage.Create(body, international: false);
        using var written = new MemoryStream();
        raw.Message.WriteTo(raw.Format, written);

        Assert.True(raw.IsExact);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(written.ToArray()));
        var other = (byte[])bytes.Clone();
        other[^1] ^= 1;
        Assert.False(RawMessage.Serialises(raw.Message, raw.Format, other));
        Assert.False(RawMessage.Serialises(raw.Message, raw.Format, bytes[..^1]));
    }

    [Fact]
    public void HeaderBlock_OfSpooledMessage_IsWhatTheWholeMessageGives()
    {
        var spool = new MessageSpool(0, directory);
        foreach (var text in new[] { "\r\nbody", "A: 1\r\n\r\nbody", "A: 1\r\nno blank line", "", "A: 1\r\n\r" })
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            using var body = Spool(spool, bytes, 0);
            Assert.Equal(MessageIdentity.HeaderBlock(bytes).ToArray(), body.HeaderBlock());
        }
    }
}
