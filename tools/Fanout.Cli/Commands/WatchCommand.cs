using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Fanout.Cli.Queues;
using Fanout.Cli.Targeting;
using Fanout.Cli.Trace;
using Fanout.Cli.Watch;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout watch</c>: every consumer queue's depth, in-flight count, DLQ depth and oldest-message age; and,
/// locally, each service's rate, p50/p99 queue wait, p50/p99 processing time and retries over a sliding window, from
/// the consumers' per-record EMF lines in the function log.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Queues);
        var interval = new DurationOption("--interval", "Refresh interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200));
        var once = new Option<bool>("--once") { Description = "Print one snapshot and exit (for scripts)" };
        var window = new DurationOption("--window", "The sliding window of the per-service rates and percentiles", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        var logFile = new Option<string?>("--log-file") { Description = "The function log whose EMF lines give the per-service rates (default: .local/functions.log of the running `fanout up`)", HelpName = "path" };
        var command = new Command("watch", "Live view of every queue (visible, in flight, delayed, DLQ depth, oldest message age) and, locally, each service's rate, queue wait, processing time and retries.")
        {
            interval.Option, once, window.Option, logFile,
        };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var resolved = await target.ResolveAsync(parse, ct);
            using var aws = resolved.CreateAwsClients();
            IOldestMessageAge ages = resolved.Source == TargetSource.Stack
                ? CloudWatchOldestMessageAge.Create(CliHttp.Shared, resolved.Region!, TimeProvider.System)
                : new NoOldestMessageAge();
            var monitor = new QueueMonitor(new SqsQueueOps(aws.Sqs), ages, resolved.Queues);
            var console = CliConsole.Out;
            var title = "fanout watch · " + resolved.Description;
            var activity = new ActivityView(
                resolved.Source == TargetSource.Stack ? null : parse.GetValue(logFile) ?? LocalLogPath(),
                new ServiceActivity(window.Get(parse), TimeProvider.System));

            if (parse.GetValue(once))
            {
                var snapshot = await monitor.SnapshotAsync(ct);
                console.Write(Render(title, snapshot, monitor.AgeExplanation, TimeProvider.System.GetLocalNow(), activity.Render()));
                return snapshot.Any(s => s.Error is not null) ? ExitCodes.Unavailable : ExitCodes.Ok;
            }

            var every = interval.Get(parse);
            try
            {
                if (CliConsole.IsInteractive(console))
                {
                    await console.Live(new Text("reading queues…")).AutoClear(false).StartAsync(async live =>
                    {
                        while (true)
                        {
                            live.UpdateTarget(await RenderNowAsync(monitor, activity, title, ct));
                            await Task.Delay(every, ct);
                        }
                    });
                }
                else
                {
                    while (true)
                    {
                        console.Write(await RenderNowAsync(monitor, activity, title, ct));
                        await Task.Delay(every, ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C is how a watch ends.
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? LocalLogPath()
    {
        try
        {
            return LocalFunctionLog.DefaultPath();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task<IRenderable> RenderNowAsync(QueueMonitor monitor, ActivityView activity, string title, CancellationToken ct)
    {
        try
        {
            return Render(title, await monitor.SnapshotAsync(ct), monitor.AgeExplanation, TimeProvider.System.GetLocalNow(), activity.Render());
        }
        catch (AmazonClientException ex)
        {
            // Keep watching through an emulator restart or a network blip; say what is wrong meanwhile.
            return new Markup("[red]cannot read the queues:[/] " + Markup.Escape(ex.Message));
        }
    }

    internal static IRenderable Render(string title, IReadOnlyList<QueueSnapshot> snapshot, string ageExplanation, DateTimeOffset at, IRenderable? activity = null)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("Service").NoWrap());
        foreach (var heading in new[] { "Visible", "In flight", "Delayed", "Oldest", "DLQ visible", "DLQ in flight", "DLQ oldest" })
        {
            table.AddColumn(new TableColumn(heading).RightAligned());
        }

        foreach (var row in snapshot)
        {
            var dlqDepth = row.DeadLetter is { } dlq ? dlq.Visible + dlq.InFlight : 0;
            table.AddRow(
                Markup.Escape(row.Service) + (row.Error is not null ? " [red](error)[/]" : ""),
                Count(row.Queue?.Visible),
                Count(row.Queue?.InFlight),
                Count(row.Queue?.Delayed),
                Age(row.QueueAge),
                dlqDepth > 0 ? "[red]" + Count(row.DeadLetter?.Visible) + "[/]" : Count(row.DeadLetter?.Visible),
                Count(row.DeadLetter?.InFlight),
                Age(row.DeadLetterAge));
        }

        var lines = new List<IRenderable> { new Markup($"[bold]{Markup.Escape(title)}[/] · {at:HH:mm:ss}"), table, new Markup("[grey]" + Markup.Escape(ageExplanation) + "[/]") };
        lines.AddRange(snapshot.Where(s => s.Error is not null).Select(s => new Markup($"[red]{Markup.Escape(s.Service)}:[/] {Markup.Escape(s.Error!)}")));
        if (activity is not null)
        {
            lines.Add(activity);
        }

        return new Rows(lines);
    }

    /// <summary>The per-service table: records/s, p50/p99 queue wait, p50/p99 processing time and retries over the window.</summary>
    internal static IRenderable RenderRates(IReadOnlyList<ServiceRates> rates, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(rates);
        var table = new Table().Border(TableBorder.Rounded).Title("consumers, last " + Markup.Escape(Durations.Format(window)));
        table.AddColumn(new TableColumn("Service").NoWrap());
        foreach (var heading in new[] { "Records/s", "Wait p50", "Wait p99", "Proc p50", "Proc p99", "Retries" })
        {
            table.AddColumn(new TableColumn(heading).RightAligned());
        }

        foreach (var row in rates)
        {
            table.AddRow(
                Markup.Escape(row.Service),
                row.RatePerSecond.ToString("0.0#", CultureInfo.InvariantCulture),
                Ms(row.QueueWaitP50Ms),
                Ms(row.QueueWaitP99Ms),
                Ms(row.ProcessingP50Ms),
                Ms(row.ProcessingP99Ms),
                row.Retried > 0 ? "[yellow]" + row.Retried.ToString(CultureInfo.InvariantCulture) + "[/]" : "0");
        }

        return table;
    }

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms" : "[grey]-[/]";

    /// <summary>Tails the function log and renders the rates; says why when there is nothing to read.</summary>
    private sealed class ActivityView(string? logPath, ServiceActivity activity)
    {
        private readonly FunctionLogTail? _tail = logPath is null ? null : new FunctionLogTail(logPath);

        public IRenderable Render()
        {
            if (_tail is null)
            {
                return new Markup("[grey]Per-service rates and latencies come from the local function log; on a stack see the Fanout dashboard's metrics.[/]");
            }

            try
            {
                activity.Add(_tail.ReadNew());
            }
            catch (IOException ex)
            {
                return new Markup("[red]cannot read the function log:[/] " + Markup.Escape(ex.Message));
            }

            var rates = activity.Snapshot();
            return rates.Count == 0
                ? new Markup("[grey]" + Markup.Escape($"No consumer record line in {_tail.Path} yet (per-record EMF lines with Received).") + "[/]")
                : RenderRates(rates, activity.Window);
        }
    }

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Age(OldestAge age) => age.Age is { } value
        ? Markup.Escape(Durations.Format(value) + (age.Note is { } note ? " (" + note + ")" : ""))
        : "[grey]" + Markup.Escape(age.Note ?? "n/a") + "[/]";
}
