using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.Cli.Api;
using Fanout.Cli.Load;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout load</c>: N random valid orders at a steady rate, with POST and full fan-out latency.</summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Api);
        var signIn = SignInOptions.ForApiCalls();
        var orders = new Option<int>("--orders") { Description = "How many orders to send", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Orders per second", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "POST requests in flight at most (fan-out polls get as many again)", DefaultValueFactory = _ => 8 };
        var fanoutTimeout = new DurationOption("--fanout-timeout", "How long an order may stay PENDING before it counts as timed out", TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1));
        var pollInterval = new DurationOption("--poll-interval", "Longest gap between polls of one order (how soon completion is found; the fan-out time itself is the server's)", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50));
        var seed = new Option<int?>("--seed") { Description = "Seed for the random orders, to repeat a run exactly" };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON on stdout (progress goes to stderr)" };
        orders.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 1_000_000) { r.AddError("--orders must be 1 to 1000000."); } });
        rate.Validators.Add(r => { if (OptionValues.Parsed<double>(r) is <= 0 or > 10_000 or double.NaN) { r.AddError("--rate must be above 0 and at most 10000."); } });
        concurrency.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 1024) { r.AddError("--concurrency must be 1 to 1024."); } });
        var command = new Command("load", "Send generated orders at a rate and report accepted/rejected and POST and fan-out latency percentiles.")
        {
            orders, rate, concurrency, fanoutTimeout.Option, pollInterval.Option, seed, json,
        };
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var options = new LoadOptions
            {
                Orders = parse.GetValue(orders),
                RatePerSecond = parse.GetValue(rate),
                Concurrency = parse.GetValue(concurrency),
                FanoutTimeout = fanoutTimeout.Get(parse),
                MaxPollInterval = pollInterval.Get(parse),
            };
            var asJson = parse.GetValue(json);
            var resolved = await target.ResolveAsync(parse, ct);
            var token = await signIn.ResolveAsync(parse, resolved, ct);

            // Signing in before the first order keeps a refused sign-in from counting as N failed orders; the
            // source signs in again by itself if the run outlasts the token.
            await token.GetAsync(ct);
            var catalog = await DemoCatalog.LoadAsync(ct);
            var runId = Guid.NewGuid().ToString("N")[..8];
            var generator = new OrderGenerator(catalog.Skus, parse.GetValue(seed) is { } s ? new Random(s) : new Random(), runId);

            // Each in-flight POST and poll needs its own connection; the default pool would queue them and distort latency.
            using var http = CliHttp.Create(options.Concurrency * 2, TimeSpan.FromSeconds(30));
            var api = new OrderApiClient(http, resolved.RequireApiUrl(), token);
            var runner = new LoadRunner(api, TimeProvider.System);
            CliConsole.WriteNote(string.Create(CultureInfo.InvariantCulture,
                $"Sending {options.Orders} orders at {options.RatePerSecond}/s, {options.Concurrency} in flight, to {api.OrdersUrl} ({resolved.Description}) as {token.Description}; SKUs from {catalog.Source}; run {runId}."));

            var progressConsole = asJson ? CliConsole.Error : CliConsole.Out;
            var run = CliConsole.IsInteractive(progressConsole)
                ? await RunWithProgressBarAsync(progressConsole, runner, options, generator, ct)
                : await runner.RunAsync(options, generator.Next, new LineProgress(progressConsole, options.Orders), ct);

            var summary = LoadSummary.From(run, options);
            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(summary, LoadJsonContext.Default.LoadSummary));
            }
            else
            {
                CliConsole.Out.Write(SummaryTable(summary));
                CliConsole.Out.MarkupLine("[grey]fan-out = the order's createdAt → completedAt, and per service createdAt → appliedAt, from GET /orders/{id} (server clock; polling only finds them).[/]");
            }

            return run.Cancelled ? ExitCodes.Cancelled : summary.AllSucceeded ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static async Task<LoadRunResult> RunWithProgressBarAsync(IAnsiConsole console, LoadRunner runner, LoadOptions options, OrderGenerator generator, CancellationToken ct)
    {
        LoadRunResult? result = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var posted = context.AddTask("POST /orders", maxValue: options.Orders);
                var settled = context.AddTask("fanned out", maxValue: options.Orders);
                result = await runner.RunAsync(options, generator.Next, new BarProgress(posted, settled), ct);
                posted.StopTask();
                settled.StopTask();
            });
        return result!;
    }

    internal static Table SummaryTable(LoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var table = new Table().Border(TableBorder.Rounded).Title(summary.Cancelled ? "load (cancelled)" : "load summary");
        table.AddColumn("Measure");
        table.AddColumn(new TableColumn("Value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        string N(int value) => value.ToString(CultureInfo.InvariantCulture);
        string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        Row("sent", $"{N(summary.Sent)} of {N(summary.Requested)}");
        Row("accepted (202)", N(summary.Accepted));
        Row("rejected (4xx)", N(summary.Rejected));
        Row("errors (5xx/network)", N(summary.Errors));
        Row("completed", N(summary.Completed));
        Row("rejected: out of stock", N(summary.OutOfStock));
        Row("timed out (still PENDING)", N(summary.TimedOut));
        if (summary.Unfinished > 0)
        {
            Row("interrupted", N(summary.Unfinished));
        }

        Row("POST p50 / p95 / p99", summary.PostLatency is { } post ? $"{Ms(post.P50Ms)} / {Ms(post.P95Ms)} / {Ms(post.P99Ms)}" : "n/a");
        Row("fan-out p50 / p95 / p99", summary.FanoutLatency is { } fan ? $"{Ms(fan.P50Ms)} / {Ms(fan.P95Ms)} / {Ms(fan.P99Ms)}" : "n/a");
        foreach (var (service, latency) in summary.ServiceLatency)
        {
            Row($"  {service} applied p50 / p95 / p99", $"{Ms(latency.P50Ms)} / {Ms(latency.P95Ms)} / {Ms(latency.P99Ms)}");
        }
        Row("rate achieved / target", string.Create(CultureInfo.InvariantCulture, $"{summary.AchievedRatePerSecond:0.0}/s / {summary.TargetRatePerSecond:0.0}/s"));
        foreach (var error in summary.TopErrors)
        {
            Row($"× {N(error.Count)}", error.Error.Length > 80 ? error.Error[..80] + "…" : error.Error);
        }

        return table;
    }

    private sealed class BarProgress(ProgressTask posted, ProgressTask settled) : ILoadObserver
    {
        public void Posted(OrderOutcome outcome) => posted.Increment(1);

        public void Settled(OrderOutcome outcome) => settled.Increment(1);
    }

    /// <summary>For pipes and CI logs: a line per tenth of the run instead of a redrawn bar.</summary>
    private sealed class LineProgress(IAnsiConsole console, int total) : ILoadObserver
    {
        private readonly int _step = Math.Max(1, total / 10);
        private int _posted;
        private int _settled;

        public void Posted(OrderOutcome outcome)
        {
            var count = Interlocked.Increment(ref _posted);
            if (count % _step == 0 || count == total)
            {
                console.Write(new Text(string.Create(CultureInfo.InvariantCulture, $"posted {count}/{total}\n")));
            }
        }

        public void Settled(OrderOutcome outcome)
        {
            var count = Interlocked.Increment(ref _settled);
            if (count % _step == 0 || count == total)
            {
                console.Write(new Text(string.Create(CultureInfo.InvariantCulture, $"fanned out {count}/{total}\n")));
            }
        }
    }
}
