namespace Fanout.Infra.Tests.Support;

/// <summary>The repository root (the folder holding Fanout.sln), where cdk.json and artifacts/ live.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Fanout.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Fanout.sln above {AppContext.BaseDirectory}.");
    }
}
