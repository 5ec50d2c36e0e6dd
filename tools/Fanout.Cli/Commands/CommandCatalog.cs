using System.CommandLine;

namespace Fanout.Cli.Commands;

/// <summary>Every `fanout` sub-command, in the order `fanout --help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return UpCommand.Create();
    }
}
