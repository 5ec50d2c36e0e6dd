using Fanout.Cli.Commands;

namespace Fanout.Cli.Tests.Trace;

[Trait("Category", "Unit")]
public sealed class TraceCommandTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "fanout-trace-" + Guid.NewGuid().ToString("N") + ".log");

    public void Dispose() => File.Delete(_path);

    private static Task<int> RunAsync(params string[] args) => TraceCommand.Create().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Invoke_OrderWithNoLine_ExitsWithFailure()
    {
        await File.WriteAllLinesAsync(_path, ContractLines.Journey("o-known", "4bf92f3577b34da6a3ce929d0e0e4736"), TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Failed, await RunAsync("o-unknown", "--log-file", _path));
    }

    [Fact]
    public async Task Invoke_NoLogFile_IsAUsageError()
    {
        Assert.Equal(ExitCodes.Usage, await RunAsync("o-1", "--log-file", _path));
    }
}
