using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Core.Rules;

namespace MailImport.Workflow.Activities;

/// <summary>Folds a corrected credential file into a batch's manifest.</summary>
/// <remarks>
/// A mailbox is known by its line number: its secrets and its cursor are named after it. So a line of the corrected
/// file whose source login the batch already has takes that mailbox's line number (its cursor stays attached and
/// nothing is copied twice); a login the batch has never seen gets a new number after the highest. Mailboxes the
/// corrected file does not mention keep their entries and report lines.
/// </remarks>
public static class ManifestMerge
{
    /// <summary>The batch's manifest after the corrected file, and the parse result renumbered to batch lines.</summary>
    public static (Manifest Manifest, IReadOnlyList<CredentialEntry> Entries) Merge(Manifest? existing, CredentialParseResult corrected)
    {
        ArgumentNullException.ThrowIfNull(corrected);
        var invalid = MailboxReport.ForInvalidLines(corrected);
        if (existing is null)
        {
            return (new Manifest(corrected.Entries.Select(Entry).ToList(), invalid), corrected.Entries);
        }

        var known = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in existing.Invalid.Where(l => l.SourceLogin.Length > 0))
        {
            known[line.SourceLogin] = line.LineNumber;
        }

        foreach (var entry in existing.Entries)
        {
            known[entry.SourceLogin] = entry.Line;
        }

        var next = existing.Entries.Select(e => e.Line).Concat(existing.Invalid.Select(l => l.LineNumber)).DefaultIfEmpty(0).Max() + 1;
        var lineOf = new Dictionary<int, int>();
        var logins = corrected.Entries.Select(e => (e.LineNumber, Login: (string?)e.SourceLogin))
            .Concat(invalid.Select(l => (l.LineNumber, Login: l.SourceLogin.Length > 0 ? l.SourceLogin : null)))
            .OrderBy(l => l.LineNumber);
        foreach (var (fileLine, login) in logins)
        {
            lineOf[fileLine] = login is not null && known.TryGetValue(login, out var batchLine) && !lineOf.ContainsValue(batchLine) ? batchLine : next++;
        }

        var mentioned = lineOf.Values.ToHashSet();
        var keptEntries = existing.Entries.Where(e => !mentioned.Contains(e.Line)).ToList();
        var keptInvalid = existing.Invalid.Where(l => !mentioned.Contains(l.LineNumber)).ToList();

        // The corrected file was checked against itself only; a line of it may still name a username that a mailbox it
        // does not mention already imports into. Every kept line claims its username, valid or not, as in one file.
        var claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, username) in keptEntries.Select(e => (e.Line, e.DestinationUsername)).Concat(keptInvalid.Select(l => (l.LineNumber, l.DestinationUsername))))
        {
            if (username.Length > 0)
            {
                claimed.TryAdd(DestinationRules.MailboxKey(username), line);
            }
        }

        var entries = new List<CredentialEntry>();
        var conflicts = new List<MailboxReport>();
        foreach (var entry in corrected.Entries.Select(e => e with { LineNumber = lineOf[e.LineNumber] }))
        {
            if (claimed.TryGetValue(DestinationRules.MailboxKey(entry.DestinationUsername), out var owner))
            {
                conflicts.Add(MailboxReport.ForInvalidLine(entry.LineNumber, [new CredentialProblem(entry.LineNumber, ErrorCode.LineDuplicateDestination,
                    $"The destination username '{entry.DestinationUsername}' is already used by line {owner} of this batch; remove this line or give it another username.",
                    entry.SourceLogin, entry.DestinationUsername)]));
            }
            else
            {
                entries.Add(entry);
            }
        }

        var manifest = new Manifest(
            keptEntries.Concat(entries.Select(Entry)).OrderBy(e => e.Line).ToList(),
            keptInvalid.Concat(invalid.Select(l => l with { LineNumber = lineOf[l.LineNumber] })).Concat(conflicts)
                .OrderBy(l => l.LineNumber).ToList());
        return (manifest, entries);
    }

    private static ManifestEntry Entry(CredentialEntry entry) =>
        new(entry.LineNumber, entry.SourceLogin, entry.DestinationUsername) { FirstName = entry.FirstName, LastName = entry.LastName };
}
