using System.Globalization;
using System.Text.Json;
using MailImport.Core;
using MailImport.Infrastructure.Storage;

namespace MailImport.Infrastructure.Secrets;

/// <summary>A destination password MailImport generated, as the admin downloads it.</summary>
/// <param name="Line">The credential line it was made for.</param>
/// <param name="Login">The destination mailbox it opens.</param>
/// <param name="Password">The password.</param>
public sealed record GeneratedPassword(int Line, string Login, Secret Password);

/// <summary>The passwords MailImport generates for token lines that give none, handed to the admin once.</summary>
/// <remarks>
/// <para>Each is sealed with the batch's data key like the lines' passwords (its own associated data, <c>gen</c>) in a
/// record of its line under the batch's sealed passwords, so close and crypto-shredding take it with them. It goes
/// through two names: <c>{line}.pending</c> from the moment it is drawn until the destination has the mailbox with it,
/// then <c>{line}.ready</c> until the admin downloads it; the download deletes each record it hands out.</para>
/// <para>Which lines' passwords are ready is also kept in one record beside them (<see cref="BatchStorage.GeneratedPasswordsWaitingName"/>),
/// so a status counts them with one read instead of listing a record per line.</para>
/// <para>So a step delivered again, or retried after the destination created the mailbox but before the step ended,
/// finds the pending password and uses it again: the mailbox never gets a password the admin does not see.</para>
/// </remarks>
public sealed partial class BatchSecrets
{
    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web);

    /// <summary>The password drawn for the line's new mailbox: the one drawn before if there is one still pending, else
    /// <paramref name="generate"/>'s, stored before it is returned (of two concurrent steps the first to store wins).</summary>
    public async Task<Secret> GeneratedPasswordAsync(string batchId, int line, string login, Func<Secret> generate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(generate);
        var key = await GetKeyAsync(batchId, cancellationToken);
        var name = BatchStorage.GeneratedPasswordName(batchId, line, handedOut: false);
        while (true)
        {
            if (await storage.LoadRecordAsync(name, cancellationToken) is { } stored)
            {
                return OpenGenerated(key, batchId, line, stored.Content).Password;
            }

            var password = generate();
            var record = new GeneratedRecord(login, Seal(key, batchId, line, LinePassword.Generated, password));
            if (await storage.SaveRecordAsync(name, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(record, RecordJson)), null, cancellationToken))
            {
                return password;
            }

            // Another delivery of the step stored one first: that one is the mailbox's.
        }
    }

    /// <summary>After the destination has the line's mailbox with <paramref name="password"/>: the pending generated
    /// password becomes downloadable when it is that password, and is dropped when it is not (the mailbox was made with
    /// a password from a corrected file). True when one became downloadable.</summary>
    public async Task<bool> HandOutGeneratedAsync(string batchId, int line, Secret? password, CancellationToken cancellationToken)
    {
        var name = BatchStorage.GeneratedPasswordName(batchId, line, handedOut: false);
        if (await storage.LoadRecordAsync(name, cancellationToken) is not { } stored)
        {
            return false;
        }

        var key = await GetKeyAsync(batchId, cancellationToken);
        var handOut = password is not null && OpenGenerated(key, batchId, line, stored.Content).Password.Equals(password);
        if (handOut)
        {
            // Already there when an earlier delivery got this far: the same sealed password either way.
            await storage.SaveRecordAsync(BatchStorage.GeneratedPasswordName(batchId, line, handedOut: true), stored.Content, null, cancellationToken);
            // Counted before the pending record goes: a delivery that stops in between finds it again and counts it then.
            await ChangeWaitingAsync(batchId, waiting => waiting.Add(line), cancellationToken);
        }

        await storage.DeleteRecordAsync(name, stored.ETag, cancellationToken);
        return handOut;
    }

    /// <summary>How many generated passwords wait to be downloaded: one read of the waiting lines' record, or, for a
    /// batch that has none (it never had a password ready, or it had them before the record was kept), a listing.</summary>
    public async Task<int> CountGeneratedAsync(string batchId, CancellationToken cancellationToken) =>
        await storage.LoadRecordAsync(BatchStorage.GeneratedPasswordsWaitingName(batchId), cancellationToken) is { } waiting
            ? ReadWaiting(waiting.Content).Count
            : (await ListReadyAsync(batchId, cancellationToken)).Count;

    /// <summary>The lines whose generated password is ready, by their records' names.</summary>
    private async Task<SortedSet<int>> ListReadyAsync(string batchId, CancellationToken cancellationToken)
    {
        var prefix = BatchStorage.GeneratedPasswordsPrefix(batchId);
        var lines = new SortedSet<int>();
        await foreach (var name in storage.ListRecordNamesAsync(prefix, cancellationToken))
        {
            if (ReadyLine(prefix, name) is { } line)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    private static int? ReadyLine(string prefix, string name) =>
        name.EndsWith(".ready", StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - ".ready".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            ? line
            : null;

    /// <summary>Changes the waiting lines' record under <c>If-Match</c> (a new one made from the ready records that are
    /// there), so concurrent steps and downloads each keep the others' lines; nothing is written when
    /// <paramref name="change"/> changes nothing.</summary>
    private async Task ChangeWaitingAsync(string batchId, Func<SortedSet<int>, bool> change, CancellationToken cancellationToken)
    {
        var name = BatchStorage.GeneratedPasswordsWaitingName(batchId);
        while (true)
        {
            var stored = await storage.LoadRecordAsync(name, cancellationToken);
            var waiting = stored is { } record ? ReadWaiting(record.Content) : await ListReadyAsync(batchId, cancellationToken);
            if (!change(waiting) && stored is not null)
            {
                return;
            }

            if (await storage.SaveRecordAsync(name, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(waiting, RecordJson)), stored?.ETag, cancellationToken))
            {
                return;
            }
        }
    }

    private static SortedSet<int> ReadWaiting(BinaryData content) => JsonSerializer.Deserialize<SortedSet<int>>(content.ToMemory().Span, RecordJson) ?? [];

    /// <summary>Every downloadable generated password, by line, each deleted as it is taken: a password is handed out by
    /// the one call that deleted its record, so two downloads at once never both get it.</summary>
    public async Task<IReadOnlyList<GeneratedPassword>> TakeGeneratedAsync(string batchId, CancellationToken cancellationToken)
    {
        var prefix = BatchStorage.GeneratedPasswordsPrefix(batchId);
        var taken = new List<GeneratedPassword>();
        await foreach (var name in storage.ListRecordNamesAsync(prefix, cancellationToken))
        {
            if (ReadyLine(prefix, name) is not { } line || await storage.LoadRecordAsync(name, cancellationToken) is not { } stored)
            {
                continue;
            }

            var password = OpenGenerated(await GetKeyAsync(batchId, cancellationToken), batchId, line, stored.Content);
            if (await storage.DeleteRecordAsync(name, stored.ETag, cancellationToken))
            {
                taken.Add(password);
            }
        }

        if (taken.Count > 0)
        {
            // Not the caller's token: the records are gone, so the count must go down with them.
            await ChangeWaitingAsync(batchId, waiting => taken.Aggregate(false, (changed, p) => waiting.Remove(p.Line) | changed), CancellationToken.None);
        }

        return taken.OrderBy(p => p.Line).ToList();
    }

    private static GeneratedPassword OpenGenerated(DataKey key, string batchId, int line, BinaryData content)
    {
        var record = JsonSerializer.Deserialize<GeneratedRecord>(content.ToMemory().Span, RecordJson)!;
        return new GeneratedPassword(line, record.Login, Open(key, batchId, line, LinePassword.Generated, record.Sealed));
    }

    /// <summary>The record of one generated password: the mailbox's login (no secret) and the sealed password.</summary>
    private sealed record GeneratedRecord(string Login, string Sealed);
}
