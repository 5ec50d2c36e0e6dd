using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Fanout.EndToEndTests;

/// <summary>The README's Quick start curl lines, read from README.md and run by bash as a user pastes them, so the
/// test breaks when the README stops working. Only the port changes (the test takes a free one).</summary>
internal static partial class ReadmeQuickStart
{
    private const string DefaultBase = "http://127.0.0.1:5080";

    /// <summary>The <c>POST /orders</c> command (with its continuation lines) and the <c>GET</c> line.</summary>
    public static (string Post, string Get) Commands()
    {
        var readme = File.ReadAllText(Path.Combine(RunScriptProcess.RepoRoot, "README.md"));
        var section = readme[readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", StringComparison.Ordinal)];
        var block = CodeBlock().Matches(section).Select(m => m.Groups[1].Value).Single(b => b.Contains("curl", StringComparison.Ordinal));
        var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var get = Array.FindIndex(lines, l => l.StartsWith("curl", StringComparison.Ordinal) && l.Contains("/orders/<orderId>", StringComparison.Ordinal));
        Assert.True(get > 0, "the Quick start has no `curl .../orders/<orderId>` line:\n" + block);
        return (string.Join('\n', lines[..get]), lines[get]);
    }

    /// <summary>The command without the line that carries the <c>Authorization</c> header.</summary>
    public static string WithoutAuthorization(string command)
    {
        var lines = command.Split('\n');
        Assert.Single(lines, l => l.Contains("Authorization: Bearer $(scripts/fanout token)", StringComparison.Ordinal));
        return string.Join('\n', lines.Where(l => !l.Contains("Authorization", StringComparison.Ordinal)));
    }

    /// <summary>Runs <paramref name="command"/> with bash in the repository root, pointed at <paramref name="port"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string command, int port, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RunScriptProcess.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command.Replace(DefaultBase, $"http://127.0.0.1:{port}", StringComparison.Ordinal));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Splits <c>curl -si</c> output into status, headers (lower-case names) and body.</summary>
    public static (int Status, Dictionary<string, string> Headers, string Body) ParseResponse(string output)
    {
        var normalized = output.Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = normalized.IndexOf("\n\n", StringComparison.Ordinal);
        Assert.True(split > 0, "not an HTTP response:\n" + output);
        var head = normalized[..split].Split('\n');
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return (status, headers, normalized[(split + 2)..]);
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
