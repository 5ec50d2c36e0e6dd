using System.CommandLine;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.SQS;
using Fanout.Cli.Ceiling;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Commands;

/// <summary>`fanout ceiling`: the running local emulators' own throughput, to read `fanout load` against.</summary>
internal static class CeilingCommand
{
    public static Command Create()
    {
        var messages = new Option<int>("--messages") { Description = "Messages to publish and drain", DefaultValueFactory = _ => 2000 };
        var writes = new Option<int>("--writes") { Description = "Conditional writes to make", DefaultValueFactory = _ => 2000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent calls", DefaultValueFactory = _ => 8 };
        var command = new Command("ceiling", "Measure the local emulators' raw SNS→SQS and DynamoDB conditional-write throughput (needs a running `fanout up`).") { messages, writes, concurrency };
        command.SetAction(async (parse, ct) =>
        {
            var state = LocalUpStateFile.ForCurrentRepository().TryGetRunning();
            if (state is null)
            {
                await Console.Error.WriteLineAsync("No running `fanout up` found: start scripts/run.sh first.");
                return 1;
            }

            LocalUpStateFile.ToAwsTarget(state).ApplyToProcess();
            using var sqs = new AmazonSQSClient();
            using var dynamo = new AmazonDynamoDBClient();
            var ceiling = new EmulatorCeiling(sqs, Fanout.Functions.Common.Aws.AwsClients.Sns(TimeProvider.System), dynamo);
            var result = await ceiling.MeasureAsync(state.TopicArn, parse.GetValue(messages), parse.GetValue(writes), parse.GetValue(concurrency), ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SNS PublishBatch → SQS receive/delete: {result.Messages} messages in {result.MessagingElapsed.TotalSeconds:0.00} s = {result.MessagesPerSecond:0} msg/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DynamoDB conditional PutItem:         {result.Writes} writes in {result.WritesElapsed.TotalSeconds:0.00} s = {result.WritesPerSecond:0} writes/s"));
            return 0;
        });
        return command;
    }
}
