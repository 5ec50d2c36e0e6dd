using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Fanout.EndToEndTests;

/// <summary><c>scripts/run.sh</c> started the way a user starts it, with its output captured and its whole
/// process tree observable, so the test can check that SIGTERM leaves nothing behind.</summary>
public sealed class RunScriptProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RunScriptProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static string RepoRoot { get; } = FindRoot();

    public static RunScriptProcess Start(string arguments, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", "run.sh"));
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start scripts/run.sh");
        var wrapper = new RunScriptProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => wrapper._ready.TrySetException(new InvalidOperationException("scripts/run.sh exited before it was ready:\n" + wrapper.Output));
        return wrapper;
    }

    /// <summary>Waits for the CLI's "ready" line, the documented readiness signal.</summary>
    public async Task<string> WaitUntilReadyAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_ready.Task, Task.Delay(timeout));
        if (finished != _ready.Task)
        {
            throw new TimeoutException($"scripts/run.sh was not ready within {timeout.TotalSeconds:0} s:\n{Output}");
        }

        return await _ready.Task;
    }

    /// <summary>Every live descendant of the process (children, grandchildren...), read from /proc.</summary>
    public IReadOnlyList<int> Descendants()
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        var result = new List<int>();
        var frontier = new Queue<int>([Pid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (pid, ppid) in parents)
            {
                if (ppid == parent)
                {
                    result.Add(pid);
                    frontier.Enqueue(pid);
                }
            }
        }

        return result;
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    public static string Describe(int pid)
    {
        try
        {
            return $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}";
        }
        catch (IOException)
        {
            return pid.ToString(CultureInfo.InvariantCulture);
        }
    }

    public void SendSigterm()
    {
        using var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult(line);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fanout.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fanout.sln not found above " + AppContext.BaseDirectory);
    }
}
