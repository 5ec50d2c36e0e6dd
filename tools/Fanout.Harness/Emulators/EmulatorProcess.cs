using System.Diagnostics;
using System.Text.Json;

namespace Fanout.Harness.Emulators;

/// <summary>One emulator launched through its Node launcher in <c>scripts/emulators/</c>. The launcher
/// prints <c>{"port":N}</c> when ready and exits when our end of its stdin closes, so even if this process
/// is killed the emulator follows it.</summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EmulatorProcess(Process process, string name, int port)
    {
        _process = process;
        Name = name;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public static async Task<EmulatorProcess> StartAsync(string repoRoot, string launcher, string name, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = repoRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(repoRoot, "scripts", "emulators", launcher));
        start.ArgumentList.Add("--exit-with-stdin");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not start {name}: is Node.js installed and on PATH? Run scripts/install-deps.sh. ({ex.Message})", ex);
        }

        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(readyTimeout);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                await process.WaitForExitAsync(CancellationToken.None);
                throw new InvalidOperationException($"{name} exited before it was ready (exit code {process.ExitCode}). {Errors(errors)}");
            }

            using var ready = JsonDocument.Parse(line);
            var port = ready.RootElement.GetProperty("port").GetInt32();
            // Keep draining stdout so the launcher never blocks on a full pipe.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            return new EmulatorProcess(process, name, port);
        }
        catch (Exception ex) when (ex is OperationCanceledException or JsonException or KeyNotFoundException)
        {
            Kill(process);
            process.Dispose();
            throw new InvalidOperationException($"{name} did not report ready within {readyTimeout.TotalSeconds:0} s. {Errors(errors)}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Closing stdin is the launcher's signal to stop its emulator cleanly.
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(_process);
            }
        }

        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private static string Errors(System.Text.StringBuilder errors)
    {
        lock (errors)
        {
            return errors.Length == 0 ? "" : "stderr: " + errors.ToString().Trim();
        }
    }
}
