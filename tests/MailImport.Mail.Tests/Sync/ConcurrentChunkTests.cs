using MailImport.Testing;

namespace MailImport.Mail.Tests.Sync;

/// <summary>Durable delivers an activity at least once: when a chunk's queue message reappears while the chunk still
/// runs (a lock lost on a stalled host, a visibility timeout shorter than the chunk), a second copy of the same
/// chunk runs alongside the first, on the same cursor.</summary>
[Collection(DovecotServers.Name)]
public class ConcurrentChunkTests(DovecotFixture servers)
{
    [Fact]
    public async Task CopyChunkAsync_SameChunkTwiceAtOnce_EveryMessageOnce()
    {
        var source = servers.Source.AddUniqueUser("cc");
        var destination = servers.Destination.AddUniqueUser("cd");
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var store = new InMemoryCursorStore();
        var job = new Mail.Sync.MailboxJob("run-1", servers.Source.ImapSource, source, servers.Destination.Imaps, destination, new() { BatchMessages = 2 });

        // Each runner does what the mailbox orchestration does with a busy mailbox: wait, then try the chunk again.
        var busy = 0;
        async Task RunAsync()
        {
            var copier = ImapCopyTests.NewCopier();
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                try
                {
                    if ((await copier.CopyChunkAsync(job, store, new(2, long.MaxValue, TimeSpan.FromHours(1)), CancellationToken.None)).Completed)
                    {
                        return;
                    }
                }
                catch (Mail.Errors.MailFailureException e) when (e.Failure.Code == Core.Errors.ErrorCode.MailboxBusy)
                {
                    Assert.True(e.Failure.IsTransient);
                    Interlocked.Increment(ref busy);
                    await Task.Delay(20);
                }
            }
        }

        await Task.WhenAll(RunAsync(), RunAsync());

        Assert.True(busy > 0, "the two executions never met: the test proved nothing");
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }
}
