using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.SQS;
using Fanout.Cli.Api;
using Fanout.Cli.Bench;
using Fanout.Cli.Ceiling;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.Inventory;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout bench</c>: against a running local <c>fanout up</c>, the emulators' own ceiling, the highest
/// order rate whose server-side fan-out p99 stays within a target, and every function's AOT and JIT cold start.</summary>
internal static class BenchCommand
{
    /// <summary>Units every demo SKU gets before the rate steps, so no order is refused for stock and every one
    /// takes the full path.</summary>
    private const int BenchStock = 1_000_000;

    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Api);
        var signIn = SignInOptions.ForApiCalls();
        var rates = new Option<string>("--rates") { Description = "Offered order rates to step through, per second, comma-separated", DefaultValueFactory = _ => "50,100,150,200,250" };
        var stepSeconds = new Option<double>("--step-seconds") { Description = "How long each rate is offered", DefaultValueFactory = _ => 12 };
        var warmupSeconds = new Option<double>("--warmup-seconds") { Description = "Orders at the first rate before the steps, not counted, so the JIT and the emulators are warm (0: none)", DefaultValueFactory = _ => 15 };
        var p99Target = new Option<double>("--p99-target-ms") { Description = "Fan-out p99 a rate must stay within to hold", DefaultValueFactory = _ => 100 };
        var maxInFlight = new Option<int>("--max-in-flight") { Description = "POSTs in flight at most", DefaultValueFactory = _ => 64 };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Run every rate, not stop at the first that does not hold" };
        var ceilingMessages = new Option<int>("--ceiling-messages") { Description = "Messages for the emulator ceiling (0: skip it)", DefaultValueFactory = _ => 2000 };
        var ceilingWrites = new Option<int>("--ceiling-writes") { Description = "Conditional writes for the emulator ceiling", DefaultValueFactory = _ => 2000 };
        var coldStartRuns = new Option<int>("--cold-start-runs") { Description = "Cold starts per function and build, the median reported (0: skip)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON on stdout (progress goes to stderr)" };
        stepSeconds.Validators.Add(r => { if (OptionValues.Parsed<double>(r) is <= 0 or > 600 or double.NaN) { r.AddError("--step-seconds must be above 0 and at most 600."); } });
        warmupSeconds.Validators.Add(r => { if (OptionValues.Parsed<double>(r) is < 0 or > 600 or double.NaN) { r.AddError("--warmup-seconds must be 0 to 600."); } });
        maxInFlight.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 1024) { r.AddError("--max-in-flight must be 1 to 1024."); } });
        coldStartRuns.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 0 or > 50) { r.AddError("--cold-start-runs must be 0 to 50."); } });
        var command = new Command("bench", "Measure the local system: emulator ceiling, highest sustained order rate with fan-out p99 within a target, AOT vs JIT cold starts (needs a running `fanout up`).")
        {
            rates, stepSeconds, warmupSeconds, p99Target, maxInFlight, keepGoing, ceilingMessages, ceilingWrites, coldStartRuns, json,
        };
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var offered = ParseRates(parse.GetValue(rates)!);
            var state = LocalUpStateFile.ForCurrentRepository().TryGetRunning()
                ?? throw new UsageException("No running `fanout up` found: start scripts/run.sh (or use scripts/bench.sh, which starts one).");
            var aws = LocalUpStateFile.ToAwsTarget(state);
            aws.ApplyToProcess();
            var asJson = parse.GetValue(json);
            var progress = asJson ? Console.Error : Console.Out;
            var startedAt = TimeProvider.System.GetUtcNow();
            var loadAtStart = BenchReport.ReadLoadAverage();

            CeilingFigures? ceiling = null;
            if (parse.GetValue(ceilingMessages) is > 0 and var messages)
            {
                await progress.WriteLineAsync("bench: measuring the emulators' ceiling...");
                using var sqs = new AmazonSQSClient();
                using var dynamo = new AmazonDynamoDBClient();
                var measured = await new EmulatorCeiling(sqs, Fanout.Functions.Common.Aws.AwsClients.Sns(TimeProvider.System), dynamo)
                    .MeasureAsync(state.TopicArn, messages, parse.GetValue(ceilingWrites), 8, ct);
                ceiling = new CeilingFigures(measured.Messages, Math.Round(measured.MessagesPerSecond), measured.Writes, Math.Round(measured.WritesPerSecond));
            }

            var steps = new List<RateStepResult>();
            if (offered.Count > 0)
            {
                var resolved = await target.ResolveAsync(parse, ct);
                var token = await signIn.ResolveAsync(parse, resolved, ct);
                await token.GetAsync(ct);
                var catalog = await DemoCatalog.LoadAsync(ct);
                using (var dynamo = new AmazonDynamoDBClient())
                {
                    var stock = new StockAdmin(dynamo, state.Tables[FanoutTopology.InventoryTable.Id], TimeProvider.System);
                    foreach (var sku in catalog.Skus)
                    {
                        await stock.SetAsync(sku, BenchStock, ct);
                    }
                }

                var inFlight = parse.GetValue(maxInFlight);
                using var http = CliHttp.Create(inFlight + 16, TimeSpan.FromSeconds(30));
                var api = new OrderApiClient(http, resolved.RequireApiUrl(), token);
                var generator = new OrderGenerator(catalog.Skus, new Random(), "bench-" + Guid.NewGuid().ToString("N")[..8]);
                var logPath = Path.Combine(RepositoryLayout.FindRoot(), ".local", "functions.log");
                var target99 = parse.GetValue(p99Target);
                var seconds = parse.GetValue(stepSeconds);
                var sequence = 0;
                PlaceOrderCommand Next(int _) => generator.Next(Interlocked.Increment(ref sequence));

                if (parse.GetValue(warmupSeconds) is > 0 and var warmup)
                {
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: warming up at {offered[0]}/s for {warmup} s..."));
                    await new RateStepRunner(api, TimeProvider.System).RunAsync(new RateStepOptions { RatePerSecond = offered[0], Duration = TimeSpan.FromSeconds(warmup), MaxInFlight = inFlight }, Next, target99, ct);
                }

                foreach (var rate in offered)
                {
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench: offering {rate} orders/s for {seconds} s..."));
                    // A fresh index per step: the log has grown by this step's orders.
                    var index = new LogCompletionIndex(logPath);
                    var step = await new RateStepRunner(api, TimeProvider.System, index.Find)
                        .RunAsync(new RateStepOptions { RatePerSecond = rate, Duration = TimeSpan.FromSeconds(seconds), MaxInFlight = inFlight }, Next, target99, ct);
                    steps.Add(step);
                    await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"bench: {rate}/s → accepted {step.AcceptedPerSecond}/s, pending at end {step.LeftPending}, fan-out p99 {step.FanoutLatency?.P99Ms.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a"} ms: {(step.Holds ? "holds" : "does not hold")}"));
                    if (!step.Holds && !parse.GetValue(keepGoing))
                    {
                        break;
                    }
                }
            }

            var coldStarts = new List<ColdStartResult>();
            if (parse.GetValue(coldStartRuns) is > 0 and var runs)
            {
                var root = RepositoryLayout.FindRoot();
                var environment = new Dictionary<string, string>(aws.ToEnvironment(), StringComparer.Ordinal) { ["AWS_EC2_METADATA_DISABLED"] = "true" };
                var runner = new ColdStartRunner(environment, TimeSpan.FromSeconds(30), TimeProvider.System);
                foreach (var function in FanoutTopology.Functions)
                {
                    var settings = ColdStartRunner.SettingsFor(function, state.Tables, state.TopicArn);
                    foreach (var subject in ColdStartRunner.Subjects(root, function))
                    {
                        await progress.WriteLineAsync($"bench: cold-starting {function.Name} ({subject.Build}) ×{runs}...");
                        coldStarts.Add(await runner.MeasureAsync(subject, function, settings, runs, ct));
                    }
                }
            }

            var report = new BenchReport
            {
                StartedAt = startedAt,
                Processors = Environment.ProcessorCount,
                LoadAverage = loadAtStart is { } first && BenchReport.ReadLoadAverage() is { } last ? [first, last] : null,
                Ceiling = ceiling,
                P99TargetMs = parse.GetValue(p99Target),
                StepSeconds = parse.GetValue(stepSeconds),
                Steps = steps,
                HighestSustainedPerSecond = BenchReport.Highest(steps),
                ColdStarts = coldStarts,
            };
            if (asJson)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport));
            }
            else
            {
                report.Write(CliConsole.Out);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"50,100,150" → [50, 100, 150]; an empty text means no rate steps.</summary>
    internal static List<double> ParseRates(string text)
    {
        var rates = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate is <= 0 or > 10_000 || double.IsNaN(rate))
            {
                throw new UsageException($"--rates: '{part}' is not a rate above 0 and at most 10000 per second.");
            }

            rates.Add(rate);
        }

        return rates;
    }
}
