using System.Text.RegularExpressions;
using MailImport.Testing;

namespace MailImport.Repository.Tests;

/// <summary>The suites' fixed ports (TestPorts): each base of 1,000 belongs to one fixture. The test projects run side
/// by side, so two fixtures on one base collide only when both happen to run at once, and then one fails its start
/// with "port already in use": a flake, not a clear error. Read from the test sources, where the bases are written.</summary>
public partial class TestPortBaseTests
{
    /// <summary>A base claimed at a place: the server instance it starts (the same instance may be started from two
    /// files), or null where only the file names the claim.</summary>
    private sealed record Claim(int Base, string File, string? Instance);

    [Fact]
    public void EveryFixedPortBase_BelongsToOneFixture()
    {
        var claims = Claims().ToList();
        Assert.Contains(claims, c => c.Instance == "mi-page-tests");

        var clashes = claims.GroupBy(c => c.Base)
            .Where(g => g.Select(c => c.File).Distinct().Count() > 1 && g.Select(c => c.Instance).Distinct().Count() > 1)
            .Select(g => $"base {g.Key}: " + string.Join(", ", g.Select(c => $"{c.Instance ?? "a port"} in {c.File}").Distinct()))
            .ToList();
        Assert.True(clashes.Count == 0, "fixed test ports shared by two fixtures:\n" + string.Join('\n', clashes));
    }

    private static IEnumerable<Claim> Claims()
    {
        var tests = Path.Combine(RepositoryPaths.Root, "tests");
        foreach (var path in Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories))
        {
            var file = Path.GetRelativePath(tests, path);
            if (file.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var text = File.ReadAllText(path);
            // A server set takes three bases: its source's, its destination's (+1,000) and its Azurite's (+2,000).
            foreach (Match m in ServerSetBase().Matches(text))
            {
                var (name, at) = (m.Groups["name"].Value, int.Parse(m.Groups["base"].Value, System.Globalization.CultureInfo.InvariantCulture));
                yield return new Claim(at, file, name + "-source");
                yield return new Claim(at + 1000, file, name + "-dest");
                yield return new Claim(at + 2000, file, name + "-tests");
            }

            foreach (Match m in ServerBase().Matches(text))
            {
                yield return new Claim(int.Parse(m.Groups["base"].Value, System.Globalization.CultureInfo.InvariantCulture), file, m.Groups["name"].Value);
            }

            foreach (Match m in PortOrBaseConstant().Matches(text))
            {
                yield return new Claim(int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture) / 1000 * 1000, file, null);
            }
        }
    }

    [GeneratedRegex("""(?:(?<![A-Za-z])ServerSet|: base)\("(?<name>[a-z0-9-]+)",\s*(?<base>\d{4,5})""")]
    private static partial Regex ServerSetBase();

    [GeneratedRegex("""(?:(?:DovecotServer|AzuriteServer)\.Start|TokenSourceServerSet)\("(?<name>[a-z0-9-]+)",\s*(?<base>\d{4,5})""")]
    private static partial Regex ServerBase();

    [GeneratedRegex("""TestPorts\.Shift\((?<port>\d{4,5})\)|const int \w*Base = (?<port>\d{4,5});""")]
    private static partial Regex PortOrBaseConstant();
}
