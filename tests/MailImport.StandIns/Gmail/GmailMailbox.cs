namespace MailImport.StandIns.Gmail;

/// <summary>One message as a test describes it to the Gmail stand-in: its bytes, its labels and its flags.</summary>
/// <param name="Raw">The message exactly as stored; UID FETCH BODY.PEEK[] returns these bytes.</param>
/// <param name="Labels">Gmail's labels: system ones as Gmail spells them in X-GM-LABELS (<c>\Inbox</c>, <c>\Sent</c>,
/// <c>\Draft</c>, <c>\Starred</c>, <c>\Important</c>), user labels by name ("Work/Clients" nests under "Work"), and
/// <c>\Spam</c> or <c>\Trash</c> for a message in those folders (which All Mail does not show).</param>
/// <param name="Flags">IMAP flags such as <c>\Seen</c>; <c>\Flagged</c> follows <c>\Starred</c> and is not given here.</param>
/// <param name="InternalDate">The INTERNALDATE.</param>
public sealed record GmailSeed(byte[] Raw, IReadOnlyList<string> Labels, IReadOnlyList<string> Flags, DateTimeOffset InternalDate);

/// <summary>One Gmail account's single store of messages, of which INBOX, All Mail and every label folder are views.</summary>
/// <remarks>
/// Google's "IMAP Extensions" page (https://developers.google.com/gmail/imap/imap-extensions) is the model: X-GM-MSGID
/// is one message's id wherever it shows ("Access to the Gmail unique message ID: X-GM-MSGID"), X-GM-LABELS lists its
/// labels ("Access to Gmail labels: X-GM-LABELS"), and LIST carries the special-use attributes \All \Drafts \Sent
/// \Junk \Trash \Flagged \Important on every answer ("Special-Use Extension of the LIST command"). A message enters a
/// view with a new UID of that view and leaves it when the label goes, as a label folder behaves in Gmail; Spam and
/// Trash hold what All Mail does not.
/// </remarks>
public sealed class GmailMailbox
{
    /// <summary>The folders every account has, with their LIST attributes and the label each shows.</summary>
    internal static readonly IReadOnlyList<(string Name, string Attributes, string? Label)> SystemFolders =
    [
        ("INBOX", @"\HasNoChildren", @"\Inbox"),
        ("[Gmail]", @"\HasChildren \Noselect", null),
        ("[Gmail]/All Mail", @"\All \HasNoChildren", null),
        ("[Gmail]/Drafts", @"\Drafts \HasNoChildren", @"\Draft"),
        ("[Gmail]/Important", @"\HasNoChildren \Important", @"\Important"),
        ("[Gmail]/Sent Mail", @"\HasNoChildren \Sent", @"\Sent"),
        ("[Gmail]/Spam", @"\HasNoChildren \Junk", @"\Spam"),
        ("[Gmail]/Starred", @"\Flagged \HasNoChildren", @"\Starred"),
        ("[Gmail]/Trash", @"\HasNoChildren \Trash", @"\Trash"),
    ];

    private readonly object gate = new();
    private readonly List<StoredMessage> messages = [];
    private readonly Dictionary<string, uint> uidNext = new(StringComparer.Ordinal);
    private readonly Dictionary<string, uint> renumbered = new(StringComparer.Ordinal);
    private ulong nextMessageId = 1_278_455_344_230_334_865;

    internal GmailMailbox(string login, string password)
    {
        Login = login;
        Password = password;
    }

    /// <summary>The login.</summary>
    public string Login { get; }

    internal string Password { get; }

    /// <summary>The OAuth access token XOAUTH2 accepts for this account, when one is set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Adds messages in order; returns each one's X-GM-MSGID.</summary>
    public IReadOnlyList<ulong> Add(params GmailSeed[] seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        lock (gate)
        {
            return seeds.Select(seed =>
            {
                var message = new StoredMessage(nextMessageId++, seed.Raw, seed.InternalDate, seed.Labels, seed.Flags);
                messages.Add(message);
                return message.MessageId;
            }).ToList();
        }
    }

    /// <summary>Replaces a message's labels, as a user relabelling in the web UI does: it leaves the views it no longer
    /// belongs to and enters new ones with new UIDs; its X-GM-MSGID stays.</summary>
    public void Relabel(ulong messageId, params string[] labels)
    {
        lock (gate)
        {
            var message = messages.Single(m => m.MessageId == messageId);
            message.Labels.Clear();
            message.Labels.UnionWith(labels);
        }
    }

    /// <summary>Every folder LIST shows, in order, with its attributes: the system folders, then one per user label and
    /// a \Noselect parent for a nested label whose parent is no label.</summary>
    internal IReadOnlyList<(string Name, string Attributes)> Folders()
    {
        lock (gate)
        {
            var userLabels = messages.SelectMany(m => m.Labels).Where(l => !l.StartsWith('\\')).ToHashSet(StringComparer.Ordinal);
            var parents = userLabels.SelectMany(Parents).Where(p => !userLabels.Contains(p)).ToHashSet(StringComparer.Ordinal);
            return
            [
                .. SystemFolders.Select(f => (f.Name, f.Attributes)),
                .. userLabels.Concat(parents).Order(StringComparer.Ordinal).Select(name => (name,
                    (parents.Contains(name) ? @"\Noselect " : "") + (userLabels.Any(l => l.StartsWith(name + "/", StringComparison.Ordinal)) ? @"\HasChildren" : @"\HasNoChildren"))),
            ];
        }
    }

    /// <summary>True when the folder exists and can be selected.</summary>
    internal bool Selectable(string folder) => Folders().Any(f => f.Name == folder && !f.Attributes.Contains(@"\Noselect", StringComparison.Ordinal));

    /// <summary>The folder's messages in UID order, each with its UID in that folder; UIDs are given as messages enter.</summary>
    internal IReadOnlyList<(uint Uid, StoredMessage Message)> View(string folder)
    {
        lock (gate)
        {
            var view = new List<(uint, StoredMessage)>();
            foreach (var message in messages)
            {
                if (!Shows(folder, message))
                {
                    message.Uids.Remove(folder);
                    continue;
                }

                if (!message.Uids.TryGetValue(folder, out var uid))
                {
                    uid = uidNext.GetValueOrDefault(folder, 1u);
                    uidNext[folder] = uid + 1;
                    message.Uids[folder] = uid;
                }

                view.Add((uid, message));
            }

            return view.OrderBy(v => v.Item1).ToList();
        }
    }

    /// <summary>The UID the next message entering the folder gets.</summary>
    internal uint UidNext(string folder)
    {
        View(folder);
        lock (gate)
        {
            return uidNext.GetValueOrDefault(folder, 1u);
        }
    }

    /// <summary>Each folder's UIDVALIDITY: fixed per name until <see cref="Renumber"/>.</summary>
    internal uint UidValidity(string folder)
    {
        lock (gate)
        {
            return 600_000u + (uint)(StringComparer.Ordinal.GetHashCode(folder) & 0xFFFF) % 1000u + renumbered.GetValueOrDefault(folder) * 1000u;
        }
    }

    /// <summary>Gives the folder's messages new UIDs, newest first from its UIDNEXT (so no old UID names a message any
    /// more), under a new UIDVALIDITY: what RFC 3501 section
    /// 2.3.1.1 requires of a server that cannot keep a folder's UIDs. X-GM-MSGID stays, as Google's IMAP Extensions page
    /// says of it ("Access to the Gmail unique message ID: X-GM-MSGID").</summary>
    public void Renumber(string folder)
    {
        View(folder);
        lock (gate)
        {
            renumbered[folder] = renumbered.GetValueOrDefault(folder) + 1;
            var next = uidNext.GetValueOrDefault(folder, 1u);
            foreach (var message in Enumerable.Reverse(messages).Where(m => m.Uids.ContainsKey(folder)))
            {
                message.Uids[folder] = next++;
            }

            uidNext[folder] = next;
        }
    }

    private static bool Shows(string folder, StoredMessage message)
    {
        var spamOrTrash = message.Labels.Contains(@"\Spam") || message.Labels.Contains(@"\Trash");
        if (folder == "[Gmail]/All Mail")
        {
            // All Mail holds every message but Spam's and Trash's.
            return !spamOrTrash;
        }

        var label = SystemFolders.FirstOrDefault(f => f.Name == folder).Label ?? folder;
        return message.Labels.Contains(label) && (!spamOrTrash || label is @"\Spam" or @"\Trash");
    }

    private static IEnumerable<string> Parents(string label)
    {
        for (var slash = label.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = label.IndexOf('/', slash + 1))
        {
            yield return label[..slash];
        }
    }
}

/// <summary>One message of the store.</summary>
internal sealed class StoredMessage(ulong messageId, byte[] raw, DateTimeOffset internalDate, IEnumerable<string> labels, IEnumerable<string> flags)
{
    public ulong MessageId { get; } = messageId;

    public byte[] Raw { get; } = raw;

    public DateTimeOffset InternalDate { get; } = internalDate;

    public HashSet<string> Labels { get; } = new(labels, StringComparer.Ordinal);

    public HashSet<string> Flags { get; } = new(flags, StringComparer.Ordinal);

    /// <summary>Its UID in each view it is in.</summary>
    public Dictionary<string, uint> Uids { get; } = new(StringComparer.Ordinal);

    /// <summary>The flags FETCH FLAGS answers: a starred message is \Flagged.</summary>
    public IEnumerable<string> FetchFlags => Labels.Contains(@"\Starred") ? Flags.Append(@"\Flagged").Distinct() : Flags;

    /// <summary>The labels X-GM-LABELS answers; Spam and Trash are the folders the message is in, not labels.</summary>
    public IEnumerable<string> FetchLabels => Labels.Where(l => l is not (@"\Spam" or @"\Trash")).Order(StringComparer.Ordinal);
}
