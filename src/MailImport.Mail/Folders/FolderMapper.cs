using MailImport.Core.Reports;
using MailImport.Core.Sources;
using MailKit;

namespace MailImport.Mail.Folders;

/// <summary>The role a folder plays, so it lands in the destination's folder of the same role.</summary>
public enum FolderRole
{
    /// <summary>An ordinary folder, copied under its own name.</summary>
    None,
    /// <summary>INBOX.</summary>
    Inbox,
    /// <summary>Sent mail.</summary>
    Sent,
    /// <summary>Drafts.</summary>
    Drafts,
    /// <summary>Deleted mail.</summary>
    Trash,
    /// <summary>Spam.</summary>
    Junk,
    /// <summary>Archived mail.</summary>
    Archive,
}

/// <summary>One source folder as the source lists it.</summary>
/// <param name="FullName">The full name, decoded from modified UTF-7.</param>
/// <param name="Separator">The source's hierarchy separator ('\0' when it has none).</param>
/// <param name="Attributes">The LIST attributes, including special-use ones (RFC 6154).</param>
public sealed record SourceFolder(string FullName, char Separator, FolderAttributes Attributes);

/// <summary>Where one source folder goes.</summary>
/// <param name="SourceFullName">The source folder.</param>
/// <param name="Path">The destination folder's name, one element per level, before the destination's separator joins them.</param>
/// <param name="Role">The role, for landing in the destination's own special-use folder.</param>
/// <param name="Subscribed">The source lists it as subscribed (LSUB): the destination folder is subscribed too.</param>
public sealed record FolderPlan(string SourceFullName, IReadOnlyList<string> Path, FolderRole Role, bool Subscribed = false);

/// <summary>The destination folder name of one planned folder.</summary>
/// <param name="FullName">The name, levels joined with the destination's separator.</param>
/// <param name="Renamed">Why the name is not the source's, when one of its levels had to change; null when it is the same.</param>
public sealed record DestinationFolderName(string FullName, string? Renamed);

/// <summary>Decides which source folders are copied, in what order, and where each one lands.</summary>
public static class FolderMapper
{
    // Servers without SPECIAL-USE are recognised by the names their web mail gives these folders.
    private static readonly Dictionary<string, FolderRole> RoleByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sent"] = FolderRole.Sent, ["Sent Items"] = FolderRole.Sent, ["Sent Messages"] = FolderRole.Sent, ["Sent Mail"] = FolderRole.Sent,
        ["Отправленные"] = FolderRole.Sent,
        ["Drafts"] = FolderRole.Drafts, ["Черновики"] = FolderRole.Drafts,
        ["Trash"] = FolderRole.Trash, ["Deleted Items"] = FolderRole.Trash, ["Deleted Messages"] = FolderRole.Trash, ["Bin"] = FolderRole.Trash,
        ["Корзина"] = FolderRole.Trash, ["Удаленные"] = FolderRole.Trash, ["Удалённые"] = FolderRole.Trash,
        ["Junk"] = FolderRole.Junk, ["Spam"] = FolderRole.Junk, ["Junk E-mail"] = FolderRole.Junk, ["Junk Email"] = FolderRole.Junk, ["Спам"] = FolderRole.Junk,
        ["Archive"] = FolderRole.Archive, ["Archives"] = FolderRole.Archive, ["Архив"] = FolderRole.Archive,
    };

    private static readonly string[] GmailRoots = ["[Gmail]", "[Google Mail]"];

    /// <summary>Plans the copy of every selectable folder: INBOX first, then special-use folders, then the rest by name.</summary>
    /// <param name="folders">The source's folders.</param>
    /// <param name="provider">The source provider; Gmail's label folders get special handling.</param>
    /// <param name="includeGmailAllMail">Copy Gmail's All Mail and Important, which repeat every labelled message.</param>
    public static IReadOnlyList<FolderPlan> Plan(IEnumerable<SourceFolder> folders, SourceProvider provider, bool includeGmailAllMail)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var gmail = provider == SourceProvider.Gmail;
        var plans = new List<FolderPlan>();
        var taken = new HashSet<FolderRole>();

        // Folders with a declared role claim it before folders that only have a telling name.
        var candidates = folders
            .Where(f => (f.Attributes & (FolderAttributes.NoSelect | FolderAttributes.NonExistent)) == 0)
            .Where(f => includeGmailAllMail || !gmail || (f.Attributes & (FolderAttributes.All | FolderAttributes.Important)) == 0)
            .Where(f => includeGmailAllMail || !gmail || !IsGmailDuplicateByName(f))
            .OrderBy(f => DeclaredRole(f) == FolderRole.None ? 1 : 0)
            .ThenBy(f => f.FullName, StringComparer.Ordinal);

        foreach (var folder in candidates)
        {
            var path = Split(folder);
            var role = DeclaredRole(folder);
            if (role == FolderRole.None)
            {
                role = RoleByTellingName(path, gmail);
            }

            if (gmail && path.Count > 1 && GmailRoots.Contains(path[0], StringComparer.OrdinalIgnoreCase))
            {
                // "[Gmail]/Starred" becomes "Starred": the [Gmail] parent means nothing at the destination.
                path = path.Skip(1).ToList();
            }

            if (role != FolderRole.None && !taken.Add(role))
            {
                role = FolderRole.None;
            }

            plans.Add(new FolderPlan(folder.FullName, path, role, (folder.Attributes & FolderAttributes.Subscribed) != 0));
        }

        return plans
            .OrderBy(p => p.Role switch { FolderRole.Inbox => 0, FolderRole.None => 2, _ => 1 })
            .ThenBy(p => string.Join('\u0001', p.Path), StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The role a folder's name tells where the server declares none: a top-level "Sent", a Courier-style
    /// "INBOX.Sent", or Gmail's "[Gmail]/Sent Mail" on servers without SPECIAL-USE.</summary>
    private static FolderRole RoleByTellingName(List<string> path, bool gmail)
    {
        var name = path.Count switch
        {
            1 => path[0],
            2 when path[0].Equals("INBOX", StringComparison.OrdinalIgnoreCase) => path[1],
            2 when gmail && GmailRoots.Contains(path[0], StringComparer.OrdinalIgnoreCase) => path[1],
            _ => null,
        };
        return name is not null && RoleByName.TryGetValue(name, out var role) ? role : FolderRole.None;
    }

    private static FolderRole DeclaredRole(SourceFolder folder)
    {
        if (folder.FullName.Equals("INBOX", StringComparison.OrdinalIgnoreCase) || (folder.Attributes & FolderAttributes.Inbox) != 0)
        {
            return FolderRole.Inbox;
        }

        var a = folder.Attributes;
        return (a & FolderAttributes.Sent) != 0 ? FolderRole.Sent
            : (a & FolderAttributes.Drafts) != 0 ? FolderRole.Drafts
            : (a & FolderAttributes.Trash) != 0 ? FolderRole.Trash
            : (a & FolderAttributes.Junk) != 0 ? FolderRole.Junk
            : (a & FolderAttributes.Archive) != 0 ? FolderRole.Archive
            : FolderRole.None;
    }

    private static bool IsGmailDuplicateByName(SourceFolder folder)
    {
        // Old Gmail servers list these without SPECIAL-USE attributes.
        var path = Split(folder);
        return path.Count == 2 && GmailRoots.Contains(path[0], StringComparer.OrdinalIgnoreCase)
            && (path[1].Equals("All Mail", StringComparison.OrdinalIgnoreCase) || path[1].Equals("Important", StringComparison.OrdinalIgnoreCase));
    }

    private static List<string> Split(SourceFolder folder) =>
        folder.Separator == '\0' ? [folder.FullName] : folder.FullName.Split(folder.Separator).ToList();

    /// <summary>Joins a planned path with the destination's separator; a separator inside a name becomes '_',
    /// since the destination would read it as another level.</summary>
    public static string DestinationName(IReadOnlyList<string> path, char separator)
    {
        ArgumentNullException.ThrowIfNull(path);
        return separator == '\0'
            ? string.Join('_', path)
            : string.Join(separator, path.Select(p => p.Replace(separator, '_')));
    }

    /// <summary>The destination name of every planned folder, keyed by source full name. A level holding the
    /// destination's separator (<c>Projects.2019</c> from a '/' source onto a '.' destination) has it replaced by '_',
    /// or the destination would make it two levels; should that name be another planned folder's, "_2", "_3", ...
    /// is added to the last level until it is no other's. A rename an earlier run made is kept as
    /// <paramref name="pinned"/> says (source full name to destination full name) and claimed first, so its mail
    /// stays in one folder whatever folders appear at the source later; names that did not change are claimed next,
    /// so a folder already called <c>Projects_2019</c> keeps its name (unless a pinned rename holds it, then it is
    /// renamed in turn); renamed ones then take theirs in plan order, the same on every run over the same folders.</summary>
    public static IReadOnlyDictionary<string, DestinationFolderName> DestinationNames(IReadOnlyList<FolderPlan> plans, char separator,
        IReadOnlyDictionary<string, string>? pinned = null)
    {
        ArgumentNullException.ThrowIfNull(plans);
        if (pinned is { Count: > 0 } && DestinationNames(plans, separator) is var fresh
            && pinned.All(p => !fresh.TryGetValue(p.Key, out var name) || name.FullName == p.Value))
        {
            // The folders are named as they were when the pins were made: nothing to hold against a newcomer.
            return fresh;
        }

        var names = new Dictionary<string, DestinationFolderName>(StringComparer.Ordinal);
        // INBOX is one name whatever its case (RFC 3501 section 5.1); other names are compared as the server keeps them.
        var taken = new HashSet<string>(StringComparer.Ordinal);
        static string Key(string name) => name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? "INBOX" : name;
        var what = separator == '\0' ? "the destination keeps no hierarchy, so its levels are joined with '_'"
            : $"'{separator}' is the destination's hierarchy separator, so each '{separator}' inside a level became '_'";
        var changed = new List<FolderPlan>();
        var held = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            if (pinned is not null && pinned.TryGetValue(plan.SourceFullName, out var kept) && taken.Add(Key(kept)))
            {
                names[plan.SourceFullName] = new DestinationFolderName(kept,
                    $"The name holds a character the destination cannot keep in a name: {what}; it keeps the name '{kept}' an earlier run gave it.");
                held[Key(kept)] = plan.SourceFullName;
            }
        }

        foreach (var plan in plans.Where(p => !names.ContainsKey(p.SourceFullName)))
        {
            var joined = DestinationName(plan.Path, separator);
            if (joined == Joined(plan.Path, separator) && !held.ContainsKey(Key(joined)))
            {
                names[plan.SourceFullName] = new DestinationFolderName(joined, null);
                taken.Add(Key(joined));
            }
            else
            {
                changed.Add(plan);
            }
        }

        foreach (var plan in changed)
        {
            var joined = DestinationName(plan.Path, separator);
            var name = joined;
            for (var n = 2; taken.Contains(Key(name)); n++)
            {
                name = $"{joined}_{n}";
            }

            taken.Add(Key(name));
            var why = joined == Joined(plan.Path, separator)
                ? $"The destination folder '{joined}' holds the mail of the source folder '{held[Key(joined)]}' since an earlier run, so this one became '{name}'."
                : name == joined
                ? $"The name holds a character the destination cannot keep in a name: {what}."
                : $"The name holds a character the destination cannot keep in a name: {what}; '{joined}' was another source folder's name, so it became '{name}'.";
            names[plan.SourceFullName] = new DestinationFolderName(name, why);
        }

        return names;
    }

    /// <summary>The planned folders whose destination name is not the source's, as the report lists them (old -> new,
    /// and why); a folder that <paramref name="landsInRoleFolder"/> (INBOX, or the destination's own Sent, Drafts, ...)
    /// takes that folder's name and is not listed. The copy and the dry run both list renames through here.</summary>
    public static IReadOnlyList<FolderNote> Renames(IReadOnlyList<FolderPlan> plans, IReadOnlyDictionary<string, DestinationFolderName> names, Func<FolderPlan, bool> landsInRoleFolder)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(landsInRoleFolder);
        return plans
            .Where(p => names[p.SourceFullName].Renamed is not null && !landsInRoleFolder(p))
            .Select(p => new FolderNote(p.SourceFullName, names[p.SourceFullName].FullName, FolderOutcome.Renamed, null, names[p.SourceFullName].Renamed!))
            .ToList();
    }

    /// <summary>Whether a planned folder lands in a folder of its role (a top-level INBOX, or a special-use folder) when
    /// the destination has every special-use folder, as the dry run assumes before any destination mailbox exists.</summary>
    public static bool LandsInRoleFolder(FolderPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Role == FolderRole.Inbox ? plan.Path.Count == 1 : plan.Role != FolderRole.None;
    }

    private static string Joined(IReadOnlyList<string> path, char separator) =>
        separator == '\0' && path.Count == 1 ? path[0] : string.Join(separator, path);
}
