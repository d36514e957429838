using MailImport.Testing;

namespace MailImport.Repository.Tests;

/// <summary>README.md is the map of the repository: its Layout names every project and script there is, and the
/// files "The path of one import" walks through exist. A project or script added, moved or renamed without the
/// map fails here.</summary>
public class ReadmeMapTests
{
    private static string Root => RepositoryPaths.Root;

    /// <summary>"src/X" for every folder src/X that holds a project (likewise tests/, bench/).</summary>
    private static IEnumerable<string> Projects(string folder) =>
        Directory.EnumerateDirectories(Path.Combine(Root, folder))
            .Where(directory => Directory.EnumerateFiles(directory, "*.csproj").Any())
            .Select(directory => $"{folder}/{Path.GetFileName(directory)}");

    /// <summary>Every script in scripts/ and every library file in scripts/lib, as "scripts/X".</summary>
    private static IEnumerable<string> Scripts() =>
        Directory.EnumerateFiles(Path.Combine(Root, "scripts"))
            .Select(file => $"scripts/{Path.GetFileName(file)}")
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "scripts", "lib"), "*.sh").Select(file => $"scripts/lib/{Path.GetFileName(file)}"));

    private static void AssertInLayout(IEnumerable<string> expected)
    {
        var entries = Readme.LayoutEntries().ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(path => !entries.Contains(path)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"README.md's Layout does not name {string.Join(", ", missing)}: add a line for each");
    }

    private static bool Exists(string path) => File.Exists(Path.Combine(Root, path)) || Directory.Exists(Path.Combine(Root, path));

    [Fact]
    public void Layout_NamesEverySrcProject()
    {
        Assert.Contains("src/MailImport.Core", Projects("src"));
        AssertInLayout(Projects("src"));
    }

    [Fact]
    public void Layout_NamesEveryTestsProject()
    {
        Assert.Contains("tests/MailImport.Testing", Projects("tests"));
        AssertInLayout(Projects("tests"));
    }

    [Fact]
    public void Layout_NamesEveryBenchProject() => AssertInLayout(Projects("bench"));

    [Fact]
    public void Layout_NamesEveryScriptAndScriptLibrary()
    {
        Assert.Contains("scripts/lib/common.sh", Scripts());
        AssertInLayout(Scripts());
    }

    [Fact]
    public void Layout_NamesTheAzureFiles() =>
        AssertInLayout(["infra/", "host.json", "local.settings.sample.json", "azure.yaml"]);

    [Fact]
    public void Layout_NamesOnlyWhatExists()
    {
        var stale = Readme.LayoutEntries().Where(entry => !Exists(entry)).ToList();

        Assert.True(stale.Count == 0, $"README.md's Layout names {string.Join(", ", stale)}, which the repository does not have");
    }

    [Fact]
    public void Readme_NamesOnlyRepositoryPathsThatExist()
    {
        var missing = Readme.PathsNamedIn(Readme.Text).Where(path => !Exists(path)).ToList();

        Assert.True(missing.Count == 0, $"README.md names {string.Join(", ", missing)}, which the repository does not have");
    }

    [Fact]
    public void PathOfOneImport_NamesOnlyFilesThatExist()
    {
        var named = Readme.PathsNamedIn(Readme.Section("The path of one import"));
        var missing = named.Where(path => !Exists(path)).ToList();

        // From the upload's handler to the report: a section that lost its paths would pass the check below vacuously.
        Assert.True(named.Count >= 20, $"\"The path of one import\" names only {named.Count} files");
        Assert.True(missing.Count == 0, $"\"The path of one import\" names {string.Join(", ", missing)}, which the repository does not have");
    }
}
