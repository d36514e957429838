using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace MailImport.StandIns.Gmail;

/// <summary>A Gmail-shaped IMAP server on 127.0.0.1 (plain TCP), for what Dovecot cannot show: one store of messages of
/// which All Mail and every label folder are views, X-GM-EXT-1's X-GM-MSGID and X-GM-LABELS, and Gmail's special-use
/// folders.</summary>
/// <remarks>
/// <para>It answers what MailKit's reading path sends: CAPABILITY, LOGIN, AUTHENTICATE PLAIN and XOAUTH2, ID, NAMESPACE,
/// LIST and LSUB, STATUS, SELECT and EXAMINE, UID SEARCH, UID FETCH (UID, FLAGS, INTERNALDATE, RFC822.SIZE,
/// BODY.PEEK[], BODY.PEEK[HEADER], BODY.PEEK[HEADER.FIELDS (...)], X-GM-MSGID, X-GM-LABELS), NOOP, UNSELECT, CLOSE and
/// LOGOUT. A copy opens its source read-only and never stores, so UID STORE is not answered.</para>
/// <para>Google's "IMAP Extensions" page (https://developers.google.com/gmail/imap/imap-extensions) gives the shapes:
/// the capability list of its handshake example with X-GM-EXT-1 in it ("Checking for the presence of extensions"),
/// the ID answer <c>("name" "GImap" "vendor" "Google, Inc.")</c>, the LIST transcript with <c>[Gmail]</c> as
/// <c>\Noselect \HasChildren</c> and a special-use attribute on each of its folders, <c>X-GM-MSGID</c> as a 64-bit number
/// and <c>X-GM-LABELS</c> as a list of atoms and strings with system labels such as <c>\Inbox</c> and <c>\Sent</c>.
/// XOAUTH2's exchange is the one of https://developers.google.com/gmail/imap/xoauth2-protocol. The 16th simultaneous
/// login of one account is refused with Gmail's "[ALERT] Too many simultaneous connections. (Failure)".</para>
/// <para>It serves until its process ends: the tests share one on a fixed port.</para>
/// </remarks>
public sealed partial class GmailImapStandIn
{
    /// <summary>Gmail allows about 15 connections per account at once.</summary>
    public const int MaxConnectionsPerAccount = 15;

    private const string Capabilities = "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 SPECIAL-USE AUTH=PLAIN AUTH=XOAUTH2";

    private readonly TcpListener listener;
    private readonly ConcurrentDictionary<string, GmailMailbox> accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> transcript = new();
    private readonly ConcurrentDictionary<string, int> labelFetches = new(StringComparer.Ordinal);

    private GmailImapStandIn(TcpListener listener)
    {
        this.listener = listener;
        _ = AcceptAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>.</summary>
    public static GmailImapStandIn Start(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return new GmailImapStandIn(listener);
    }

    /// <summary>Adds an account with an empty store.</summary>
    public GmailMailbox AddAccount(string login, string password) => accounts[login] = new GmailMailbox(login, password);

    /// <summary>How many FETCH commands of this login asked for X-GM-LABELS: a test's measure of how often a copy reads
    /// every message's labels.</summary>
    public int LabelFetches(string login) => labelFetches.GetValueOrDefault(login);

    /// <summary>The last commands and answers' first lines, credentials left out, for a failing test's message.</summary>
    public string Transcript => string.Join('\n', transcript.TakeLast(200));

    private async Task AcceptAsync()
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var session = new Session(client.GetStream());
        try
        {
            await session.SendAsync("* OK Gimap ready for requests from 127.0.0.1");
            while (await session.ReadCommandAsync(CancellationToken.None) is { } line)
            {
                var tokens = Tokenizer.Split(line);
                if (tokens.Count < 2)
                {
                    await session.SendAsync($"{(tokens.Count > 0 ? tokens[0].Text : "*")} BAD Missing command");
                    continue;
                }

                var tag = tokens[0].Text;
                var command = tokens[1].Text.ToUpperInvariant();
                if (session.Account is { } reader && line.Contains("X-GM-LABELS", StringComparison.OrdinalIgnoreCase) && line.Contains("FETCH", StringComparison.OrdinalIgnoreCase))
                {
                    labelFetches.AddOrUpdate(reader.Login, 1, (_, n) => n + 1);
                }

                Note(command is "LOGIN" or "AUTHENTICATE" ? $"{tag} {command} ***" : line.Length > 300 ? line[..300] : line);
                if (!await AnswerAsync(session, tag, command, tokens.Skip(2).ToList()))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            if (session.Account is { } account)
            {
                sessions.AddOrUpdate(account.Login, 0, (_, n) => n - 1);
            }
        }
    }

    /// <returns>False when the connection ends.</returns>
    private async Task<bool> AnswerAsync(Session session, string tag, string command, List<Token> args)
    {
        switch (command)
        {
            case "CAPABILITY":
                await session.SendAsync($"* CAPABILITY {Capabilities}");
                return await OkAsync(session, tag, "Thats all she wrote!");
            case "NOOP":
                return await OkAsync(session, tag, "Success");
            case "LOGOUT":
                await session.SendAsync("* BYE LOGOUT Requested");
                await OkAsync(session, tag, "73 GoodBye");
                return false;
            case "ID":
                await session.SendAsync("* ID (\"name\" \"GImap\" \"vendor\" \"Google, Inc.\")");
                return await OkAsync(session, tag, "Success");
            case "LOGIN":
                return await LogInAsync(session, tag, args.Count == 2 && accounts.TryGetValue(args[0].Text, out var byPassword) && byPassword.Password == args[1].Text ? byPassword : null);
            case "AUTHENTICATE":
                return await AuthenticateAsync(session, tag, args);
        }

        if (session.Account is not { } mailbox)
        {
            return await NoAsync(session, tag, "Not logged in");
        }

        switch (command)
        {
            case "NAMESPACE":
                await session.SendAsync("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                return await OkAsync(session, tag, "Success");
            case "LIST" or "LSUB" or "XLIST":
                await ListAsync(session, mailbox, command, args);
                return await OkAsync(session, tag, "Success");
            case "STATUS":
                return await StatusAsync(session, tag, mailbox, args);
            case "SELECT" or "EXAMINE":
                return await SelectAsync(session, tag, mailbox, args[0].Text, readOnly: command == "EXAMINE");
            case "UNSELECT" or "CLOSE":
                session.Selected = null;
                return await OkAsync(session, tag, "Returned to authenticated state. (Success)");
            case "FETCH" when args.Count > 1 && session.Selected is { } numbered:
                // A sequence set names messages by position (RFC 3501 section 2.3.1.2).
                await FetchAsync(session, mailbox.View(numbered), args[0].Text, args[1], byPosition: true);
                return await OkAsync(session, tag, "Success");
            case "UID" when args.Count > 1 && session.Selected is { } folder:
                var verb = args[0].Text.ToUpperInvariant();
                var view = mailbox.View(folder);
                if (verb == "SEARCH")
                {
                    var set = args.Skip(1).SkipWhile(a => !a.Text.Equals("UID", StringComparison.OrdinalIgnoreCase)).Skip(1).FirstOrDefault();
                    var found = view.Where(v => set is null || UidSet.Contains(set.Text, v.Uid, view)).Select(v => v.Uid.ToString(CultureInfo.InvariantCulture));
                    await session.SendAsync("* SEARCH " + string.Join(' ', found));
                    return await OkAsync(session, tag, "SEARCH completed (Success)");
                }

                if (verb == "FETCH")
                {
                    await FetchAsync(session, view, args[1].Text, args[2], byPosition: false);
                    return await OkAsync(session, tag, "Success");
                }

                return await BadAsync(session, tag, $"UID {verb} is not answered here");
            default:
                return await BadAsync(session, tag, "Unknown command");
        }
    }

    private async Task<bool> AuthenticateAsync(Session session, string tag, List<Token> args)
    {
        var mechanism = args[0].Text.ToUpperInvariant();
        var response = args.Count > 1 ? args[1].Text : await session.ChallengeAsync(CancellationToken.None);
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(response));
        }
        catch (FormatException)
        {
            return await BadAsync(session, tag, "Invalid SASL argument.");
        }

        GmailMailbox? account = null;
        if (mechanism == "PLAIN" && decoded.Split('\0') is [_, var login, var password] && accounts.TryGetValue(login, out var plain) && plain.Password == password)
        {
            account = plain;
        }
        else if (mechanism == "XOAUTH2" && XOAuth2().Match(decoded) is { Success: true } match && accounts.TryGetValue(match.Groups["user"].Value, out var bearer)
            && bearer.AccessToken is { } token && token == match.Groups["token"].Value)
        {
            account = bearer;
        }

        return await LogInAsync(session, tag, account);
    }

    private async Task<bool> LogInAsync(Session session, string tag, GmailMailbox? account)
    {
        if (account is null)
        {
            return await NoAsync(session, tag, "[AUTHENTICATIONFAILED] Invalid credentials (Failure)");
        }

        if (sessions.AddOrUpdate(account.Login, 1, (_, n) => n + 1) > MaxConnectionsPerAccount)
        {
            sessions.AddOrUpdate(account.Login, 0, (_, n) => n - 1);
            return await NoAsync(session, tag, "[ALERT] Too many simultaneous connections. (Failure)");
        }

        session.Account = account;
        await session.SendAsync($"{tag} OK [CAPABILITY {Capabilities}] {account.Login} authenticated (Success)");
        return true;
    }

    private static async Task ListAsync(Session session, GmailMailbox mailbox, string command, List<Token> args)
    {
        // LIST (SPECIAL-USE) "" "*" and LIST "" "*" RETURN (SPECIAL-USE) (RFC 6154) carry the same attributes as a plain
        // LIST: Gmail puts special-use attributes on every LIST answer.
        var names = args.Where(a => !a.IsList && !a.Text.Equals("RETURN", StringComparison.OrdinalIgnoreCase)).Select(a => a.Text).ToList();
        var reference = names.Count > 0 ? names[0] : "";
        var pattern = names.Count > 1 ? names[1] : "";
        if (pattern.Length == 0)
        {
            await session.SendAsync($"* {command} (\\Noselect) \"/\" \"\"");
            return;
        }

        var regex = new Regex("^" + Regex.Escape(reference + pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace("%", "[^/]*", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        foreach (var (name, attributes) in mailbox.Folders())
        {
            if (regex.IsMatch(name) || (name == "INBOX" && regex.IsMatch("inbox")))
            {
                await session.SendAsync($"* {command} ({attributes}) \"/\" {Quote(name)}");
            }
        }
    }

    private static async Task<bool> StatusAsync(Session session, string tag, GmailMailbox mailbox, List<Token> args)
    {
        var folder = args[0].Text;
        if (!mailbox.Selectable(folder))
        {
            return await NoAsync(session, tag, $"[NONEXISTENT] Unknown Mailbox: {folder} (Failure)");
        }

        var view = mailbox.View(folder);
        var items = args[1].Items.Select(i => i.Text.ToUpperInvariant()).Select(item => item switch
        {
            "MESSAGES" => $"MESSAGES {view.Count}",
            "UIDNEXT" => $"UIDNEXT {mailbox.UidNext(folder)}",
            "UIDVALIDITY" => $"UIDVALIDITY {mailbox.UidValidity(folder)}",
            "UNSEEN" => $"UNSEEN {view.Count(v => !v.Message.Flags.Contains(@"\Seen"))}",
            "RECENT" => "RECENT 0",
            _ => null,
        }).Where(i => i is not null);
        await session.SendAsync($"* STATUS {Quote(folder)} ({string.Join(' ', items)})");
        return await OkAsync(session, tag, "Success");
    }

    private static async Task<bool> SelectAsync(Session session, string tag, GmailMailbox mailbox, string folder, bool readOnly)
    {
        if (!mailbox.Selectable(folder))
        {
            session.Selected = null;
            return await NoAsync(session, tag, $"[NONEXISTENT] Unknown Mailbox: {folder} (Failure)");
        }

        var view = mailbox.View(folder);
        session.Selected = folder;
        await session.SendAsync(@"* FLAGS (\Answered \Flagged \Draft \Deleted \Seen $NotPhishing $Phishing)");
        await session.SendAsync(@"* OK [PERMANENTFLAGS (\Answered \Flagged \Draft \Deleted \Seen $NotPhishing $Phishing \*)] Flags permitted.");
        await session.SendAsync($"* OK [UIDVALIDITY {mailbox.UidValidity(folder)}] UIDs valid.");
        await session.SendAsync($"* {view.Count} EXISTS");
        await session.SendAsync("* 0 RECENT");
        await session.SendAsync($"* OK [UIDNEXT {mailbox.UidNext(folder)}] Predicted next UID.");
        return await OkAsync(session, tag, $"[{(readOnly ? "READ-ONLY" : "READ-WRITE")}] {folder} selected. (Success)");
    }

    private static async Task FetchAsync(Session session, IReadOnlyList<(uint Uid, StoredMessage Message)> view, string set, Token items, bool byPosition)
    {
        var positions = view.Select((v, i) => ((uint)(i + 1), v.Message)).ToList();
        var wanted = items.IsList ? items.Items.Select(i => i.Text).ToList() : [items.Text];
        for (var index = 0; index < view.Count; index++)
        {
            var (uid, message) = view[index];
            if (byPosition ? !UidSet.Contains(set, (uint)index + 1, positions) : !UidSet.Contains(set, uid, view))
            {
                continue;
            }

            var parts = new List<byte[]> { Latin1($"* {index + 1} FETCH (UID {uid}") };
            foreach (var item in wanted)
            {
                var upper = item.ToUpperInvariant();
                var text = upper switch
                {
                    "UID" => null,
                    "FLAGS" => $" FLAGS ({string.Join(' ', message.FetchFlags)})",
                    "INTERNALDATE" => $" INTERNALDATE \"{message.InternalDate.ToString("dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture)}{message.InternalDate.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal)}\"",
                    "RFC822.SIZE" => $" RFC822.SIZE {message.Raw.Length}",
                    "X-GM-MSGID" => $" X-GM-MSGID {message.MessageId}",
                    "X-GM-THRID" => $" X-GM-THRID {message.MessageId}",
                    "X-GM-LABELS" => $" X-GM-LABELS ({string.Join(' ', message.FetchLabels.Select(l => l.StartsWith('\\') ? l : Quote(l)))})",
                    _ => "",
                };
                if (text is { Length: > 0 })
                {
                    parts.Add(Latin1(text));
                }
                else if (text is not null && upper.StartsWith("BODY", StringComparison.Ordinal) && item.IndexOf('[', StringComparison.Ordinal) is var open and > 0)
                {
                    var section = item[(open + 1)..item.LastIndexOf(']')];
                    var bytes = Section(message.Raw, section);
                    parts.Add(Latin1($" BODY[{section}] {{{bytes.Length}}}\r\n"));
                    parts.Add(bytes);
                }
            }

            parts.Add(Latin1(")"));
            await session.SendAsync(parts.SelectMany(p => p).ToArray());
        }
    }

    /// <summary>BODY[] whole, BODY[HEADER] up to and with the blank line, BODY[HEADER.FIELDS (A B)] those fields' lines and
    /// the blank line (RFC 3501 section 6.4.5).</summary>
    private static byte[] Section(byte[] raw, string section)
    {
        if (section.Length == 0)
        {
            return raw;
        }

        var end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        var header = end < 0 ? raw : raw[..(end + 4)];
        if (section.Equals("HEADER", StringComparison.OrdinalIgnoreCase))
        {
            return header;
        }

        var fields = section[(section.IndexOf('(', StringComparison.Ordinal) + 1)..section.IndexOf(')', StringComparison.Ordinal)]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var kept = new StringBuilder();
        var keeping = false;
        foreach (var line in Encoding.Latin1.GetString(header).Split("\r\n"))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] is not (' ' or '\t'))
            {
                keeping = fields.Contains(line.Split(':', 2)[0].Trim());
            }

            if (keeping)
            {
                kept.Append(line).Append("\r\n");
            }
        }

        return Latin1(kept.Append("\r\n").ToString());
    }

    private static Task<bool> OkAsync(Session session, string tag, string text) => ReplyAsync(session, $"{tag} OK {text}");

    private static Task<bool> NoAsync(Session session, string tag, string text) => ReplyAsync(session, $"{tag} NO {text}");

    private static Task<bool> BadAsync(Session session, string tag, string text) => ReplyAsync(session, $"{tag} BAD {text}");

    private static async Task<bool> ReplyAsync(Session session, string line)
    {
        await session.SendAsync(line);
        return true;
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private void Note(string line)
    {
        transcript.Enqueue(line);
        while (transcript.Count > 400 && transcript.TryDequeue(out _))
        {
        }
    }

    [GeneratedRegex("^user=(?<user>[^\x01]*)\x01auth=Bearer (?<token>[^\x01]*)\x01\x01$", RegexOptions.CultureInvariant)]
    private static partial Regex XOAuth2();

    /// <summary>One connection: its reader, its login and its selected folder.</summary>
    private sealed class Session(NetworkStream stream)
    {
        public GmailMailbox? Account { get; set; }

        public string? Selected { get; set; }

        public Task SendAsync(string line) => SendAsync(Latin1(line));

        public async Task SendAsync(byte[] bytes)
        {
            await stream.WriteAsync(bytes);
            await stream.WriteAsync("\r\n"u8.ToArray());
        }

        /// <summary>The SASL response to an empty challenge, for a client without SASL-IR.</summary>
        public async Task<string> ChallengeAsync(CancellationToken cancellationToken)
        {
            await SendAsync("+ ");
            return await ReadLineAsync(cancellationToken) ?? "";
        }

        /// <summary>One command with its literals ({n} answered with a continuation, {n+} not) read in, as Latin-1 text.</summary>
        public async Task<string?> ReadCommandAsync(CancellationToken cancellationToken)
        {
            var command = new StringBuilder();
            while (await ReadLineAsync(cancellationToken) is { } line)
            {
                command.Append(line);
                var literal = Literal().Match(line);
                if (!literal.Success)
                {
                    return command.ToString();
                }

                if (literal.Groups["plus"].Length == 0)
                {
                    await SendAsync("+ go ahead");
                }

                var bytes = new byte[int.Parse(literal.Groups["n"].Value, CultureInfo.InvariantCulture)];
                await stream.ReadExactlyAsync(bytes, cancellationToken);
                command.Append("\r\n").Append(Encoding.Latin1.GetString(bytes));
            }

            return null;
        }

        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one, cancellationToken) == 0)
                {
                    return null;
                }

                if (one[0] == '\n')
                {
                    return Encoding.Latin1.GetString(line.ToArray()).TrimEnd('\r');
                }

                line.Add(one[0]);
            }
        }
    }

    [GeneratedRegex(@"\{(?<n>\d+)(?<plus>\+?)\}$", RegexOptions.CultureInvariant)]
    private static partial Regex Literal();
}
