using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.Harness.Http;
using Fanout.Harness.Identity;
using Spectre.Console;

namespace Fanout.Cli.Local;

public sealed record UpOptions
{
    public int Port { get; init; } = 5080;

    public EmulatorChoice Emulators { get; init; } = EmulatorChoice.Embedded;

    public int VisibilityTimeoutSeconds { get; init; } = 30;

    public string? StockFile { get; init; }

    public bool Verbose { get; init; }
}

/// <summary>`fanout up`: the whole system on this machine until Ctrl-C or SIGTERM.</summary>
public static class UpRunner
{
    /// <summary>Test switch for the end-to-end test: while this file exists, the Inventory consumer fails
    /// every batch holding a message that contains <see cref="BreakMarkerVariable"/>'s value.</summary>
    public const string BreakFileVariable = "FANOUT_TEST_BREAK_FILE";

    public const string BreakMarkerVariable = "FANOUT_TEST_BREAK_MARKER";

    public static async Task<int> RunAsync(UpOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var repoRoot = RepositoryLayout.FindRoot();
        var statePath = LocalState.DefaultPath(repoRoot);

        if (LocalState.TryRead(statePath) is { } existing && IsAlive(existing.Pid))
        {
            AnsiConsole.MarkupLine($"[yellow]fanout up is already running[/] (pid {existing.Pid}) at [link]{existing.ApiUrl}[/]. Stop it first (Ctrl-C in its terminal, or kill {existing.Pid}).");
            return 3;
        }

        if (!PortIsFree(options.Port))
        {
            AnsiConsole.MarkupLine($"[red]Port {options.Port} on 127.0.0.1 is already in use[/] by another program. Pick another with --port.");
            return 4;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var logDir = Path.Combine(repoRoot, ".local");
        Directory.CreateDirectory(logDir);
        var functionLogPath = Path.Combine(logDir, "functions.log");
        await using var functionLog = TextWriter.Synchronized(new StreamWriter(functionLogPath, append: false) { AutoFlush = true });

        LocalFanout? fanout = null;
        LocalApiServer? api = null;
        try
        {
            AnsiConsole.MarkupLine($"Starting [bold]{options.Emulators}[/] emulators and cognito-local, provisioning the topology and the user pool...");
            fanout = await LocalFanout.StartAsync(
                new LocalFanoutOptions
                {
                    Emulators = options.Emulators,
                    VisibilityTimeoutSeconds = options.VisibilityTimeoutSeconds,
                    FunctionLog = options.Verbose ? TextWriter.Synchronized(Console.Out) : functionLog,
                    HarnessLog = line => functionLog.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["harness"] = line })),
                    DecorateHandler = TestBreakSwitch(),
                },
                stop.Token);

            var stockFile = options.StockFile ?? Path.Combine(repoRoot, "config", "demo-stock.json");
            var seeded = await StockFile.LoadAsync(stockFile, stop.Token);
            foreach (var (sku, units) in seeded)
            {
                await fanout.Stock.SetAsync(sku, units, stop.Token);
            }

            var identity = fanout.Identity ?? throw new InvalidOperationException("The local sign-in did not start.");
            api = await LocalApiServer.StartAsync(
                fanout.OrderApi,
                new LocalApiOptions { Port = options.Port, Authorizer = identity.CreateAuthorizer(TimeProvider.System) },
                stop.Token);
            WriteState(statePath, api.Url, fanout, identity, options.Emulators);

            AnsiConsole.MarkupLine($"[green]Fanout is running[/] on {Markup.Escape(fanout.Description)}");
            AnsiConsole.MarkupLine($"Seeded {seeded.Count} SKUs from {Markup.Escape(Path.GetRelativePath(repoRoot, stockFile))}; function logs: {Markup.Escape(Path.GetRelativePath(repoRoot, functionLogPath))}");
            Console.WriteLine();
            Console.WriteLine($"API: {api.Url}");
            Console.WriteLine($"Sign-in: cognito-local pool {identity.UserPoolId}; demo users {LocalUserPool.CustomerEmail} and {LocalUserPool.OperatorEmail} (operators), passwords in {Path.GetRelativePath(repoRoot, statePath)}");
            Console.WriteLine("Try:");
            Console.WriteLine($"  curl -si -X POST {api.Url}orders -H \"Authorization: Bearer $(scripts/fanout token)\" \\");
            Console.WriteLine("       -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \\");
            Console.WriteLine("       -d '{\"customer\":{\"email\":\"ada@example.com\",\"phone\":\"+14155550123\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":2}]}'");
            Console.WriteLine($"  curl -s {api.Url}orders/<orderId> -H \"Authorization: Bearer $(scripts/fanout token)\"");
            Console.WriteLine("  scripts/fanout watch");
            Console.WriteLine();
            // Tests and scripts wait for this exact line.
            Console.WriteLine($"ready in {clock.Elapsed.TotalSeconds:0.0} s: {api.Url} (Ctrl-C to stop)");

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Asked to stop.
            }

            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or HttpRequestException or TimeoutException)
        {
            AnsiConsole.MarkupLine($"[red]fanout up failed:[/] {Markup.Escape(ex.Message)}");
            return 1;
        }
        finally
        {
            var stopping = Stopwatch.StartNew();
            Console.WriteLine("stopping...");
            if (api is not null)
            {
                await api.DisposeAsync();
            }

            if (fanout is not null)
            {
                await fanout.DisposeAsync();
            }

            if (LocalState.TryRead(statePath) is { } state && state.Pid == Environment.ProcessId)
            {
                File.Delete(statePath);
            }

            Console.WriteLine($"stopped in {stopping.Elapsed.TotalSeconds:0.0} s");
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static Func<string, Fanout.AwsShims.Runtime.ILambdaHandler, Fanout.AwsShims.Runtime.ILambdaHandler>? TestBreakSwitch()
    {
        var file = Environment.GetEnvironmentVariable(BreakFileVariable);
        var marker = Environment.GetEnvironmentVariable(BreakMarkerVariable);
        if (string.IsNullOrEmpty(file) || string.IsNullOrEmpty(marker))
        {
            return null;
        }

        return (function, handler) => function == FanoutTopology.Inventory.Function.Name ? new BreakableHandler(handler, marker, () => File.Exists(file)) : handler;
    }

    private static void WriteState(string path, Uri apiUrl, LocalFanout fanout, LocalUserPool identity, EmulatorChoice emulators)
    {
        var state = new LocalState
        {
            Pid = Environment.ProcessId,
            ApiUrl = apiUrl.ToString(),
            Region = fanout.Target.Region,
            SqsEndpoint = fanout.Target.Sqs.ToString(),
            SnsEndpoint = fanout.Target.Sns.ToString(),
            DynamoDbEndpoint = fanout.Target.DynamoDb.ToString(),
            AccessKeyId = fanout.Target.AccessKeyId,
            // The embedded emulators' key is a fixed fake; external endpoints' real credentials stay where they came from.
            SecretAccessKey = emulators == EmulatorChoice.External ? null : fanout.Target.SecretAccessKey,
            TopicArn = fanout.Topology.TopicArn,
            Queues = fanout.Topology.Queues.ToDictionary(q => q.Key, q => new LocalQueueUrls { QueueUrl = q.Value.QueueUrl, DeadLetterQueueUrl = q.Value.DeadLetterQueueUrl }),
            Tables = new Dictionary<string, string>(fanout.Topology.Tables),
            Identity = ToState(identity),
        };
        state.Write(path);
    }

    /// <summary>The state file's view of the local pool; the only place the demo passwords are written.</summary>
    internal static LocalIdentity ToState(LocalUserPool identity) => new()
    {
        Endpoint = identity.Endpoint.ToString(),
        UserPoolId = identity.UserPoolId,
        ClientId = identity.ClientId,
        Issuer = identity.Issuer,
        Users = new Dictionary<string, LocalUser>
        {
            ["customer"] = new() { Email = identity.Customer.Email, Password = identity.Customer.Password, Operator = false },
            ["operator"] = new() { Email = identity.Operator.Email, Password = identity.Operator.Password, Operator = true },
        },
    };

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
