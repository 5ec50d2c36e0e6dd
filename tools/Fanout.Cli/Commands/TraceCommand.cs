using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Insights;
using Fanout.Cli.Targeting;
using Fanout.Cli.Trace;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout trace &lt;orderId&gt;</c>: every hop of one order in time order, from the local function log or,
/// with <c>--stack</c>, from CloudWatch Logs Insights over the stack's function log groups.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.None);
        var orderId = new Argument<string>("orderId") { Description = "The order's id (as POST /orders answered it)" };
        var json = new Option<bool>("--json") { Description = "Print the hops as a JSON array (at, service, hop, eventType, queueWaitMs, processingMs, endToEndMs, outcome, traceId…)" };
        var logFile = new Option<string?>("--log-file") { Description = "The function log to read (default: .local/functions.log of this repository's `fanout up`)", HelpName = "path" };
        var since = new DurationOption("--since", "With --stack: how far back to search the logs", TimeSpan.FromHours(24), TimeSpan.FromMinutes(1));
        var command = new Command("trace", "Every hop of one order in time order: intake, publishes, each consumer's queue wait and processing time, outcomes, status applied, completion.")
        {
            orderId, json, logFile, since.Option,
        };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var id = parse.GetValue(orderId)!.Trim();
            var resolved = await target.ResolveAsync(parse, ct);
            IReadOnlyList<FunctionLogLine> lines;
            string source;
            if (resolved.Source == TargetSource.Stack)
            {
                var region = resolved.Region!;
                var groups = await StackLogGroups.ReadAsync(CliHttp.Shared, resolved.StackName!, region, TimeProvider.System, cancellationToken: ct);
                if (groups.Count == 0)
                {
                    throw new TargetResolutionException($"Stack '{resolved.StackName}' has no function log group.");
                }

                var endpoint = AwsEndpoint.Resolve("CLOUDWATCH_LOGS", "logs", region);
                var client = new LogsInsightsClient(new SignedAwsHttpClient(CliHttp.Shared, SignedAwsHttpClient.DefaultCredentials(), region, "logs", endpoint, TimeProvider.System));
                CliConsole.WriteNote($"Querying Logs Insights over {groups.Count} log groups of {resolved.Description}…");
                lines = await new InsightsTraceSource(client, TimeProvider.System).ReadAsync(groups, id, since.Get(parse), ct);
                source = "the log groups of " + resolved.Description;
            }
            else
            {
                var path = parse.GetValue(logFile) ?? DefaultLogPath();
                if (!File.Exists(path))
                {
                    throw new UsageException($"No function log at {path}: start `fanout up` (without --verbose) and place the order, or pass --log-file or --stack.");
                }

                lines = [.. LocalFunctionLog.Read(path)];
                source = path;
            }

            var hops = OrderTrace.Build(lines, id);
            if (hops.Count == 0)
            {
                CliConsole.WriteError($"No hop of order '{id}' in {source}. Check the id; a local log only holds the current `fanout up` run.");
                return ExitCodes.Failed;
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(hops, TraceJsonContext.Default.IReadOnlyListTraceHop));
            }
            else
            {
                CliConsole.Out.Write(Render(id, hops));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string DefaultLogPath()
    {
        try
        {
            return LocalFunctionLog.DefaultPath();
        }
        catch (InvalidOperationException ex)
        {
            throw new UsageException("Not inside the Fanout repository, so there is no local function log: pass --log-file or --stack.", ex);
        }
    }

    /// <summary>The human form: one row per hop, with the time since the first hop.</summary>
    internal static IRenderable Render(string orderId, IReadOnlyList<TraceHop> hops)
    {
        ArgumentNullException.ThrowIfNull(hops);
        var table = new Table().Border(TableBorder.Rounded).Title("order " + Markup.Escape(orderId));
        table.AddColumn("At (UTC)");
        table.AddColumn(new TableColumn("+ms").RightAligned());
        table.AddColumn("Service");
        table.AddColumn("Hop");
        table.AddColumn("Event");
        table.AddColumn(new TableColumn("Queue wait").RightAligned());
        table.AddColumn(new TableColumn("Processing").RightAligned());
        table.AddColumn("Outcome");
        table.AddColumn(new TableColumn("End-to-end").RightAligned());
        var first = hops[0].At;
        foreach (var hop in hops)
        {
            var outcome = hop.Outcome is { } o
                ? o + (hop.ReceiveCount is > 1 ? $" (receive {hop.ReceiveCount.Value.ToString(CultureInfo.InvariantCulture)})" : "")
                : hop.ForService is { } forService ? "for " + forService : hop.Message ?? "";
            table.AddRow(
                Markup.Escape(hop.At.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)),
                Ms((hop.At - first).TotalMilliseconds),
                Markup.Escape(hop.Service),
                hop.Hop == HopKinds.Completed ? "[green]completed[/]" : hop.Hop == HopKinds.Log ? "[yellow]log[/]" : Markup.Escape(hop.Hop),
                Markup.Escape(hop.EventType ?? ""),
                hop.QueueWaitMs is { } wait ? Ms(wait) : "",
                hop.ProcessingMs is { } processing ? Ms(processing) : "",
                hop.Outcome is "poison" or "failed" ? "[red]" + Markup.Escape(outcome) + "[/]" : Markup.Escape(outcome),
                hop.EndToEndMs is { } endToEnd ? Ms(endToEnd) : "");
        }

        var traces = hops.Select(h => h.TraceId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return new Rows(table, new Markup("[grey]" + Markup.Escape(traces.Count == 0 ? "no W3C trace id in these lines" : "trace " + string.Join(", ", traces)) + "[/]"));
    }

    private static string Ms(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + " ms";
}
