using MailImport.Mail.Folders;
using MailKit;

namespace MailImport.Mail.Sync;

/// <summary>A source's name for one message: its UID in an IMAP folder (RFC 3501 section 2.3.1.1) or its POP3
/// unique-id listing (UIDL, RFC 1939 section 7).</summary>
internal readonly record struct SourceKey
{
    private SourceKey(uint? uid, string? uidl)
    {
        Uid = uid;
        Uidl = uidl;
    }

    /// <summary>The IMAP UID, for an IMAP source.</summary>
    public uint? Uid { get; }

    /// <summary>The UIDL, for a POP3 source.</summary>
    public string? Uidl { get; }

    /// <summary>The key of the message with this UID in its IMAP folder.</summary>
    public static SourceKey OfUid(uint uid) => new(uid, null);

    /// <summary>The key of the message with this UIDL in a POP3 maildrop.</summary>
    public static SourceKey OfUidl(string uidl) => new(null, uidl ?? throw new ArgumentNullException(nameof(uidl)));

    /// <summary>"UID 42" or "UIDL abc": how a log line or a report names the message, never by its content.</summary>
    public override string ToString() => Uid is { } uid ? $"UID {uid}" : $"UIDL {Uidl}";
}

/// <summary>One message a source listed for copying, with what the destination keeps of it besides its bytes.</summary>
/// <param name="Key">The source's name for it.</param>
/// <param name="Size">Its size in bytes as the source reports it (RFC822.SIZE, or POP3's LIST).</param>
/// <param name="Flags">System flags to carry over (none for POP3).</param>
/// <param name="Keywords">Keywords to carry over (none for POP3).</param>
/// <param name="InternalDate">The INTERNALDATE to keep; null where the source has none before the message is read.</param>
internal sealed record SourceMessage(SourceKey Key, long Size, MessageFlags Flags, IReadOnlySet<string> Keywords, DateTimeOffset? InternalDate);

/// <summary>One page of a folder's new messages.</summary>
/// <param name="Listed">Every message the page asked the source for; those gone meanwhile count as handled.</param>
/// <param name="Messages">The messages the source still had, in copy order.</param>
internal sealed record MessageSlice(IReadOnlyList<SourceKey> Listed, IReadOnlyList<SourceMessage> Messages);

/// <summary>What a copy of one source takes.</summary>
/// <param name="Folders">The folders to copy, in copy order, each with where it lands.</param>
/// <param name="Messages">Messages at the source in those folders now.</param>
/// <param name="Bytes">Bytes at the source in those folders now (0 where the source does not say).</param>
/// <param name="Refused">Folders the source would not say what they hold (STATUS answered NO), each with why.</param>
/// <param name="GmailNotCopied">A Gmail source copied by message or per label: the messages of Spam and Trash left out
/// because they were not asked for; null for any other copy.</param>
internal sealed record SourcePlan(IReadOnlyList<FolderPlan> Folders, long Messages, long Bytes, IReadOnlyList<(string Folder, MailImport.Core.Errors.MailFailure Failure)>? Refused = null,
    (long Spam, long Trash)? GmailNotCopied = null);
