using Fanout.Cli.Local;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Tests.Integration;

/// <summary>The state file of `fanout up` on a real file system with real process ids.</summary>
[Trait("Category", "Integration")]
public sealed class LocalUpStateFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fanout-cli-tests-" + Guid.NewGuid().ToString("N"));

    private string StatePath => Path.Combine(_directory, "fanout-up.json");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void TryGetRunning_LiveProcess_ReturnsTheState()
    {
        new LocalState { Pid = Environment.ProcessId, ApiUrl = "http://127.0.0.1:5999" }.Write(StatePath);

        var state = new LocalUpStateFile(StatePath).TryGetRunning();

        Assert.Equal("http://127.0.0.1:5999", state?.ApiUrl);
    }

    [Fact]
    public void TryGetRunning_ProcessGone_TreatsTheFileAsALeftover()
    {
        using var exited = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        new LocalState { Pid = exited.Id, ApiUrl = "http://127.0.0.1:5999" }.Write(StatePath);

        Assert.Null(new LocalUpStateFile(StatePath).TryGetRunning());
    }

    [Fact]
    public void TryGetRunning_NoFileOrGarbage_ReturnsNull()
    {
        Assert.Null(new LocalUpStateFile(StatePath).TryGetRunning());
        Directory.CreateDirectory(_directory);
        File.WriteAllText(StatePath, "{ not json");
        Assert.Null(new LocalUpStateFile(StatePath).TryGetRunning());
        Assert.Null(new LocalUpStateFile(null).TryGetRunning());
    }
}
