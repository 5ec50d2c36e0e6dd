using System.CommandLine;
using Fanout.Cli.Commands;

var root = new RootCommand("fanout: run Fanout locally and operate a local or deployed stack.");
foreach (var command in CommandCatalog.All())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
