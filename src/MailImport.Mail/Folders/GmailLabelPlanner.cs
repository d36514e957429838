using System.Text;

namespace MailImport.Mail.Folders;

/// <summary>How a Gmail source (one that announces X-GM-EXT-1) is copied.</summary>
public enum GmailCopyMode
{
    /// <summary>By message: every message of All Mail once, in one folder chosen by <see cref="GmailLabelPlanner"/>, its
    /// other labels kept as keywords. The default.</summary>
    Labels,
    /// <summary>One copy per label: a message with three labels is copied into three folders; label-less mail into Archive.</summary>
    CopyPerLabel,
    /// <summary>Folders as Gmail lists them, All Mail left out but its label-less mail copied into Archive.</summary>
    Folders,
}

/// <summary>Where one Gmail message lands.</summary>
/// <param name="Path">The destination folder, one element per level ("Projects/Alpha" is two); empty for a role folder.</param>
/// <param name="Role">INBOX, Sent, Drafts or Archive, landing in the destination's own folder of that role; None for a label's folder.</param>
/// <param name="Keywords">The message's other user labels, as IMAP keywords.</param>
/// <param name="LabelsNotKept">Labels this placement keeps neither as the folder nor as a keyword (a second system
/// folder's label, such as Inbox on a sent message).</param>
public sealed record GmailPlacement(IReadOnlyList<string> Path, FolderRole Role, IReadOnlySet<string> Keywords, int LabelsNotKept)
{
    /// <summary>A name for the placement's folder that no two placements share: the role, or the label.</summary>
    public string Name => Role == FolderRole.None ? string.Join('/', Path) : $"\\{Role}";
}

/// <summary>Places Gmail messages by their X-GM-LABELS (https://developers.google.com/gmail/imap/imap-extensions,
/// "Access to Gmail labels: X-GM-LABELS"): Gmail keeps one copy of each message and shows it in a folder per label, so
/// a copy that takes each folder duplicates every message with two labels, and one that skips All Mail loses the
/// messages that have none (archived mail).</summary>
/// <remarks>
/// <para>By message, one folder, the first that applies: Drafts (<c>\Draft</c>), Sent (<c>\Sent</c>), INBOX
/// (<c>\Inbox</c>), the first user label in ordinal order of its name, else Archive. A draft is never read as received
/// mail, sent mail is found where the user looks for it, and the label order is the same on every run.</para>
/// <para>The other user labels become keywords. <c>\Starred</c> is the message's <c>\Flagged</c> flag, which Gmail
/// already sets on starred mail; <c>\Important</c> and Chats are Gmail's own sorting and become neither folder nor keyword.</para>
/// </remarks>
public static class GmailLabelPlanner
{
    /// <summary>The system labels X-GM-LABELS lists, as the extensions page spells them.</summary>
    public const string Inbox = @"\Inbox", Sent = @"\Sent", Draft = @"\Draft", Starred = @"\Starred", Important = @"\Important";

    private static readonly IReadOnlySet<string> NoKeywords = new HashSet<string>();

    /// <summary>The one folder a message goes to in <see cref="GmailCopyMode.Labels"/>, and its keywords.</summary>
    public static GmailPlacement PlaceOnce(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var set = labels.ToHashSet(StringComparer.Ordinal);
        var user = UserLabels(set);
        var systemFolders = new[] { (Draft, FolderRole.Drafts), (Sent, FolderRole.Sent), (Inbox, FolderRole.Inbox) }.Where(s => set.Contains(s.Item1)).ToList();
        if (systemFolders.Count > 0)
        {
            return new GmailPlacement([], systemFolders[0].Item2, Keywords(user), systemFolders.Count - 1 + NotKeywords(user));
        }

        if (user.Count > 0)
        {
            var rest = user.Skip(1).ToList();
            return new GmailPlacement(user[0].Split('/'), FolderRole.None, Keywords(rest), NotKeywords(rest));
        }

        return new GmailPlacement([], FolderRole.Archive, NoKeywords, 0);
    }

    /// <summary>Every folder a message goes to in <see cref="GmailCopyMode.CopyPerLabel"/>: one per system folder label and
    /// per user label, no keywords; Archive when it has none.</summary>
    public static IReadOnlyList<GmailPlacement> PlacePerLabel(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var set = labels.ToHashSet(StringComparer.Ordinal);
        var placements = new[] { (Draft, FolderRole.Drafts), (Sent, FolderRole.Sent), (Inbox, FolderRole.Inbox) }
            .Where(s => set.Contains(s.Item1))
            .Select(s => new GmailPlacement([], s.Item2, NoKeywords, 0))
            .Concat(UserLabels(set).Select(l => new GmailPlacement(l.Split('/'), FolderRole.None, NoKeywords, 0)))
            .ToList();
        return placements.Count > 0 ? placements : [new GmailPlacement([], FolderRole.Archive, NoKeywords, 0)];
    }

    /// <summary>True when a message has no label that is a folder: Gmail shows it in All Mail alone.</summary>
    public static bool IsLabelless(IEnumerable<string> labels) => PlaceOnce(labels).Role == FolderRole.Archive;

    /// <summary>A label as an IMAP keyword, which must be an atom (RFC 3501 section 9, <c>flag-keyword</c>): ASCII
    /// without space, parentheses, braces, '%', '*', '"', '\' or ']'. A space or one of those becomes '_'; a run of
    /// other characters (Cyrillic, say) is written in modified UTF-7 as mailbox names are (RFC 3501 section 5.1.3), so
    /// "Проекты" stays readable back; null for a label that comes out empty.</summary>
    public static string? Keyword(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var keyword = new StringBuilder();
        for (var i = 0; i < label.Length;)
        {
            var c = label[i];
            if (c is >= ' ' and <= '~')
            {
                keyword.Append(c is ' ' or '(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']' ? '_' : c == '&' ? "&-" : c.ToString());
                i++;
                continue;
            }

            var start = i;
            while (i < label.Length && label[i] is < ' ' or > '~')
            {
                i++;
            }

            var utf16 = Encoding.BigEndianUnicode.GetBytes(label[start..i]);
            keyword.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
        }

        return keyword.Length == 0 ? null : keyword.ToString();
    }

    /// <summary>User labels in the order that picks a message's folder: ordinal by name; system labels (a leading '\')
    /// and Gmail's own ones that are no folder of the user's left out.</summary>
    private static List<string> UserLabels(IReadOnlySet<string> labels) =>
        labels.Where(l => l.Length > 0 && !l.StartsWith('\\') && !IsGmailOwn(l)).Order(StringComparer.Ordinal).ToList();

    private static bool IsGmailOwn(string label) =>
        label.Equals("Chats", StringComparison.OrdinalIgnoreCase) || label.Equals("[Gmail]/Chats", StringComparison.OrdinalIgnoreCase)
        || label.Equals("Important", StringComparison.OrdinalIgnoreCase);

    private static HashSet<string> Keywords(IEnumerable<string> labels) =>
        labels.Select(Keyword).OfType<string>().ToHashSet(StringComparer.Ordinal);

    private static int NotKeywords(IEnumerable<string> labels) => labels.Count(l => Keyword(l) is null);
}
