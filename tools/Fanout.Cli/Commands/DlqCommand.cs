using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.Cli.Dlq;
using Fanout.Cli.Queues;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Topology;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout dlq list|show|redrive &lt;service&gt;</c>.</summary>
internal static class DlqCommand
{
    public static Command Create()
    {
        var command = new Command("dlq", "Inspect a consumer's dead-letter queue and move its messages back.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Redrive());
        return command;
    }

    private static Argument<string> ServiceArgument()
    {
        var service = new Argument<string>("service") { Description = "The consumer: " + string.Join(", ", FanoutTopology.Consumers.Select(c => c.Service)) };
        service.AcceptOnlyFromAmong([.. FanoutTopology.Consumers.Select(c => c.Service)]);
        return service;
    }

    private static TargetOptions Target() => TargetOptions.For(TargetNeeds.Queues, wants: TargetNeeds.Table);

    private static Command List()
    {
        var target = Target();
        var service = ServiceArgument();
        var max = new Option<int>("--max") { Description = "Messages to show at most", DefaultValueFactory = _ => 10 };
        max.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 1000) { r.AddError("--max must be 1 to 1000."); } });
        var command = new Command("list", "Show DLQ messages (id, receive count, sent, body, recorded failure) without removing them.") { service, max };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var (inspector, queues, resolved, aws) = await OpenAsync(target, parse, parse.GetValue(service)!, ct);
            using (aws)
            {
                var entries = await inspector.PeekAsync(queues.DeadLetterQueueUrl, parse.GetValue(max), stopAt: null, ct);
                var console = CliConsole.Out;
                if (entries.Count == 0)
                {
                    console.MarkupLine($"The {Markup.Escape(queues.Service)} DLQ is empty ({Markup.Escape(resolved.Description)}).");
                    return ExitCodes.Ok;
                }

                var table = new Table().Border(TableBorder.Rounded);
                table.AddColumn("Message id");
                table.AddColumn(new TableColumn("Receives").RightAligned());
                table.AddColumn("Sent (UTC)");
                table.AddColumn("Body");
                table.AddColumn("Failure reason");
                foreach (var entry in entries)
                {
                    table.AddRow(
                        Markup.Escape(entry.Message.MessageId),
                        entry.Message.ReceiveCount?.ToString(CultureInfo.InvariantCulture) ?? "?",
                        entry.Message.SentAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",
                        Markup.Escape(Preview(entry.Message.Body, 60)),
                        Reason(entry.Failure, 80));
                }

                console.MarkupLine($"[bold]{Markup.Escape(queues.Service)} DLQ[/] {Markup.Escape(TargetResolver.QueueName(queues.DeadLetterQueueUrl))} · {Markup.Escape(resolved.Description)}");
                console.Write(table);
                console.MarkupLine($"[grey]{entries.Count} shown, all still in the DLQ (peeking adds one to each receive count). `fanout dlq show {Markup.Escape(queues.Service)} <id>` shows one in full.[/]");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Show()
    {
        var target = Target();
        var service = ServiceArgument();
        var messageId = new Argument<string>("messageId") { Description = "The DLQ message id (from `fanout dlq list`)" };
        var max = new Option<int>("--max") { Description = "Messages to look through at most", DefaultValueFactory = _ => 100 };
        max.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 10000) { r.AddError("--max must be 1 to 10000."); } });
        var command = new Command("show", "Show one DLQ message in full: body, attributes and recorded failure (it stays in the DLQ).") { service, messageId, max };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var (inspector, queues, resolved, aws) = await OpenAsync(target, parse, parse.GetValue(service)!, ct);
            using (aws)
            {
                var id = parse.GetValue(messageId)!;
                var entries = await inspector.PeekAsync(queues.DeadLetterQueueUrl, parse.GetValue(max), stopAt: id, ct);
                var entry = entries.FirstOrDefault(e => e.Message.MessageId == id);
                if (entry is null)
                {
                    CliConsole.WriteError($"Message {id} is not among the {entries.Count} message(s) read from the {queues.Service} DLQ ({resolved.Description}).");
                    return ExitCodes.Failed;
                }

                var console = CliConsole.Out;
                var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
                grid.AddRow("[bold]Message id[/]", Markup.Escape(entry.Message.MessageId));
                foreach (var (name, value) in entry.Message.SystemAttributes.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    grid.AddRow(Markup.Escape(name), Markup.Escape(SystemAttribute(name, value)));
                }

                foreach (var (name, value) in entry.Message.MessageAttributes.OrderBy(a => a.Key, StringComparer.Ordinal))
                {
                    grid.AddRow("attr " + Markup.Escape(name), Markup.Escape($"{value.StringValue ?? (value.BinaryValue is null ? "" : "(binary)")} [{value.DataType}]"));
                }

                grid.AddRow("[bold]Failure[/]", Reason(entry.Failure, int.MaxValue));
                if (entry.Failure.Record is { } record)
                {
                    grid.AddRow("  error type", Markup.Escape(record.ErrorType));
                    grid.AddRow("  poison", record.Poison ? "yes (will fail again as is)" : "no (may succeed on redrive)");
                    grid.AddRow("  recorded", Markup.Escape($"{record.RecordedAt} at receive {record.ReceiveCount?.ToString(CultureInfo.InvariantCulture) ?? "?"}"));
                }

                console.Write(new Panel(grid).Header($"{Markup.Escape(queues.Service)} DLQ message"));
                console.Write(new Text(PrettyJson(entry.Message.Body) + Environment.NewLine));
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Redrive()
    {
        var target = Target();
        var service = ServiceArgument();
        var rate = new Option<int>("--rate") { Description = "Messages per second", DefaultValueFactory = _ => 10 };
        var max = new Option<int?>("--max") { Description = "Move at most this many (default: all)" };
        var strategy = new Option<string>("--strategy")
        {
            Description = "auto: StartMessageMoveTask where the endpoint has it and no --max, else receive/send/delete; move-task; manual",
            DefaultValueFactory = _ => "auto",
        };
        strategy.AcceptOnlyFromAmong("auto", "move-task", "manual");
        rate.Validators.Add(r => { if (OptionValues.Parsed<int>(r) is < 1 or > 1000) { r.AddError("--rate must be 1 to 1000 messages per second."); } });
        max.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1) { r.AddError("--max must be at least 1."); } });
        var command = new Command("redrive", "Move DLQ messages back to the service's queue (never losing one); exit 1 if any could not be moved.")
        {
            service, rate, max, strategy,
        };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            if (ParseStrategy(parse.GetValue(strategy)) == RedriveStrategy.MoveTask && parse.GetValue(max) is not null)
            {
                throw new UsageException("--strategy move-task moves every message; it cannot stop at --max. Drop one of them.");
            }

            var resolved = await target.ResolveAsync(parse, ct, parse.GetValue(service));
            var queues = resolved.RequireQueues(parse.GetValue(service)!);
            using var aws = resolved.CreateAwsClients();
            var redriver = new DlqRedriver(new SqsQueueOps(aws.Sqs), TimeProvider.System);
            var options = new RedriveOptions { RatePerSecond = parse.GetValue(rate), MaxMessages = parse.GetValue(max), Strategy = ParseStrategy(parse.GetValue(strategy)) };
            CliConsole.WriteNote($"Redriving {TargetResolver.QueueName(queues.DeadLetterQueueUrl)} → {TargetResolver.QueueName(queues.QueueUrl)} at {options.RatePerSecond}/s ({resolved.Description}).");
            var progress = new Progress<RedriveProgress>(p =>
            {
                if ((p.Moved + p.Failed) % 50 == 0 && p.Moved + p.Failed > 0)
                {
                    var of = p.Total is { } total ? " of " + total.ToString(CultureInfo.InvariantCulture) : "";
                    CliConsole.WriteNote(string.Create(CultureInfo.InvariantCulture, $"… {p.Moved} moved, {p.Failed} failed{of}"));
                }
            });
            var result = await redriver.RedriveAsync(queues.DeadLetterQueueUrl, queues.QueueUrl, options, progress, ct);
            if (result.Note is { } note)
            {
                CliConsole.WriteNote(note);
            }

            var console = CliConsole.Out;
            var method = result.Method == RedriveMethod.MoveTask ? "StartMessageMoveTask" : "receive → send → delete";
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[green]{result.Moved} moved[/], {(result.Failed > 0 ? "[red]" : "")}{result.Failed} failed{(result.Failed > 0 ? "[/]" : "")} ({Markup.Escape(method)})."));
            foreach (var failure in result.Failures.Take(20))
            {
                console.MarkupLine($"  [red]•[/] {Markup.Escape(failure.MessageId)}: {Markup.Escape(failure.Reason)}");
            }

            if (result.Failures.Count > 20)
            {
                console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"  … and {result.Failures.Count - 20} more."));
            }

            if (result.Failed > 0)
            {
                console.MarkupLine("Messages that failed are still in the DLQ.");
            }

            return result.Cancelled ? ExitCodes.Cancelled : result.Failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static RedriveStrategy ParseStrategy(string? value) => value switch
    {
        "move-task" => RedriveStrategy.MoveTask,
        "manual" => RedriveStrategy.Manual,
        _ => RedriveStrategy.Auto,
    };

    private static async Task<(DlqInspector Inspector, QueuePair Queues, ResolvedTarget Target, AwsClients Aws)> OpenAsync(TargetOptions target, ParseResult parse, string service, CancellationToken ct)
    {
        var consumer = FanoutTopology.Consumers.First(c => c.Service == service);
        var resolved = await target.ResolveAsync(parse, ct, service, consumer.Function.Table.Id);
        var queues = resolved.RequireQueues(service);
        var aws = resolved.CreateAwsClients();
        IFailureReasons reasons = resolved.TableName is { } table
            ? new DynamoFailureReasons(aws.DynamoDb, table)
            : new NoFailureReasons($"unknown: no table for {service} (pass --table)");
        return (new DlqInspector(new SqsQueueOps(aws.Sqs), reasons), queues, resolved, aws);
    }

    private static string Reason(FailureLookup failure, int width) => failure switch
    {
        { Record: { } record } => (record.Poison ? "[red]poison[/] " : "") + Markup.Escape(Preview(record.Reason, width)),
        { Error: { } error } => "[grey]" + Markup.Escape(Preview(error, width)) + "[/]",
        _ => "[grey]none recorded[/]",
    };

    private static string SystemAttribute(string name, string value) =>
        name.EndsWith("Timestamp", StringComparison.Ordinal) && long.TryParse(value, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC"
            : value;

    internal static string Preview(string text, int width)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length > width ? flat[..Math.Max(1, width - 1)] + "…" : flat;
    }

    internal static string PrettyJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                document.WriteTo(writer);
            }

            return System.Text.Encoding.UTF8.GetString(stream.ToArray());
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
