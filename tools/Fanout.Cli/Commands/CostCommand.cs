using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.Cli.Cost;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout cost</c>: what one completed order costs on AWS, measured on a fresh local system and priced at
/// the dated us-east-1 list prices shipped with the CLI.</summary>
internal static class CostCommand
{
    public static Command Create()
    {
        var orders = new Option<int>("--orders") { Description = "How many orders to place", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency") { Description = "Orders in flight at once", DefaultValueFactory = _ => 4 };
        var warmUp = new Option<int>("--warm-up") { Description = "Orders run before measuring, so JIT compilation is not counted", DefaultValueFactory = _ => 1 };
        var architecture = new Option<string?>("--architecture") { Description = "Lambda architecture to price: x86_64 or arm64 (default: the stack's, from cdk.json)" };
        architecture.AcceptOnlyFromAmong(CostModel.X86, CostModel.Arm64);
        var sampling = new Option<double>("--trace-sampling") { Description = "Share of orders X-Ray records a trace for (default 0.05: Lambda's default sampling rule records the first request each second and 5% of the rest; 1 = every order)", DefaultValueFactory = _ => 0.05 };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON on stdout (progress goes to stderr)" };
        orders.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 100_000) { r.AddError("--orders must be 1 to 100000."); } });
        concurrency.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 64) { r.AddError("--concurrency must be 1 to 64."); } });
        warmUp.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 0 or > 1000) { r.AddError("--warm-up must be 0 to 1000."); } });
        sampling.Validators.Add(r => { if (OptionValues.Parsed<double>(r) is < 0 or > 1 or double.NaN) { r.AddError("--trace-sampling must be 0 to 1."); } });
        var command = new Command("cost", "Run N orders on a fresh local system and report what one completed order costs on AWS (us-east-1 list prices).")
        {
            orders, concurrency, warmUp, architecture, sampling, json,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var asJson = parse.GetValue(json);
            var progress = asJson ? CliConsole.Error : CliConsole.Out;
            var prices = PriceList.LoadEmbedded();
            var run = await CostRunner.MeasureAsync(
                new CostOptions
                {
                    Orders = parse.GetValue(orders),
                    Concurrency = parse.GetValue(concurrency),
                    WarmUpOrders = parse.GetValue(warmUp),
                    Architecture = parse.GetValue(architecture),
                    TraceSampling = parse.GetValue(sampling),
                    AttachRulesMeter = Fanout.Harness.Metering.DynamoDbCapacityMeter.Attach,
                },
                line => progress.MarkupLine("[grey]" + Markup.Escape(line) + "[/]"),
                ct);
            if (run.OrdersCompleted == 0)
            {
                CliConsole.WriteError($"None of the {run.OrdersPlaced} orders completed; there is nothing to divide the cost by.");
                return ExitCodes.Failed;
            }

            var report = CostModel.Compute(run, prices);
            if (asJson)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, CostJsonContext.Default.CostReport));
            }
            else
            {
                CliConsole.Out.Write(CostTable(report));
                foreach (var note in Notes(report, prices))
                {
                    CliConsole.Out.MarkupLine("[grey]" + Markup.Escape(note) + "[/]");
                }
            }

            return report.OrdersCompleted == report.OrdersPlaced ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    internal static Table CostTable(CostReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = new Table().Border(TableBorder.Rounded)
            .Title(string.Create(CultureInfo.InvariantCulture, $"cost per completed order ({report.OrdersCompleted} of {report.OrdersPlaced} completed)"));
        table.AddColumn("Service");
        table.AddColumn("Per order");
        table.AddColumn(new TableColumn("USD per million orders").RightAligned());
        var usd = report.UsdPerMillionOrdersByService;
        void Row(string service, string perOrder, decimal? dollars) =>
            table.AddRow(Markup.Escape(service), Markup.Escape(perOrder), dollars is { } d ? Usd(d) : "");
        Row("SNS", $"{N(report.SnsPublishesPerOrder)} publishes", usd.Sns);
        Row("SQS", $"{N(report.SqsRequestsPerOrder)} requests: {N(report.SqsRequests.Deliveries)} deliveries, {N(report.SqsRequests.Receives)} receives, "
            + $"{N(report.SqsRequests.Deletes)} deletes, {N(report.SqsRequests.VisibilityChanges)} visibility changes, {N(report.SqsRequests.Other)} other", usd.Sqs);
        Row("DynamoDB", $"{N(report.DynamoDbWriteUnitsPerOrder)} WRU, {N(report.DynamoDbReadUnitsPerOrder)} RRU ({Basis(report)})", usd.DynamoDb);
        Row("  cross-check", $"DynamoDB Local reported {N(report.DynamoDbReportedWriteUnitsPerOrder)} WRU, {N(report.DynamoDbReportedReadUnitsPerOrder)} RRU "
            + $"over {N(report.DynamoDbWriteRequestsPerOrder)} writes, {N(report.DynamoDbReadRequestsPerOrder)} reads", null);
        Row("Lambda requests", $"{N(report.LambdaInvocationsPerOrder)} invocations", usd.LambdaRequests);
        Row("Lambda duration", string.Create(CultureInfo.InvariantCulture, $"{report.LambdaGbSecondsPerOrder:0.######} GB-s ({report.LambdaArchitecture})"), usd.LambdaDuration);
        foreach (var function in report.Lambda)
        {
            Row("  " + function.Function, function.PerOrder
                ? string.Create(CultureInfo.InvariantCulture, $"{N(function.InvocationsPerOrder)} invocations, {function.GbSecondsPerOrder:0.######} GB-s at {function.MemoryMb} MB")
                : string.Create(CultureInfo.InvariantCulture, $"{function.Invocations} scheduled runs (fixed, not per order)"), null);
        }

        Row("API Gateway (HTTP API)", $"{N(report.ApiRequestsPerOrder)} requests (POST + one GET)", usd.ApiGateway);
        Row("CloudWatch Logs", $"{N(report.LogBytesPerOrder)} bytes ingested", usd.CloudWatchLogs);
        Row("X-Ray", $"{N(report.XRayTracesPerOrder)} traces", usd.XRay);
        Row("KMS", "data keys reused for minutes: fixed, not per order", usd.Kms);
        table.AddRow(new Markup("[bold]total[/]"), new Markup(""), new Markup("[bold]" + Usd(report.UsdPerMillionOrders) + "[/]"));
        return table;
    }

    internal static IEnumerable<string> Notes(CostReport report, PriceList prices)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(prices);
        yield return $"Prices: {prices.Region} list prices of {prices.Date} ({prices.Currency}), free tiers ignored; sources in tools/Fanout.Cli/Cost/aws-prices-us-east-1.json.";
        if (report.Prices.Unconfirmed.Count > 0)
        {
            yield return $"Not confirmed on that date: {string.Join(", ", report.Prices.Unconfirmed)}.";
        }

        if (report.DynamoDbUnitsBasis != "aws-rules")
        {
            yield return "DynamoDB units are DynamoDB Local's reported figure (it over-counts transactions): no AWS-rules meter was attached.";
        }

        yield return "SNS publishes are counted at each function's publisher (events the topic accepted). SQS deliveries are messages first received (receive count 1).";
        yield return $"Idle long-poll receives during the run: {report.SqsIdleReceives} (a fixed cost of the pollers, not in the per-order figures).";
        yield return "Lambda durations are this machine's in-process (JIT) times, rounded up to the ms per invocation; log bytes exclude Lambda's START/END/REPORT lines.";
    }

    private static string Basis(CostReport report) => report.DynamoDbUnitsBasis == "aws-rules" ? "AWS rules" : "DynamoDB Local's figure";

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Usd(decimal value) => value.ToString("$0.0000", CultureInfo.InvariantCulture);
}
