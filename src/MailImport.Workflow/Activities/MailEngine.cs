using MailImport.Core.Batches;
using MailImport.Core.Sources;
using MailImport.Infrastructure.Settings;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Folders;
using MailImport.Mail.Sync;
using MailKit.Net.Imap;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Activities;

/// <summary>What a mailbox's steps need from mail servers: the source's listing and a chunk's copy. The steps reach mail
/// only through it, as mbsync's sync loop reaches its stores only through its driver interface; the product registers
/// <see cref="MailKitEngine"/>, and a benchmark of the orchestrations may register an engine that costs next to nothing.</summary>
public interface IMailEngine
{
    /// <summary>Logs in at the source and counts what a copy would take (for a dry run of a Gmail source, what its
    /// labels would do).</summary>
    /// <exception cref="MailImport.Mail.Errors.MailFailureException">The source refused or failed, classified.</exception>
    Task<SourceCheckResult> ListSourceAsync(BatchDefinition batch, MailAccount account, bool dryRun, CancellationToken cancellationToken);

    /// <summary>Copies up to <paramref name="budget"/> of the mailbox and saves where it got to in
    /// <paramref name="store"/> (<see cref="MailboxCopier.CopyChunkAsync"/>).</summary>
    Task<ChunkResult> CopyChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken);
}

/// <summary>The mail engine on MailKit: IMAP or POP3 at the source, IMAP at the destination.</summary>
public sealed class MailKitEngine(MailConnector connector, MailboxCopier copier, IOptions<DestinationOptions> destination) : IMailEngine
{
    /// <inheritdoc/>
    public async Task<SourceCheckResult> ListSourceAsync(BatchDefinition batch, MailAccount account, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var endpoint = ServerEndpoint.Of(batch.Source);
        if (batch.Source.Protocol == MailProtocol.Pop3)
        {
            using var pop3 = await connector.OpenPop3Async(endpoint, account, MailSide.Source, cancellationToken);
            var sizes = await pop3.GetMessageSizesAsync(cancellationToken);
            await pop3.DisconnectAsync(true, cancellationToken);
            return new SourceCheckResult(StepResult.Success, ["INBOX"], sizes.Count, sizes.Sum(s => (long)s));
        }

        using var imap = await connector.OpenImapAsync(endpoint, account, MailSide.Source, cancellationToken);
        // The dry run lists exactly what a copy would take (Gmail's All Mail left out unless asked for).
        var plan = await SourceFolders.PlanAsync(imap, batch.Source.Provider, batch.Options.IncludeGmailAllMail, cancellationToken);
        // Gmail (X-GM-EXT-1): what the chosen mode would put in each destination folder, read from All Mail's labels.
        // Only a dry run: a copy's first chunk reads the labels anyway, and once per run is enough.
        if (dryRun && await GmailDryRun.PlanAsync(imap, plan, MailboxSteps.CopyOptionsOf(batch), cancellationToken) is { } gmail)
        {
            await imap.DisconnectAsync(true, cancellationToken);
            return new SourceCheckResult(StepResult.Success, gmail.Folders, gmail.Messages, gmail.Bytes, GmailLabels: gmail.Labels);
        }

        // STATUS SIZE (RFC 8438) is the only cheap size an IMAP server gives: without it the size stays unknown.
        var bytesKnown = (imap.Capabilities & ImapCapabilities.StatusSize) != 0;
        await imap.DisconnectAsync(true, cancellationToken);
        // No destination mailbox exists yet to ask for its separator: the configured one names the folders the copy
        // will rename, with the copy's own rule.
        var renamed = FolderMapper.Renames(plan.Plans, FolderMapper.DestinationNames(plan.Plans, destination.Value.HierarchySeparator[0]), FolderMapper.LandsInRoleFolder);
        return new SourceCheckResult(StepResult.Success, plan.Plans.Select(p => p.SourceFullName).ToList(), plan.Messages, plan.Bytes, BytesKnown: bytesKnown,
            Renamed: renamed.Count > 0 ? renamed : null);
    }

    /// <inheritdoc/>
    public Task<ChunkResult> CopyChunkAsync(MailboxJob job, ICursorStore store, ChunkBudget budget, CancellationToken cancellationToken) =>
        copier.CopyChunkAsync(job, store, budget, cancellationToken);
}
