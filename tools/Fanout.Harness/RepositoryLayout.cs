namespace Fanout.Harness;

/// <summary>Finds the repository root (the folder holding Fanout.sln), where the emulator launchers and the
/// npm packages live.</summary>
public static class RepositoryLayout
{
    public const string RootVariable = "FANOUT_REPO_ROOT";

    public static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Fanout.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"Cannot find the Fanout repository (no Fanout.sln above {AppContext.BaseDirectory}); set {RootVariable}.");
    }
}
