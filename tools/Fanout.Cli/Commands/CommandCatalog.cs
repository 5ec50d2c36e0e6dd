using System.CommandLine;

namespace Fanout.Cli.Commands;

/// <summary>Every `fanout` sub-command, in the order `fanout --help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return UpCommand.Create();
        yield return TokenCommand.Create();
        yield return OrderCommand.Create();
        yield return LoadCommand.Create();
        yield return StatusCommand.Create();
        yield return CancelCommand.Create();
        yield return MessagesCommand.Create();
        yield return WatchCommand.Create();
        yield return TraceCommand.Create();
        yield return DlqCommand.Create();
        yield return StockCommand.Create();
        yield return CeilingCommand.Create();
        yield return CostCommand.Create();
        yield return BenchCommand.Create();
    }
}
