using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Fanout.Cli.Queues;
using Fanout.Cli.Targeting;
using Fanout.Cli.Watch;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout watch</c>: every consumer queue's depth, in-flight count, DLQ depth and oldest-message age.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Queues);
        var interval = new DurationOption("--interval", "Refresh interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200));
        var once = new Option<bool>("--once") { Description = "Print one snapshot and exit (for scripts)" };
        var command = new Command("watch", "Live view of every queue: visible, in flight, delayed, DLQ depth, oldest message age.") { interval.Option, once };
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

            if (parse.GetValue(once))
            {
                var snapshot = await monitor.SnapshotAsync(ct);
                console.Write(Render(title, snapshot, monitor.AgeExplanation, TimeProvider.System.GetLocalNow()));
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
                            live.UpdateTarget(await RenderNowAsync(monitor, title, ct));
                            await Task.Delay(every, ct);
                        }
                    });
                }
                else
                {
                    while (true)
                    {
                        console.Write(await RenderNowAsync(monitor, title, ct));
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

    private static async Task<IRenderable> RenderNowAsync(QueueMonitor monitor, string title, CancellationToken ct)
    {
        try
        {
            return Render(title, await monitor.SnapshotAsync(ct), monitor.AgeExplanation, TimeProvider.System.GetLocalNow());
        }
        catch (AmazonClientException ex)
        {
            // Keep watching through an emulator restart or a network blip; say what is wrong meanwhile.
            return new Markup("[red]cannot read the queues:[/] " + Markup.Escape(ex.Message));
        }
    }

    internal static IRenderable Render(string title, IReadOnlyList<QueueSnapshot> snapshot, string ageExplanation, DateTimeOffset at)
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
        return new Rows(lines);
    }

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Age(OldestAge age) => age.Age is { } value
        ? Markup.Escape(Durations.Format(value) + (age.Note is { } note ? " (" + note + ")" : ""))
        : "[grey]" + Markup.Escape(age.Note ?? "n/a") + "[/]";
}
