using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Sync;

/// <summary>mbsync's proof, for our chunks: interrupt the copy at every occurrence of every step, resume, and the
/// destination must equal the source: nothing lost, nothing doubled.</summary>
[Collection(DovecotServers.Name)]
public class CrashResumeTests(DovecotFixture servers, ITestOutputHelper output)
{
    private sealed class SimulatedCrash(CopyStep step, int occurrence) : Exception($"simulated crash at {step} #{occurrence}");

    private static readonly CopyOptions SmallBatches = new() { BatchMessages = 2 };

    private static readonly ChunkBudget FewPerChunk = new(5, long.MaxValue, TimeSpan.FromHours(1));

    public static TheoryData<CopyStep, bool> Steps() => new()
    {
        { CopyStep.Journaled, false }, { CopyStep.Fetched, false }, { CopyStep.Appending, false },
        { CopyStep.Appended, false }, { CopyStep.Saved, false }, { CopyStep.FlagsSynced, false },
        { CopyStep.Journaled, true }, { CopyStep.Fetched, true }, { CopyStep.Appending, true },
        { CopyStep.Appended, true }, { CopyStep.Saved, true },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task CopyChunkAsync_CrashAtEveryOccurrenceOfStep_ResumedCopyEqualsSource(CopyStep step, bool pop3)
    {
        var source = servers.Source.AddUniqueUser("src");
        var corpus = MailCorpus.Standard();
        await MailCorpus.SeedAsync(servers.Source, source, pop3 ? new() { ["INBOX"] = corpus["INBOX"] } : corpus);

        var crashes = 0;
        for (var occurrence = 1; occurrence <= 60; occurrence++)
        {
            var destination = servers.Destination.AddUniqueUser("dst");
            var crashed = await CopyWithCrashAsync(source, destination, step, occurrence, pop3);
            var expected = await MailCorpus.SnapshotAsync(servers.Source, source);
            var actual = await MailCorpus.SnapshotAsync(servers.Destination, destination);
            if (pop3)
            {
                // POP3 carries the bytes only: no flags, keywords or INTERNALDATE to compare.
                Assert.Equal(Bytes(expected["INBOX"]), Bytes(actual["INBOX"]));
            }
            else
            {
                MailCorpus.AssertSame(expected, actual);
            }

            if (!crashed)
            {
                break;
            }

            crashes++;
        }

        output.WriteLine($"{step} ({(pop3 ? "POP3" : "IMAP")}): {crashes} crash points, each resumed to a destination equal to the source");
        Assert.True(crashes >= 2, $"only {crashes} crash points reached for {step}");
    }

    private static List<string> Bytes(List<string> snapshot) => snapshot.Select(line => string.Join(' ', line.Split(' ').Take(2))).ToList();

    /// <summary>Copies with a crash at the given occurrence of the step, resuming after it until the copy completes.
    /// A second run follows a change of flags at the source, since flags are synced only on re-runs.</summary>
    private async Task<bool> CopyWithCrashAsync(MailAccount source, MailAccount destination, CopyStep step, int occurrence, bool pop3)
    {
        var copier = ImapCopyTests.NewCopier();
        var seen = 0;
        var crashed = false;
        var crashPending = false;
        copier.StepHook = reached =>
        {
            if (reached == step && ++seen == occurrence)
            {
                crashed = crashPending = true;
                throw new SimulatedCrash(step, occurrence);
            }

            return ValueTask.CompletedTask;
        };

        var store = new InMemoryCursorStore();
        var server = pop3 ? servers.Source.Pop3Source : servers.Source.ImapSource;
        foreach (var run in pop3 ? ["run-1"] : new[] { "run-1", "run-2" })
        {
            if (run == "run-2")
            {
                // Flags change at the source between the runs; the second run must carry the change over.
                using var client = await MailCorpus.Connect(servers.Source, source);
                await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
                var first = (await client.Inbox.FetchAsync(0, 0, MessageSummaryItems.Flags))[0];
                var toggle = (first.Flags ?? MessageFlags.None).HasFlag(MessageFlags.Flagged) ? StoreAction.Remove : StoreAction.Add;
                await client.Inbox.StoreAsync(Enumerable.Range(0, client.Inbox.Count).ToList(), new StoreFlagsRequest(toggle, MessageFlags.Flagged) { Silent = true });
            }

            var job = new MailboxJob(run, server, source, servers.Destination.Imaps, destination, SmallBatches);
            for (var attempt = 0; ; attempt++)
            {
                Assert.True(attempt < 200, "the copy did not complete");
                try
                {
                    if ((await copier.CopyChunkAsync(job, store, FewPerChunk, CancellationToken.None)).Completed)
                    {
                        break;
                    }
                }
                catch (Exception) when (crashPending)
                {
                    // The crash may surface as itself or wrapped by MailKit or the engine's classification.
                    crashPending = false;
                }
            }
        }

        return crashed;
    }
}
