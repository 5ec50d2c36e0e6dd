using System.CommandLine;
using Fanout.Cli.Local;
using Fanout.Harness;

namespace Fanout.Cli.Commands;

internal static class UpCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP port for the local API on 127.0.0.1", DefaultValueFactory = _ => 5080 };
        var emulator = new Option<string>("--emulator")
        {
            Description = "embedded (fauxqs + DynamoDB Local, default), localstack (Docker), or external (AWS_ENDPOINT_URL)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(LocalFanoutOptions.EmulatorVariable) ?? "embedded",
        };
        emulator.AcceptOnlyFromAmong("embedded", "localstack", "external");
        var visibility = new Option<int>("--visibility-timeout") { Description = "Seconds before a failed message is retried locally", DefaultValueFactory = _ => 30 };
        var stock = new Option<string?>("--stock-file") { Description = "Stock to seed (default: config/demo-stock.json)" };
        var verbose = new Option<bool>("--verbose") { Description = "Print the functions' JSON logs instead of writing .local/functions.log" };
        var command = new Command("up", "Run the whole system locally: emulators, topology, HTTP API, every consumer.") { port, emulator, visibility, stock, verbose };
        command.SetAction((parse, ct) => UpRunner.RunAsync(
            new UpOptions
            {
                Port = parse.GetValue(port),
                Emulators = Enum.Parse<EmulatorChoice>(parse.GetValue(emulator)!, ignoreCase: true),
                VisibilityTimeoutSeconds = parse.GetValue(visibility),
                StockFile = parse.GetValue(stock),
                Verbose = parse.GetValue(verbose),
            },
            ct));
        return command;
    }
}
