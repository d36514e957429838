using System.Text.RegularExpressions;
using MailImport.Testing;

namespace MailImport.Repository.Tests;

/// <summary>README.md read the way its tests need it: its sections by their "## " heading, its Layout entries, and
/// the repository paths a section names in backticks.</summary>
internal static partial class Readme
{
    public static string Text { get; } = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

    /// <summary>The body of the section under "## <paramref name="heading"/>", up to the next "## " heading.</summary>
    public static string Section(string heading)
    {
        var match = Regex.Match(Text, $@"^## {Regex.Escape(heading)}[ \t]*\n(?<body>.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, $"README.md has no section \"## {heading}\"");
        return match.Groups["body"].Value;
    }

    /// <summary>The Layout section's entries: the first word of each line of its code block that does not start
    /// with a space (continuation lines do).</summary>
    public static IReadOnlyList<string> LayoutEntries()
    {
        var block = Regex.Match(Section("Layout"), @"^```[^\n]*\n(?<lines>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(block.Success, "README.md's Layout section has no code block");
        return block.Groups["lines"].Value.Split('\n')
            .Where(line => line.Length > 0 && !char.IsWhiteSpace(line[0]))
            .Select(line => line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0])
            .ToList();
    }

    /// <summary>The repository paths a text names in backticks, such as `src/MailImport.Core/Secret.cs`.</summary>
    public static IReadOnlyList<string> PathsNamedIn(string text) =>
        RepositoryPath().Matches(text).Select(m => m.Groups["path"].Value).Distinct().ToList();

    [GeneratedRegex(@"`(?<path>(?:src|tests|bench|scripts|infra)/[^`\s]+)`")]
    private static partial Regex RepositoryPath();
}
