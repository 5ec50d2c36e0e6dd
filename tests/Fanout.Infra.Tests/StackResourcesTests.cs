using Amazon.CDK.Assertions;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

[Trait("Category", "Infra")]
public sealed class StackResourcesTests
{
    private static readonly int Consumers = FanoutTopology.Consumers.Count;
    private static readonly int Functions = FanoutTopology.Functions.Count;

    [Fact]
    public void Synth_DefaultTopology_CreatesOneOfEachPiecePerConsumerFunctionAndTable()
    {
        var template = SynthesizedStack.Default.Template;

        // order-events and the alarm topic.
        template.ResourceCountIs("AWS::SNS::Topic", 2);
        template.ResourceCountIs("AWS::SNS::TopicPolicy", 2);
        // Per consumer: queue, its DLQ, the subscription's DLQ; plus the relay's failure queue and the reconciler
        // schedule's DLQ; each with a TLS-only policy.
        template.ResourceCountIs("AWS::SQS::Queue", (3 * Consumers) + 2);
        template.ResourceCountIs("AWS::SQS::QueuePolicy", (3 * Consumers) + 2);
        template.ResourceCountIs("AWS::SNS::Subscription", Consumers);
        template.ResourceCountIs("AWS::Lambda::Function", Functions);
        // One per function, plus the one EventBridge Scheduler assumes.
        template.ResourceCountIs("AWS::IAM::Role", Functions + 1);
        // One per consumer queue, plus the relay's on the orders table's stream.
        template.ResourceCountIs("AWS::Lambda::EventSourceMapping", Consumers + 1);
        template.ResourceCountIs("AWS::Scheduler::Schedule", 1);
        template.ResourceCountIs("AWS::DynamoDB::Table", FanoutTopology.Tables.Count);
        template.ResourceCountIs("AWS::KMS::Key", 1);
        template.ResourceCountIs("AWS::ApiGatewayV2::Api", 1);
        template.ResourceCountIs("AWS::ApiGatewayV2::Route", OrderApiTopology.Routes.Count);
        template.ResourceCountIs("AWS::ApiGatewayV2::Stage", 1);
        // Two per DLQ pair, one age alarm per queue, errors and throttles per function, SNS failures, the relay's
        // failure queue, its stream lag, the schedule's DLQ and stuck orders; per consumer its retry rate, poison and
        // published-vs-delivered drift; the end-to-end latency.
        template.ResourceCountIs("AWS::CloudWatch::Alarm", (3 * Consumers) + (2 * Functions) + 1 + 4 + (3 * Consumers) + 1);
        template.ResourceCountIs("AWS::CloudWatch::Dashboard", 1);
        // One per function, plus the API's access logs.
        template.ResourceCountIs("AWS::Logs::LogGroup", Functions + 1);
    }

    [Fact]
    public void Synth_DefaultTopology_HasNoCustomResourcesOrHelperFunctions()
    {
        // Log retention set through LogGroup, not CDK's LogRetention custom resource (a Node.js Lambda of its own).
        var types = SynthesizedStack.Default.Resources("AWS::Lambda::Function").Count;

        Assert.Equal(FanoutTopology.Functions.Count, types);
        Assert.DoesNotContain(SynthesizedStack.Default.Root.GetProperty("Resources").EnumerateObject(),
            r => r.Value.GetProperty("Type").GetString()!.StartsWith("Custom::", StringComparison.Ordinal));
    }

    [Fact]
    public void Synth_DefaultTopology_TemplateHasNoCircularDependencies()
    {
        // CDK does not check this; CloudFormation rejects the template at deploy time. (A shared key whose
        // policy names the topic it encrypts is the classic way to get one.)
        var resources = SynthesizedStack.Default.Root.GetProperty("Resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => r.Value);
        var edges = resources.ToDictionary(
            r => r.Key,
            r =>
            {
                var targets = Cfn.TargetsWithin(r.Value);
                if (r.Value.TryGetProperty("DependsOn", out var dependsOn))
                {
                    targets.UnionWith(Cfn.List(dependsOn).Select(d => d.GetString()!));
                }

                targets.IntersectWith(resources.Keys);
                return targets;
            });

        var state = new Dictionary<string, int>();
        foreach (var node in edges.Keys)
        {
            var cycle = Visit(node, []);
            Assert.True(cycle is null, $"Circular dependency: {cycle}");
        }

        string? Visit(string node, List<string> path)
        {
            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }

            if (state.GetValueOrDefault(node) == 1)
            {
                return string.Join(" -> ", path.SkipWhile(p => p != node).Append(node));
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in edges[node])
            {
                if (Visit(next, path) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    [Fact]
    public void Synth_DefaultTopology_OutputsWhatTheCliReadsUnderTheSharedNames()
    {
        var stack = SynthesizedStack.Default;
        var template = stack.Template;

        template.HasOutput(StackOutputNames.ApiUrl, new Dictionary<string, object>());
        template.HasOutput(StackOutputNames.TopicArn, Match.ObjectLike(new Dictionary<string, object>
        {
            ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.OrderEventsTopic).LogicalId },
        }));
        template.HasOutput(StackOutputNames.Region, Match.ObjectLike(new Dictionary<string, object>
        {
            ["Value"] = new Dictionary<string, object> { ["Ref"] = "AWS::Region" },
        }));
        template.HasOutput("AlarmTopicArn", new Dictionary<string, object>());
        template.HasOutput(FanoutStack.OutboxRelayFailureQueueUrlOutput, Match.ObjectLike(new Dictionary<string, object>
        {
            ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.RelayFailureQueue).LogicalId },
        }));
        template.HasOutput(FanoutStack.ReconcilerScheduleDeadLetterQueueUrlOutput, Match.ObjectLike(new Dictionary<string, object>
        {
            ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.ScheduleDeadLetterQueue).LogicalId },
        }));
        foreach (var consumer in FanoutTopology.Consumers)
        {
            template.HasOutput(StackOutputNames.QueueUrl(consumer), Match.ObjectLike(new Dictionary<string, object>
            {
                ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.Queue(consumer.Function.Name)).LogicalId },
            }));
            template.HasOutput(StackOutputNames.DeadLetterQueueUrl(consumer), Match.ObjectLike(new Dictionary<string, object>
            {
                ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.DeadLetterQueue(consumer.Function.Name)).LogicalId },
            }));
        }

        foreach (var table in FanoutTopology.Tables)
        {
            template.HasOutput(StackOutputNames.TableName(table), Match.ObjectLike(new Dictionary<string, object>
            {
                ["Value"] = new Dictionary<string, object> { ["Ref"] = stack.AtPath(Paths.Table(table)).LogicalId },
            }));
        }
    }
}
