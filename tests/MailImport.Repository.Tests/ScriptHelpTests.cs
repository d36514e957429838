using System.Text.RegularExpressions;
using MailImport.Testing;

namespace MailImport.Repository.Tests;

/// <summary>Every script's header is its --help, and every command README.md shows is one the script's --help
/// offers, with the options README gives it. Only --help runs: nothing is installed or started.</summary>
public partial class ScriptHelpTests
{
    public static TheoryData<string> Scripts() =>
        new(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "scripts")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Help_PrintsTheScriptsHeader(string script)
    {
        var help = ScriptRunner.Run(script, "--help", []);

        Assert.StartsWith($"scripts/{script} - ", help, StringComparison.Ordinal);
        Assert.Contains("Usage:", help, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadmeCommands_AreOfferedByTheirScriptsHelp()
    {
        var commands = ReadmeScriptCommands();
        var problems = new List<string>();
        foreach (var command in commands)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var script = words[0]["scripts/".Length..];
            if (!File.Exists(RepositoryPaths.Script(script)))
            {
                problems.Add($"{command}: there is no {words[0]}");
                continue;
            }

            var help = ScriptRunner.Run(script, "--help", []);
            if (words.Length > 1 && SubCommand().IsMatch(words[1]) && !help.Contains($"{words[0]} {words[1]}", StringComparison.Ordinal))
            {
                problems.Add($"{command}: {words[0]} --help has no command \"{words[1]}\"");
            }

            problems.AddRange(words.Where(w => w.StartsWith("--", StringComparison.Ordinal))
                .Select(w => w.Split('=')[0])
                .Where(option => !help.Contains(option, StringComparison.Ordinal))
                .Select(option => $"{command}: {words[0]} --help has no option {option}"));
        }

        // README shows the demo, the tests, the servers, the host, the benchmarks and the Bicep build.
        Assert.True(commands.Count >= 10, $"README.md shows only {commands.Count} script commands: {string.Join("; ", commands)}");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The script commands README shows: `scripts/...` in running text, and the lines of its code blocks that
    /// start with scripts/ (their # comments cut off), the Layout's list of files excepted.</summary>
    private static List<string> ReadmeScriptCommands()
    {
        var layout = Readme.Section("Layout");
        var text = Readme.Text.Replace(layout, "", StringComparison.Ordinal);
        return InlineCommand().Matches(text).Select(m => m.Groups["command"].Value)
            .Concat(BlockCommand().Matches(text).Select(m => m.Groups["command"].Value.Split('#')[0]))
            .Select(command => command.Trim())
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    // scripts/NAME and its arguments; scripts/lib/... is a library, not a command.
    [GeneratedRegex(@"`(?<command>scripts/[a-z-]+(?: [^`\n]*)?)`")]
    private static partial Regex InlineCommand();

    [GeneratedRegex(@"^(?<command>scripts/[a-z-]+(?: [^\n]*)?)$", RegexOptions.Multiline)]
    private static partial Regex BlockCommand();

    // A sub-command is a lower-case word (start, copy, build); FILE, DIR and the like are placeholders.
    [GeneratedRegex(@"^[a-z][a-z-]*$")]
    private static partial Regex SubCommand();
}
