using System.Diagnostics;
using System.Globalization;
using System.Text;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;
using MailImport.Testing;
using MailImport.Testing.Faults;
using MailKit;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MailImport.Mail.Tests.Faults;

/// <summary>Issue #7, faults on the wire: the real engine copies through <see cref="FaultProxy"/>s in front of the
/// source and the destination Dovecot while connections are cut, stalled and slowed, and while the proxies replay what
/// real providers answer and Dovecot never does. Every scenario ends with each destination equal to its source
/// message by message, and adds its line to the fault table (test-results/fault-table.txt).</summary>
/// <remarks>Chunks are driven by <see cref="ChunkDriver"/>, which retries like the mailbox orchestration. Random faults
/// come from seeded randoms: the seed is printed, and MAILIMPORT_FAULT_SEED replays a run.</remarks>
[Collection(FaultServers.Name)]
public sealed class WireFaultTests(FaultServersFixture servers, ITestOutputHelper output)
{
    private static readonly ChunkBudget SmallChunks = new(10, long.MaxValue, TimeSpan.FromMinutes(5));

    private static readonly CopyOptions SmallBatches = new() { BatchMessages = 4 };

    // A hang fails the test instead of the run.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    private static readonly DateTimeOffset Y2018 = new(2018, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly CapturingLogger logger = new(output);

    private static int BaseSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("MAILIMPORT_FAULT_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : 7007;

    /// <summary>The engine with a short network timeout, so a stalled server costs seconds, not a minute.</summary>
    private static MailboxCopier Copier() => new(new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(5) }, TestSourceAccess.LoopbackPolicy), NullLogger<MailboxCopier>.Instance);

    /// <summary>The driver; under random cuts a chunk may meet more than the workflow's six failures in a row, which
    /// is retry policy, not the exactly-once under test, so those scenarios allow more.</summary>
    private ChunkDriver Driver(int maxAttempts = 6) => new(Copier(), logger, maxAttempts);

    /// <summary>A cut at a random point of 40% of the connections.</summary>
    private static FaultPlan RandomCuts(FaultConnection connection) =>
        connection.Random.NextDouble() < 0.4 ? FaultPlan.RandomCut(connection.Random, 400_000) : FaultPlan.None;

    [Fact]
    public async Task Batch_ConnectionsCutAtRandomOnBothSides_EveryMessageArrivesExactlyOnce()
    {
        var seed = BaseSeed;
        output.WriteLine($"seed {seed} (MAILIMPORT_FAULT_SEED={seed} replays this run)");
        var mailboxes = new List<Mailbox>();
        for (var i = 0; i < 5; i++)
        {
            mailboxes.Add(await NewMailboxAsync($"mb{i}", seed + (i * 2), Corpus(seed + i, 30), plaintext: false));
        }

        await using var _ = new Mailboxes(mailboxes);
        foreach (var mailbox in mailboxes)
        {
            mailbox.SourceProxy.Plans = RandomCuts;
            mailbox.DestinationProxy.Plans = RandomCuts;
        }

        var driver = Driver(maxAttempts: 20);
        var outcomes = await Task.WhenAll(mailboxes.Select(m => driver.RunAsync(m.Name, m.Job("run-1"), m.Store, SmallChunks))).WaitAsync(Guard);

        Assert.All(outcomes, o => Assert.True(o.Completed, $"stopped: {o.Stopped}"));
        Assert.True(mailboxes.Sum(m => m.SourceProxy.Counters.Faults) > 0, "no fault on the source side");
        Assert.True(mailboxes.Sum(m => m.DestinationProxy.Counters.Faults) > 0, "no fault on the destination side");
        Assert.All(outcomes.SelectMany(o => o.Retried), f => Assert.True(f.IsTransient));
        await RecordAsync("1 random cuts, both sides, 5 mailboxes (TLS)", mailboxes, outcomes,
            $"{mailboxes.Sum(m => m.SourceProxy.Counters.Connections + m.DestinationProxy.Counters.Connections)} connections, seed {seed}");
    }

    [Fact]
    public async Task Copy_CutDuringTlsHandshake_IsRetriedAsTransient()
    {
        var mailbox = await NewMailboxAsync("tls", BaseSeed, MailCorpus.Standard(), plaintext: false);
        await using var _ = new Mailboxes([mailbox]);
        // ClientHello is a few hundred bytes, the server's first flight a couple of thousand: these cut inside them.
        mailbox.SourceProxy.Plans = c => c.Number switch
        {
            1 => new FaultPlan { CutServerToClientAfter = 200 },
            2 => new FaultPlan { CutClientToServerAfter = 100 },
            _ => FaultPlan.None,
        };
        mailbox.DestinationProxy.Plans = c => c.Number == 1 ? new FaultPlan { CutServerToClientAfter = 1_000 } : FaultPlan.None;

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        Assert.Equal(3, outcome.Retried.Count);
        await RecordAsync("2 cuts inside the TLS handshake", [mailbox], [outcome], string.Join(", ", outcome.Retried.Select(f => f.Code).Distinct()));
    }

    [Fact]
    public async Task Copy_StalledServersAndSlowLink_TimeOutAreRetriedAndArriveExactlyOnce()
    {
        var mailbox = await NewMailboxAsync("stall", BaseSeed, Corpus(BaseSeed, 20), plaintext: false);
        await using var _ = new Mailboxes([mailbox]);
        var slow = new FaultPlan { BytesPerSecond = 2_000_000 };
        mailbox.SourceProxy.Plans = c => c.Number == 2 ? new FaultPlan { StallServerToClientAfter = 30_000 } : slow;
        mailbox.DestinationProxy.Plans = c => c.Number == 3 ? new FaultPlan { StallServerToClientAfter = 2_000 } : slow;
        var clock = Stopwatch.StartNew();

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        Assert.Equal(1, mailbox.SourceProxy.Counters[FaultKind.Stall]);
        Assert.Equal(1, mailbox.DestinationProxy.Counters[FaultKind.Stall]);
        Assert.Contains(outcome.Retried, f => f.Code == ErrorCode.SourceTimeout);
        Assert.Contains(outcome.Retried, f => f.Code == ErrorCode.DestinationUnavailable && f.Message.Contains("in time", StringComparison.Ordinal));
        await RecordAsync("3 stalled reads (5 s timeout) + slow link", [mailbox], [outcome],
            $"{string.Join(", ", outcome.Retried.Select(f => f.Code))}; {clock.Elapsed.TotalSeconds:0} s");
    }

    /// <summary>A chunk may outlive its time budget by one server round trip at most (the cursor's save), however slowly
    /// a server answers; here generous, for a loaded machine: without the deadline the trickled call takes minutes.</summary>
    private static readonly TimeSpan Overrun = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Chunk_GreetingTrickledAtOneBytePerSecond_EndsAtItsBudget()
    {
        var mailbox = await NewMailboxAsync("greeting", BaseSeed, Corpus(BaseSeed + 9, 4), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        // The source's greeting, and all after it, comes a byte a second: every read succeeds, so MailKit's 5 s read
        // timeout never fires, and a greeting of ~100 bytes would take ~100 s.
        mailbox.SourceProxy.Plans = c => c.Number == 1 ? new FaultPlan { TrickleServerToClientAfter = 0 } : FaultPlan.None;
        var budget = new ChunkBudget(1_000, long.MaxValue, TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        var first = await Copier().CopyChunkAsync(mailbox.Job("run-1"), mailbox.Store, budget, CancellationToken.None).WaitAsync(Guard);
        var took = clock.Elapsed;
        output.WriteLine($"first chunk: completed {first.Completed}, {first.CopiedThisChunk} copied, {took.TotalSeconds:0.0} s against a budget of {budget.MaxDuration.TotalSeconds:0} s");

        Assert.False(first.Completed);
        Assert.Equal(0, first.CopiedThisChunk);
        Assert.True(took < budget.MaxDuration + Overrun, $"the chunk took {took.TotalSeconds:0.0} s, its budget is {budget.MaxDuration.TotalSeconds:0} s");
        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);
        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        await RecordAsync("greeting at 1 B/s (2 s chunk budget)", [mailbox], [outcome], $"first chunk ended after {took.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Chunk_FetchTrickledMidChunk_EndsInTimeWithItsCursor_NextChunkCopiesTheRestExactlyOnce()
    {
        var mailbox = await NewMailboxAsync("trickle", BaseSeed, Corpus(BaseSeed + 10, 24), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        // 60 KB in, past the login, the listing and the first bodies, the source slows to a byte a second, in the
        // middle of a FETCH; only the chunk's deadline can end that call.
        mailbox.SourceProxy.Plans = c => c.Number == 1 ? new FaultPlan { TrickleServerToClientAfter = 60_000 } : FaultPlan.None;
        var budget = new ChunkBudget(1_000, long.MaxValue, TimeSpan.FromSeconds(4));
        var clock = Stopwatch.StartNew();

        var first = await Copier().CopyChunkAsync(mailbox.Job("run-1"), mailbox.Store, budget, CancellationToken.None).WaitAsync(Guard);
        var took = clock.Elapsed;
        var saved = mailbox.Store.Current;
        output.WriteLine($"first chunk: completed {first.Completed}, {first.CopiedThisChunk} copied, {took.TotalSeconds:0.0} s against a budget of "
            + $"{budget.MaxDuration.TotalSeconds:0} s; saved cursor: {saved?.MessagesCopied} copied, journal {(saved?.InFlight is { } j ? $"{j.SourceFolder} {string.Join(",", j.Uids)}" : "none")}");

        Assert.False(first.Completed);
        Assert.True(took < budget.MaxDuration + Overrun, $"the chunk took {took.TotalSeconds:0.0} s, its budget is {budget.MaxDuration.TotalSeconds:0} s");
        Assert.NotNull(saved);
        Assert.Equal(first.MessagesCopied, saved.MessagesCopied);
        Assert.Equal(1, mailbox.SourceProxy.Counters[FaultKind.SlowLink]);
        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);
        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        await RecordAsync("FETCH trickled at 1 B/s mid-chunk (4 s budget)", [mailbox], [outcome],
            $"first chunk ended after {took.TotalSeconds:0.0} s with {first.CopiedThisChunk} copied");
    }

    [Fact]
    public async Task Copy_LoginAnsweredThrottled_RetriedAfterTheHintedDelay()
    {
        var mailbox = await NewMailboxAsync("throttle", BaseSeed, MailCorpus.Standard(), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        var throttled = Answer(c => c.Name is "LOGIN" or "AUTHENTICATE", "{tag} NO [THROTTLED] Too many login attempts, try again in 2 seconds\r\n");
        mailbox.SourceProxy.Plans = c => c.Number <= 2 ? throttled : FaultPlan.None;
        var clock = Stopwatch.StartNew();

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        Assert.Equal(2, outcome.Retried.Count);
        Assert.All(outcome.Retried, f =>
        {
            Assert.Equal(ErrorCode.SourceThrottled, f.Code);
            Assert.True(f.IsTransient);
            Assert.Equal(TimeSpan.FromSeconds(2), f.RetryAfter);
        });
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4), "the hinted delay was not honoured");
        await RecordAsync("4 LOGIN answered NO [THROTTLED]", [mailbox], [outcome], "SourceThrottled, waited the hinted 2 s");
    }

    [Fact]
    public async Task Copy_TooManySimultaneousConnections_RetriedAsTransient()
    {
        var mailbox = await NewMailboxAsync("conns", BaseSeed, MailCorpus.Standard(), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        var byeGreeting = new FaultPlan { Imap = new ImapFaults { Greeting = _ => "* BYE [UNAVAILABLE] Too many simultaneous connections.\r\n" } };
        var loginRefused = Answer(c => c.Name is "LOGIN" or "AUTHENTICATE", "{tag} NO [ALERT] Too many simultaneous connections. (Failure)\r\n");
        mailbox.DestinationProxy.Plans = c => c.Number switch { 1 => byeGreeting, 2 => loginRefused, _ => FaultPlan.None };
        mailbox.SourceProxy.Plans = c => c.Number switch { 1 => loginRefused, 2 => byeGreeting, _ => FaultPlan.None };

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        Assert.Equal(4, outcome.Retried.Count);
        // The server's words survive MailKit (ServerReplyRecorder): throttling, not a vague protocol error.
        Assert.All(outcome.Retried, f => Assert.True(f.Code is ErrorCode.SourceThrottled or ErrorCode.DestinationThrottled, $"{f.Code}: {f.Message}"));
        Assert.All(outcome.Retried, f => Assert.True(f.IsTransient, $"{f.Code}: {f.Message}"));
        await RecordAsync("5 \"Too many simultaneous connections\" (BYE greeting, NO to LOGIN)", [mailbox], [outcome],
            string.Join(", ", outcome.Retried.Select(f => f.Code).Distinct()));
    }

    [Fact]
    public async Task Copy_ByeInTheMiddleOfFetch_ResumesWithoutLossOrDuplicates()
    {
        var mailbox = await NewMailboxAsync("bye", BaseSeed, Corpus(BaseSeed + 1, 20), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        // The third message of a body FETCH never arrives: the server says BYE instead (as Gmail and Exchange do on
        // maintenance or overload) and closes.
        var bye = new FaultPlan
        {
            Imap = new ImapFaults
            {
                Response = (response, command) =>
                    response.IsUntagged && command is { Name: "UID FETCH", Responses: 3 } && command.Text.Contains("BODY.PEEK[]", StringComparison.Ordinal)
                        ? "* BYE Server shutting down.\r\n"
                        : null,
            },
        };
        mailbox.SourceProxy.Plans = c => c.Number <= 3 ? bye : FaultPlan.None;

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        Assert.Equal(3, mailbox.SourceProxy.Counters[FaultKind.ResponseInjected]);
        Assert.All(outcome.Retried, f => Assert.True(f.IsTransient));
        await RecordAsync("6 * BYE in the middle of a body FETCH", [mailbox], [outcome], string.Join(", ", outcome.Retried.Select(f => f.Code).Distinct()));
    }

    [Fact]
    public async Task Copy_AppendAnsweredOverQuota_StopsThenReRunAfterQuotaFreesCopiesTheRestOnce()
    {
        var mailbox = await NewMailboxAsync("quota", BaseSeed, Corpus(BaseSeed + 2, 20), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        var appends = 0;
        var quotaFull = true;
        var overQuota = Answer(c => c.Name == "APPEND" && quotaFull && Interlocked.Increment(ref appends) > 3,
            "{tag} NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\r\n");
        mailbox.DestinationProxy.Plans = _ => overQuota;

        var first = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.False(first.Completed);
        Assert.Equal(ErrorCode.DestinationOverQuota, first.Stopped?.Code);
        Assert.False(first.Stopped!.IsTransient);
        var before = (await MailCorpus.SnapshotAsync(servers.Destination, mailbox.DestinationAccount)).Values.Sum(v => v.Count);
        Assert.InRange(before, 1, 44);

        quotaFull = false;
        var second = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-2"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(second.Completed, $"stopped: {second.Stopped}");
        await RecordAsync("7 APPEND answered NO [OVERQUOTA], re-run after quota frees", [mailbox], [first, second],
            $"stopped with DestinationOverQuota after {before} messages; re-run copied the rest");
    }

    [Fact]
    public async Task Copy_AppendAnsweredTooBig_ThatMessageIsReportedTheRestCopied()
    {
        var corpus = MailCorpus.Standard();
        var huge = new SeedMessage(MailCorpus.Message("too big for them", "huge@old.example", "pretend this is 60 MB\r\n"), MessageFlags.Seen, [], Y2018);
        corpus["INBOX"].Insert(3, huge);
        var mailbox = await NewMailboxAsync("toobig", BaseSeed, corpus, plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        var marker = Encoding.ASCII.GetBytes("Subject: too big for them");
        var tooBig = Answer(c => c.Name == "APPEND" && c.Literals.Any(l => l.AsSpan().IndexOf(marker) >= 0), "{tag} NO [TOOBIG] Message too large\r\n");
        mailbox.DestinationProxy.Plans = _ => tooBig;

        var outcome = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1", new CopyOptions()), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(outcome.Completed, $"stopped: {outcome.Stopped}");
        var failure = Assert.Single(outcome.Last!.Failures);
        Assert.Equal(ErrorCode.MessageTooBig, failure.Code);
        Assert.Equal("INBOX", failure.Folder);
        Assert.Empty(outcome.Retried);
        var hugeKey = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(huge.Bytes))[..16];
        await RecordAsync("8 APPEND answered NO [TOOBIG] for one message", [mailbox], [outcome],
            "1 message reported MessageTooBig, the rest copied",
            expected => expected["INBOX"].RemoveAll(line => line.StartsWith(hugeKey, StringComparison.Ordinal)) == 1);
    }

    [Fact]
    public async Task Copy_CreateAnsweredNo_ThatFolderIsReportedTheRestCopied_TheNextRunCreatesIt()
    {
        var mailbox = await NewMailboxAsync("create", BaseSeed, MailCorpus.Standard(), plaintext: true);
        await using var _ = new Mailboxes([mailbox]);
        var refusing = true;
        var refused = Answer(c => refusing && c.Name == "CREATE" && c.Text.Contains("Work.Projects", StringComparison.Ordinal),
            "{tag} NO [CANNOT] Invalid mailbox name\r\n");
        mailbox.DestinationProxy.Plans = _ => refused;

        var first = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-1", new CopyOptions()), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(first.Completed, $"stopped: {first.Stopped}");
        Assert.Empty(first.Retried);
        Assert.Empty(first.Last!.Failures);
        var note = Assert.Single(first.Last.FolderNotes);
        Assert.Equal(("Work.Projects", FolderOutcome.NotCopied, ErrorCode.DestinationFolderRefused), (note.SourceFolder, note.Outcome, note.Code));
        Assert.Contains("Invalid mailbox name", note.Reason, StringComparison.Ordinal);
        await RecordAsync("10 CREATE answered NO [CANNOT] for one folder", [mailbox], [first], "that folder reported DestinationFolderRefused, the rest copied",
            expected => expected.Remove("Work.Projects"));

        refusing = false;
        var second = await Driver().RunAsync(mailbox.Name, mailbox.Job("run-2", new CopyOptions()), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(second.Completed, $"stopped: {second.Stopped}");
        Assert.Empty(second.Last!.FolderNotes);
        Assert.Equal(1, second.Last.FoldersCreated);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, mailbox.SourceAccount), await MailCorpus.SnapshotAsync(servers.Destination, mailbox.DestinationAccount));
    }

    [Fact]
    public async Task Copy_UidValidityChangedBetweenRunsWithCutsOnBothSides_NoDuplicates()
    {
        var seed = BaseSeed + 100;
        output.WriteLine($"seed {seed}");
        var mailbox = await NewMailboxAsync("uidv", seed, Corpus(seed, 20), plaintext: false);
        await using var _ = new Mailboxes([mailbox]);
        mailbox.SourceProxy.Plans = RandomCuts;
        mailbox.DestinationProxy.Plans = RandomCuts;
        var first = await Driver(maxAttempts: 20).RunAsync(mailbox.Name, mailbox.Job("run-1"), mailbox.Store, SmallChunks).WaitAsync(Guard);
        Assert.True(first.Completed, $"stopped: {first.Stopped}");

        // The source re-created its folders' UID space (a restored backup, a migrated server): every old UID is void.
        foreach (var folder in new[] { "INBOX", "Sent" })
        {
            servers.Source.Doveadm("mailbox", "update", "-u", mailbox.SourceAccount.Login, "--uid-validity", "424242", folder);
        }

        using (var client = await MailCorpus.Connect(servers.Source, mailbox.SourceAccount))
        {
            await MailCorpus.AppendAsync(client.Inbox, new SeedMessage(MailCorpus.Message("after reset", "reset@old.example"), MessageFlags.Seen, [], Y2018));
        }

        var copiedBefore = mailbox.Store.Current!.MessagesCopied;
        var second = await Driver(maxAttempts: 20).RunAsync(mailbox.Name, mailbox.Job("run-2"), mailbox.Store, SmallChunks).WaitAsync(Guard);

        Assert.True(second.Completed, $"stopped: {second.Stopped}");
        // Only the message appended after the reset is new; the rest were re-matched, not copied again.
        Assert.Equal(copiedBefore + 1, mailbox.Store.Current!.MessagesCopied);
        await RecordAsync("9 UIDVALIDITY changed between two runs, cuts on both sides", [mailbox], [first, second],
            $"INBOX and Sent re-matched; seed {seed}");
    }

    // ---------------------------------------------------------------- helpers

    private static FaultPlan Answer(Func<ImapCommand, bool> when, string answer) =>
        new() { Imap = new ImapFaults { Command = c => when(c) ? answer : null } };

    /// <summary>The standard corpus plus <paramref name="count"/> generated messages of 1-40 KB over three folders:
    /// random flags, keywords and dates, some without a Message-ID and two sharing one.</summary>
    private static Dictionary<string, List<SeedMessage>> Corpus(int seed, int count)
    {
        var random = new Random(seed);
        var corpus = MailCorpus.Standard();
        string[] folders = ["INBOX", "INBOX", "Sent", "Work.Projects"];
        var line = new string('g', 74) + "\r\n";
        for (var i = 0; i < count; i++)
        {
            var size = random.Next(1_000, 40_000);
            var body = new StringBuilder($"message {i} of seed {seed}\r\n");
            while (body.Length < size)
            {
                body.Append(line);
            }

            var id = i % 8 == 5 ? null : i == 7 ? "twice@gen.example" : $"g{seed}-{i}@gen.example";
            var flags = (MessageFlags)(random.Next(8) & 0b111) & (MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Flagged);
            string[] keywords = random.Next(4) == 0 ? ["$Label1"] : [];
            corpus[folders[random.Next(folders.Length)]].Add(
                new SeedMessage(MailCorpus.Message($"generated {i}", id, body.ToString()), flags, keywords, Y2018.AddHours(i * 7)));
        }

        return corpus;
    }

    private async Task<Mailbox> NewMailboxAsync(string name, int seed, Dictionary<string, List<SeedMessage>> corpus, bool plaintext)
    {
        var source = servers.Source.AddUniqueUser("fs");
        var destination = servers.Destination.AddUniqueUser("fd");
        await MailCorpus.SeedAsync(servers.Source, source, corpus);
        var sourceProxy = new FaultProxy($"{name}-src", plaintext ? servers.Source.ImapPort : servers.Source.ImapsPort, seed) { Log = logger.Write };
        var destinationProxy = new FaultProxy($"{name}-dst", plaintext ? servers.Destination.ImapPort : servers.Destination.ImapsPort, seed + 1) { Log = logger.Write };
        var sourceServer = plaintext
            ? new SourceServer(MailProtocol.Imap, "127.0.0.1", sourceProxy.Port, TransportSecurity.None)
            : sourceProxy.Source(servers.Source.ImapSource);
        var destinationEndpoint = destinationProxy.Endpoint(plaintext ? servers.Destination.Imap : servers.Destination.Imaps);
        return new Mailbox(name, source, destination, sourceProxy, destinationProxy, sourceServer, destinationEndpoint);
    }

    /// <summary>Compares every mailbox with its source, asserts nothing lost or doubled, and adds the scenario's row.</summary>
    private async Task RecordAsync(string scenario, IReadOnlyList<Mailbox> mailboxes, IReadOnlyList<DriveOutcome> outcomes, string note,
        Func<SortedDictionary<string, List<string>>, bool>? adjustExpected = null)
    {
        int copied = 0, lost = 0, duplicated = 0;
        var comparisons = new List<(SortedDictionary<string, List<string>> Expected, SortedDictionary<string, List<string>> Actual)>();
        foreach (var mailbox in mailboxes)
        {
            var expected = await MailCorpus.SnapshotAsync(servers.Source, mailbox.SourceAccount);
            Assert.True(adjustExpected?.Invoke(expected) ?? true, "the expected snapshot could not be adjusted");
            var actual = await MailCorpus.SnapshotAsync(servers.Destination, mailbox.DestinationAccount);
            var (l, d) = Differences(expected, actual);
            lost += l;
            duplicated += d;
            copied += actual.Values.Sum(v => v.Count);
            Assert.Equal(actual.Values.Sum(v => v.Count), mailbox.Store.Current!.MessagesCopied);
            comparisons.Add((expected, actual));
        }

        var faults = mailboxes.Sum(m => m.SourceProxy.Counters.Faults + m.DestinationProxy.Counters.Faults);
        var retries = outcomes.Sum(o => o.Retried.Count);
        var table = FaultTable.Add(new FaultRow(scenario, faults, retries, copied, lost, duplicated, note));
        output.WriteLine("");
        output.WriteLine(table);
        foreach (var mailbox in mailboxes)
        {
            output.WriteLine($"{mailbox.Name}: source proxy {mailbox.SourceProxy.Counters}; destination proxy {mailbox.DestinationProxy.Counters}");
        }

        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.True(faults > 0, $"{scenario}: no fault was injected, so the scenario proved nothing");
        // Every retry is in the log, with its code.
        Assert.Equal(retries, logger.Lines.Count(l => l.Contains(" 9001: ", StringComparison.Ordinal)));
        foreach (var (expected, actual) in comparisons)
        {
            MailCorpus.AssertSame(expected, actual);
        }
    }

    /// <summary>Messages (by bytes) missing at the destination, and messages there more often than at the source.</summary>
    private static (int Lost, int Duplicated) Differences(SortedDictionary<string, List<string>> expected, SortedDictionary<string, List<string>> actual)
    {
        int lost = 0, duplicated = 0;
        foreach (var folder in expected.Keys.Union(actual.Keys))
        {
            var want = Count(expected.GetValueOrDefault(folder));
            var have = Count(actual.GetValueOrDefault(folder));
            foreach (var key in want.Keys.Union(have.Keys))
            {
                var difference = have.GetValueOrDefault(key) - want.GetValueOrDefault(key);
                lost += Math.Max(0, -difference);
                duplicated += Math.Max(0, difference);
            }
        }

        return (lost, duplicated);
    }

    // A snapshot line starts with the message's hash and size: that is the message, whatever its flags.
    private static Dictionary<string, int> Count(List<string>? lines) =>
        (lines ?? []).GroupBy(l => string.Join(' ', l.Split(' ').Take(2)), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private sealed record Mailbox(string Name, MailAccount SourceAccount, MailAccount DestinationAccount, FaultProxy SourceProxy,
        FaultProxy DestinationProxy, SourceServer SourceServer, ServerEndpoint DestinationEndpoint)
    {
        public InMemoryCursorStore Store { get; } = new();

        public MailboxJob Job(string run, CopyOptions? options = null) =>
            new(run, SourceServer, SourceAccount, DestinationEndpoint, DestinationAccount, options ?? SmallBatches);
    }

    /// <summary>Stops every mailbox's proxies.</summary>
    private sealed class Mailboxes(IReadOnlyList<Mailbox> mailboxes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var mailbox in mailboxes)
            {
                await mailbox.SourceProxy.DisposeAsync();
                await mailbox.DestinationProxy.DisposeAsync();
            }
        }
    }
}
