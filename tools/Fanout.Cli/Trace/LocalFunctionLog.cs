using Fanout.Harness;

namespace Fanout.Cli.Trace;

/// <summary>The function log a local <c>fanout up</c> writes (<c>.local/functions.log</c> under the repository root,
/// replaced at each start), read while it is still being written.</summary>
internal static class LocalFunctionLog
{
    public const string FileName = "functions.log";

    /// <summary>The log of this repository's <c>fanout up</c> (running or finished).</summary>
    /// <exception cref="InvalidOperationException">Not inside the repository.</exception>
    public static string DefaultPath() => Path.Combine(RepositoryLayout.FindRoot(), ".local", FileName);

    /// <summary>Every line of <paramref name="path"/> that parses, in file order; lines that do not parse are skipped.</summary>
    /// <exception cref="FileNotFoundException">No such file (no <c>fanout up</c> has run here).</exception>
    public static IEnumerable<FunctionLogLine> Read(string path)
    {
        using var stream = OpenShared(path);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } text)
        {
            if (FunctionLogParser.TryParse(text) is { } line)
            {
                yield return line;
            }
        }
    }

    /// <summary>Opens for reading while the writer keeps the file open (and may truncate it at its next start).</summary>
    public static FileStream OpenShared(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete });
}
