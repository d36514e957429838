using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Connections;

/// <summary>An <see cref="ImapClient"/> whose namespace root can CREATE a folder by its full name in one command.</summary>
/// <remarks>MailKit's <see cref="ImapFolder.CreateAsync(string, bool, CancellationToken)"/> takes one level and refuses a
/// name holding the separator, so "A.B" under a missing "A" would cost a CREATE of "A" first: a real, empty folder where
/// the source had only a \Noselect parent. One CREATE of the full name lets the server make the superior hierarchy the
/// way it does (RFC 3501 section 6.3.3, RFC 9051 section 6.3.4). <c>CreateImapFolder</c> is MailKit's documented hook
/// for folder subclasses.</remarks>
public sealed class HierarchyImapClient(IProtocolLogger protocolLogger) : ImapClient(protocolLogger)
{
    /// <summary>Where this connection's FETCH literals are written (<see cref="Sync.MessageSpool"/>); null keeps MailKit's
    /// own memory streams.</summary>
    internal Sync.MessageSpool? Spool { get; set; }

    /// <summary>The text of the last [ALERT] the server sent (RFC 3501 section 7.1). MailKit keeps an ALERT's text out
    /// of the refused command's exception (it is no error code), and Gmail says its bandwidth limit only so:
    /// "NO [ALERT] Account exceeded command or bandwidth limits. (Failure)".</summary>
    public string? LastAlert { get; private set; }

    /// <summary>The account's limit, when the last [ALERT] said the source account is over it (Gmail's bandwidth or
    /// command limit, https://support.google.com/a/answer/1071518); null otherwise. A command refused after such an
    /// ALERT was refused for the limit, whatever its own NO says.</summary>
    public static MailFailure? SourceLimitAlert(ImapClient client) =>
        client is HierarchyImapClient { LastAlert: { } alert }
        && MailErrorClassifier.ClassifyResponseText(alert, MailSide.Source) is { Code: ErrorCode.SourceLimitReached } limit
            ? limit
            : null;

    /// <inheritdoc/>
    protected override void OnAlert(string message)
    {
        LastAlert = message;
        base.OnAlert(message);
    }

    /// <inheritdoc/>
    protected override ImapFolder CreateImapFolder(ImapFolderConstructorArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.FullName.Length == 0 ? new NamespaceRootFolder(args)
            : Spool is { } spool ? new SpooledImapFolder(args, spool)
            : base.CreateImapFolder(args);
    }
}

/// <summary>A folder whose fetched literals go straight into a <see cref="Sync.MessageSpool"/>.</summary>
/// <remarks>MailKit reads a FETCH literal whole into the stream its folder's CreateStream returns, a MemoryBlockStream
/// by default (ImapFolderFetch.cs); its documentation names this override as the way to put large message data
/// elsewhere, such as temporary files. The literal's length is known before its first byte, so a large message never
/// touches memory beyond a buffer.</remarks>
internal sealed class SpooledImapFolder(ImapFolderConstructorArgs args, Sync.MessageSpool spool) : ImapFolder(args)
{
    /// <inheritdoc/>
    protected override Stream CreateStream(UniqueId? uid, string section, int offset, int length) => spool.CreateWriter(length);
}

/// <summary>The root of a namespace without a prefix (full name ""), the parent of every top-level folder.</summary>
internal sealed class NamespaceRootFolder(ImapFolderConstructorArgs args) : ImapFolder(args)
{
    /// <summary>CREATEs <paramref name="fullName"/> as one command, separators and all; the server makes whatever
    /// superior names it needs, as it keeps them (a \Noselect parent, or none).</summary>
    public async Task<IMailFolder?> CreateByFullNameAsync(string fullName, CancellationToken cancellationToken)
    {
        // Without a separator MailKit takes the name whole; under the root it puts nothing before it.
        var separator = DirectorySeparator;
        DirectorySeparator = '\0';
        try
        {
            return await CreateAsync(fullName, isMessageFolder: true, cancellationToken);
        }
        finally
        {
            DirectorySeparator = separator;
        }
    }
}
