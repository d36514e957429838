namespace MailImport.Testing;

/// <summary>Finds the repository, so tests can call the project's own scripts.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MailImport.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"MailImport.sln not found above {AppContext.BaseDirectory}.");
    }
}
