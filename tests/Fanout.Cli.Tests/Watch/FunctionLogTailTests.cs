using Fanout.Cli.Tests.Trace;
using Fanout.Cli.Watch;

namespace Fanout.Cli.Tests.Watch;

[Trait("Category", "Unit")]
public sealed class FunctionLogTailTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "fanout-tail-" + Guid.NewGuid().ToString("N") + ".log");

    public void Dispose() => File.Delete(_path);

    private static string Record(double atMs, string service) =>
        ContractLines.Record(atMs, service, "OrderPlaced", "o-1", ContractLines.TraceParent("4bf92f3577b34da6a3ce929d0e0e4736"), 1, 2);

    [Fact]
    public void ReadNew_GrowingFile_ReturnsOnlyNewCompleteEmfLines()
    {
        var tail = new FunctionLogTail(_path);
        Assert.Empty(tail.ReadNew());

        File.WriteAllText(_path, Record(1, "sms") + "\n" + ContractLines.Accepted(2, "o-1", ContractLines.TraceParent("4bf92f3577b34da6a3ce929d0e0e4736")) + "\n{\"harness\":\"x\"}\n");
        Assert.Equal(["sms"], tail.ReadNew().Select(l => l.Service));

        var next = Record(3, "email");
        File.AppendAllText(_path, next[..20]);
        Assert.Empty(tail.ReadNew());
        File.AppendAllText(_path, next[20..] + "\n");
        Assert.Equal(["email"], tail.ReadNew().Select(l => l.Service));
        Assert.Empty(tail.ReadNew());
    }

    [Fact]
    public void ReadNew_FileTruncatedByANewRun_StartsOver()
    {
        var tail = new FunctionLogTail(_path);
        File.WriteAllText(_path, Record(1, "sms") + "\n" + Record(2, "sms") + "\n");
        Assert.Equal(2, tail.ReadNew().Count);

        File.WriteAllText(_path, Record(3, "inventory") + "\n");

        Assert.Equal(["inventory"], tail.ReadNew().Select(l => l.Service));
    }

    [Fact]
    public void ReadNew_LargeExistingFile_StartsNearItsEndAtALineBoundary()
    {
        var line = Record(1, "sms");
        File.WriteAllText(_path, string.Concat(Enumerable.Repeat(line + "\n", 50)));
        var tail = new FunctionLogTail(_path, startBytesFromEnd: (line.Length + 1) * 3 + 5);

        var lines = tail.ReadNew();

        Assert.Equal(3, lines.Count);
    }
}
