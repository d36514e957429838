using System.Globalization;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>Which of a batch's lines a status call shows: those in the given states, from an offset, at most a limit;
/// every line when the call names none of them.</summary>
/// <param name="States">The states shown; empty for all.</param>
/// <param name="Offset">How many of the matching lines (by line number) to skip.</param>
/// <param name="Limit">How many to show at most; null for all the rest.</param>
public sealed record StatusQuery(IReadOnlySet<MailboxStatus> States, int Offset, int? Limit)
{
    /// <summary>The most lines one page shows: a 20,000-line batch is read in pages, and its status stays small.</summary>
    public const int MaxLimit = 1000;

    /// <summary>The query parameters of GET /api/imports/{id}, as the route table lists them.</summary>
    public static IReadOnlyList<ApiQueryParameter> Parameters { get; } =
    [
        new("state", "Only the lines in these states, separated by commas: Pending, Running, Paused, Done, Partial, Failed, Invalid, Ready.", "string"),
        new("offset", "Skip this many of the matching lines (in line order); default 0.", "integer"),
        new("limit", $"Show at most this many lines, 1 to {MaxLimit}; default every matching line.", "integer"),
    ];

    /// <summary>Every line.</summary>
    public static StatusQuery All { get; } = new(new HashSet<MailboxStatus>(), 0, null);

    /// <summary>The query of <paramref name="request"/>, or the 400 that names the parameter it cannot use.</summary>
    public static (StatusQuery? Query, IResult? Refusal) Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        var states = new HashSet<MailboxStatus>();
        foreach (var name in query["state"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            // Names only: Enum.TryParse would also take "3" for Done.
            if (!Enum.TryParse<MailboxStatus>(name, ignoreCase: true, out var state) || !Enum.IsDefined(state) || char.IsDigit(name[0]))
            {
                return Refuse("state", $"\"{name}\" is no mailbox state.");
            }

            states.Add(state);
        }

        if (!TryNumber(query, "offset", 0, int.MaxValue, out var offset))
        {
            return Refuse("offset", "The offset is a whole number from 0.");
        }

        if (!TryNumber(query, "limit", 1, MaxLimit, out var limit))
        {
            return Refuse("limit", $"The limit is a whole number from 1 to {MaxLimit}.");
        }

        return (new StatusQuery(states, offset ?? 0, limit), null);
    }

    /// <summary>How many lines are in each state (every state named, 0 for none), the lines this query matches, and
    /// its page of them.</summary>
    public (IReadOnlyDictionary<MailboxStatus, int> Counts, StatusPageInfo Page, IReadOnlyList<MailboxReport> Lines) Apply(IReadOnlyList<MailboxReport> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var counts = Enum.GetValues<MailboxStatus>().ToDictionary(s => s, s => 0);
        foreach (var line in lines)
        {
            counts[line.Status]++;
        }

        var matching = States.Count == 0 ? lines : [.. lines.Where(l => States.Contains(l.Status))];
        var page = matching.Skip(Offset).Take(Limit ?? int.MaxValue).ToList();
        var next = Offset + page.Count < matching.Count ? Offset + page.Count : (int?)null;
        return (counts, new StatusPageInfo(Offset, Limit, matching.Count, next), page);
    }

    private static (StatusQuery?, IResult?) Refuse(string field, string message) =>
        (null, ApiAnswers.BadRequest(new ApiError("The status was not read.", [new ApiProblem(field, nameof(ErrorCode.StatusQueryInvalid), message)])));

    private static bool TryNumber(IQueryCollection query, string name, int min, int max, out int? value)
    {
        value = null;
        if (query[name].Count == 0)
        {
            return true;
        }

        if (query[name].Count == 1 && int.TryParse(query[name][0], NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            value = number;
            return true;
        }

        return false;
    }
}

/// <summary>Where a status's page of lines stands among the lines its filter matches.</summary>
/// <param name="Offset">The first matching line shown (0-based).</param>
/// <param name="Limit">The most lines asked for; null for all.</param>
/// <param name="Matched">How many lines the filter matches in all.</param>
/// <param name="NextOffset">The offset of the next page; null when this one reaches the last matching line.</param>
public sealed record StatusPageInfo(int Offset, int? Limit, int Matched, int? NextOffset);
