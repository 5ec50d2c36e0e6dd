using System.CommandLine;

namespace Fanout.Cli.Commands;

internal static class UpCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP port for the local API", DefaultValueFactory = _ => 5080 };
        var command = new Command("up", "Start emulators, provision the topology, serve the API and run every consumer.") { port };
        command.SetAction(async (parse, ct) =>
        {
            await Task.Yield();
            Console.WriteLine($"port {parse.GetValue(port)}");
            return 0;
        });
        return command;
    }
}
