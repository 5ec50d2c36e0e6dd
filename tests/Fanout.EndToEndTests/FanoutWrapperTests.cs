using System.Diagnostics;

namespace Fanout.EndToEndTests;

/// <summary><c>scripts/fanout</c> as a user calls it: from any directory, stdout the CLI's alone, its exit code, and a
/// clear message where there is no .NET SDK.</summary>
[Trait("Category", "EndToEnd")]
public sealed class FanoutWrapperTests
{
    private static readonly string _wrapper = Path.Combine(RunScriptProcess.RepoRoot, "scripts", "fanout");

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, string? path = null)
    {
        var start = new ProcessStartInfo("/bin/bash") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(_wrapper);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (path is not null)
        {
            start.Environment["PATH"] = path;
        }

        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Wrapper_FromAnotherDirectoryUpToDate_RunsTheCliQuietlyWithItsExitCode()
    {
        // The first call may build; the second finds the build fresh and must not build again.
        await RunAsync(Path.GetTempPath(), ["--help"]);

        var refused = await RunAsync(Path.GetTempPath(), ["token", "--operator", "--stack", "s", "--region", "eu-west-1"]);

        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("", refused.Stdout);
        Assert.DoesNotContain("building", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--operator picks the local demo operator", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrapper_NoDotnetOnPath_SaysTheSdkIsMissing()
    {
        var bin = Directory.CreateTempSubdirectory("fanout-nodotnet-");
        try
        {
            // Only what the script needs before it looks for dotnet.
            foreach (var tool in new[] { "dirname", "readlink" })
            {
                File.CreateSymbolicLink(Path.Combine(bin.FullName, tool), Path.Combine("/usr/bin", tool));
            }

            var result = await RunAsync(Path.GetTempPath(), ["token"], path: bin.FullName);

            Assert.Equal(127, result.ExitCode);
            Assert.Equal("", result.Stdout);
            Assert.Contains("the .NET SDK is not installed", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }
}
