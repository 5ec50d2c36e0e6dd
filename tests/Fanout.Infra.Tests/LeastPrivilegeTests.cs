using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>Each function may touch only its own table and queue, publish only where it publishes, and use
/// the key only as that needs; nothing anywhere is allowed on a wildcard action.</summary>
[Trait("Category", "Infra")]
public sealed class LeastPrivilegeTests
{
    /// <summary>What an SQS event source mapping does with the function's role, plus the function's own
    /// visibility change for retry backoff, and nothing more.</summary>
    private static readonly string[] ConsumeActions = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"];

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static IReadOnlyList<PolicyStatement> RoleStatements(SynthesizedStack stack, string functionName) =>
        Cfn.Statements(stack.AtPath(Paths.RolePolicy(functionName)).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void FunctionRole_Synth_AllowsExactlyTheTableCallsItsCodeMakesOnItsOwnTable(string functionName)
    {
        var spec = Paths.Function(functionName);
        var (ownTable, _) = Stack.AtPath(Paths.Table(spec.Table));
        // The relay's stream reads are what its event source mapping does, checked in OutboxInfraTests.
        var dynamo = RoleStatements(Stack, functionName)
            .Where(s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal)) && s.Sid != "ReadOrdersStream")
            .ToList();

        Assert.NotEmpty(dynamo);
        // Each operation granted once, all of them together exactly the declared ones.
        Assert.Equal(spec.TableOperations.Select(op => "dynamodb:" + op).Order(), dynamo.SelectMany(s => s.Actions).Order());
        // On the table itself or one of its indexes: nothing else is referenced.
        Assert.All(dynamo, s => Assert.All(s.Resources, r => Assert.Equal([ownTable], Cfn.TargetsWithin(r))));
    }

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void FunctionRole_Synth_ReachesOnlyItsOwnTableQueueLogGroupTheTopicAndTheKey(string functionName)
    {
        var spec = Paths.Function(functionName);
        var allowed = new HashSet<string>
        {
            Stack.AtPath(Paths.Table(spec.Table)).LogicalId,
            Stack.AtPath(Paths.LogGroup(functionName)).LogicalId,
            Stack.AtPath(Paths.Key).LogicalId,
        };
        if (spec.Publishes)
        {
            allowed.Add(Stack.AtPath(Paths.OrderEventsTopic).LogicalId);
        }

        if (Paths.IsConsumer(functionName))
        {
            allowed.Add(Stack.AtPath(Paths.Queue(functionName)).LogicalId);
        }

        if (functionName == FanoutTopology.OutboxRelay.Name)
        {
            // Its event source mapping's on-failure destination is sent with the function's role.
            allowed.Add(Stack.AtPath(Paths.RelayFailureQueue).LogicalId);
        }

        // Index ARNs are joined from the table's ARN, so every reference inside a resource counts.
        var reached = RoleStatements(Stack, functionName).SelectMany(s => s.Resources).SelectMany(Cfn.TargetsWithin)
            .Where(t => !t.StartsWith("AWS::", StringComparison.Ordinal)).ToHashSet();

        Assert.Equal(allowed.Order(), reached.Order());
    }

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void FunctionRole_Synth_PublishesAndUsesTheKeyOnlyAsItsSpecNeeds(string functionName)
    {
        var spec = Paths.Function(functionName);
        var statements = RoleStatements(Stack, functionName);
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);
        var (keyId, _) = Stack.AtPath(Paths.Key);

        var publish = statements.Where(s => s.Actions.Contains("sns:Publish")).ToList();
        var kms = statements.Where(s => s.Actions.Any(a => a.StartsWith("kms:", StringComparison.Ordinal))).SelectMany(s => s.Actions).ToHashSet();
        Assert.All(statements.Where(s => s.Actions.Any(a => a.StartsWith("kms:", StringComparison.Ordinal))), s =>
            Assert.Equal([keyId], s.Resources.Select(r => Cfn.Target(r))));

        if (spec.Publishes)
        {
            var statement = Assert.Single(publish);
            Assert.Equal([topicId], statement.Resources.Select(r => Cfn.Target(r)));
            Assert.Contains("kms:GenerateDataKey", kms);
        }
        else
        {
            Assert.Empty(publish);
            Assert.DoesNotContain("kms:GenerateDataKey", kms);
        }

        // Consumers decrypt their queue's messages; only publishers encrypt.
        Assert.Equal(spec.Publishes || Paths.IsConsumer(functionName), kms.Contains("kms:Decrypt"));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerRole_Synth_ConsumesOnlyItsOwnQueue(string functionName)
    {
        var (queueId, _) = Stack.AtPath(Paths.Queue(functionName));
        var sqs = RoleStatements(Stack, functionName).Where(s => s.Actions.Any(a => a.StartsWith("sqs:", StringComparison.Ordinal))).ToList();

        // Consuming (the event source mapping) and delaying retries (the function's backoff) are separate statements.
        Assert.Equal(2, sqs.Count);
        Assert.Equal(ConsumeActions, sqs.SelectMany(s => s.Actions).Order());
        Assert.All(sqs, s => Assert.Equal([queueId], s.Resources.Select(r => Cfn.Target(r))));
    }

    [Fact]
    public void OrderIntakeRole_Synth_HasNoQueueAccess()
    {
        Assert.DoesNotContain(RoleStatements(Stack, FanoutTopology.OrderIntake.Name).SelectMany(s => s.Actions), a => a.StartsWith("sqs:", StringComparison.Ordinal));
    }

    [Fact]
    public void Template_Synth_AllowsNoWildcardActionAnywhere()
    {
        var allows = AllPolicyStatements(Stack).Where(s => s.Effect == "Allow").ToList();

        Assert.NotEmpty(allows);
        Assert.All(allows, s => Assert.DoesNotContain(s.Actions, a => a.Contains('*', StringComparison.Ordinal)));
    }

    [Fact]
    public void Template_DefaultSenders_AllowsNoWildcardResourceOutsideTheKeyPolicy()
    {
        // In a key policy "Resource": "*" means the key itself and is the only value AWS accepts.
        var keyPolicy = Stack.AtPath(Paths.Key).Resource.GetProperty("Properties").GetProperty("KeyPolicy");
        var keyStatements = Cfn.Statements(keyPolicy).Select(s => s.Json.GetRawText()).ToHashSet();

        // X-Ray's actions take no resource ARN (AWS X-Ray Developer Guide, "Identity and access management for AWS
        // X-Ray"): the function roles' trace writes and SNS's, the latter scoped by its aws:SourceArn condition
        // (checked in TracingTests).
        var wildcards = AllPolicyStatements(Stack)
            .Where(s => s.Effect == "Allow" && s.HasWildcardResource && !keyStatements.Contains(s.Json.GetRawText()))
            .Where(s => !s.IsTraceWrite && s.Sid != TracingTests.SnsTracingSid)
            .ToList();

        Assert.Empty(wildcards);
    }

    /// <summary>Every IAM statement in the template: identity policies, resource policies and the key policy.</summary>
    internal static IEnumerable<PolicyStatement> AllPolicyStatements(SynthesizedStack stack)
    {
        foreach (var resource in stack.Root.GetProperty("Resources").EnumerateObject())
        {
            if (!resource.Value.TryGetProperty("Properties", out var properties))
            {
                continue;
            }

            foreach (var name in new[] { "PolicyDocument", "KeyPolicy" })
            {
                if (!properties.TryGetProperty(name, out var document))
                {
                    continue;
                }

                if (document.ValueKind == JsonValueKind.String || (document.ValueKind == JsonValueKind.Object && document.TryGetProperty("Fn::Join", out _)))
                {
                    // A document given as JSON text (an X-Ray resource policy), joined around references.
                    using var parsed = JsonDocument.Parse(Cfn.JoinedText(document));
                    foreach (var statement in Cfn.Statements(parsed.RootElement.Clone()))
                    {
                        yield return statement;
                    }
                }
                else if (document.ValueKind == JsonValueKind.Object)
                {
                    foreach (var statement in Cfn.Statements(document))
                    {
                        yield return statement;
                    }
                }
            }
        }
    }
}
