using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.Cli.Messages;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Topology;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout messages &lt;orderId&gt; [--json]</c>: what the sms and email services recorded for an order
/// (channel, notification kind, time, text), read from their tables with AWS credentials, like <c>fanout stock</c>.</summary>
internal static class MessagesCommand
{
    public static Command Create()
    {
        var orderId = new Argument<string>("orderId") { Description = "The order id (a UUID) from `fanout order`" };
        var json = new Option<bool>("--json") { Description = "Print the messages as a JSON array instead of a table" };
        var stack = new Option<string?>("--stack") { Description = "A deployed stack's name: the table names come from its CloudFormation outputs", HelpName = "name" };
        var region = new Option<string?>("--region") { Description = "AWS region (default: AWS_REGION; with --stack, the region to find it in)", HelpName = "region" };
        var smsTable = new Option<string?>("--sms-table") { Description = "The sms table's name, overriding the stack or local state", HelpName = "name" };
        var emailTable = new Option<string?>("--email-table") { Description = "The email table's name, overriding the stack or local state", HelpName = "name" };
        var command = new Command("messages", "List what the sms and email services recorded for an order: channel, notification, time (UTC) and text.")
        {
            orderId, json, stack, region, smsTable, emailTable,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var resolver = new TargetResolver(new CloudFormationStackOutputs(CliHttp.Shared, TimeProvider.System), LocalUpStateFile.ForCurrentRepository());
            TargetRequest Request(TableSpec table, string? name) => new()
            {
                Needs = TargetNeeds.Table,
                Stack = parse.GetValue(stack),
                Region = parse.GetValue(region),
                Table = name,
                TableId = table.Id,
            };
            var sms = await resolver.ResolveAsync(Request(FanoutTopology.SmsTable, parse.GetValue(smsTable)), ct);
            var email = await resolver.ResolveAsync(Request(FanoutTopology.EmailTable, parse.GetValue(emailTable)), ct);
            using var aws = sms.CreateAwsClients();
            var reader = new SentMessagesReader(new DynamoRecordedItems(aws.DynamoDb));
            var id = parse.GetValue(orderId)!;
            var messages = await reader.ReadAsync(
                [new MessageTable(FanoutTopology.SmsTable.Id, sms.RequireTable()), new MessageTable(FanoutTopology.EmailTable.Id, email.RequireTable())],
                id,
                ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(ToJson(messages));
                return ExitCodes.Ok;
            }

            if (messages.Count == 0)
            {
                CliConsole.Out.MarkupLine($"No messages recorded for order {Markup.Escape(id)} ({Markup.Escape(sms.Description)}).");
                return ExitCodes.Ok;
            }

            CliConsole.Out.Write(Render(id, messages));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The JSON array of <paramref name="messages"/>: <c>[{"channel","notification","sentAt","text"}]</c>.</summary>
    internal static string ToJson(IReadOnlyList<SentMessage> messages) =>
        JsonSerializer.Serialize(messages, MessagesJsonContext.Default.IReadOnlyListSentMessage);

    internal static IRenderable Render(string orderId, IReadOnlyList<SentMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Sent (UTC)");
        table.AddColumn("Channel");
        table.AddColumn("Notification");
        table.AddColumn("Text");
        foreach (var message in messages)
        {
            table.AddRow(
                Markup.Escape(message.SentAt?.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "?"),
                Markup.Escape(message.Channel),
                Markup.Escape(message.Notification.Length == 0 ? "?" : message.Notification),
                Markup.Escape(message.Text));
        }

        return new Rows(new Markup("Messages for order [bold]" + Markup.Escape(orderId) + "[/]"), table);
    }
}
