using System.Text.Json;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>X-Ray: every function traces actively, the topic records its deliveries, and the only permissions that
/// needs are X-Ray's own write actions (which take no resource ARN).</summary>
[Trait("Category", "Infra")]
public sealed class TracingTests
{
    /// <summary>The Sid of the X-Ray resource policy statement that lets SNS write the topic's segments.</summary>
    public const string SnsTracingSid = "SnsActiveTracing";

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static IReadOnlyList<PolicyStatement> RoleStatements(string functionName) =>
        Cfn.Statements(Stack.AtPath(Paths.RolePolicy(functionName)).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void Function_Synth_HasActiveTracing(string functionName)
    {
        var properties = Stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties");

        Assert.Equal("Active", properties.GetProperty("TracingConfig").GetProperty("Mode").GetString());
    }

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void FunctionRole_Synth_WritesTracesWithTheOnlyWildcardResourceItHas(string functionName)
    {
        var wildcards = RoleStatements(functionName).Where(s => s.HasWildcardResource).ToList();

        var traces = Assert.Single(wildcards);
        Assert.Equal("Allow", traces.Effect);
        Assert.Equal(PolicyStatement.TraceWriteActions, traces.Actions.Order(StringComparer.Ordinal));
        Assert.True(traces.IsTraceWrite);
    }

    [Fact]
    public void OrderEventsTopic_Synth_HasActiveTracing()
    {
        var properties = Stack.AtPath(Paths.OrderEventsTopic).Resource.GetProperty("Properties");

        Assert.Equal("Active", properties.GetProperty("TracingConfig").GetString());
    }

    [Fact]
    public void XRayResourcePolicy_Synth_LetsSnsWriteTracesOfOrderEventsOnlyInThisAccount()
    {
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);
        var (_, policy) = Assert.Single(Stack.Resources("AWS::XRay::ResourcePolicy"));
        var properties = policy.GetProperty("Properties");
        using var document = JsonDocument.Parse(Cfn.JoinedText(properties.GetProperty("PolicyDocument")));

        var statement = Assert.Single(Cfn.Statements(document.RootElement));

        Assert.Equal(SnsTracingSid, statement.Sid);
        Assert.Equal("Allow", statement.Effect);
        Assert.Equal("sns.amazonaws.com", statement.ServicePrincipal);
        Assert.Equal(["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTraceSegments"], statement.Actions.Order(StringComparer.Ordinal));
        var condition = statement.Condition!.Value;
        Assert.Equal("{" + topicId + "}", condition.GetProperty("ArnLike").GetProperty("aws:SourceArn").GetString());
        Assert.Equal("{AWS::AccountId}", condition.GetProperty("StringEquals").GetProperty("aws:SourceAccount").GetString());
        // X-Ray resource policies are per account: the stack's name keeps two stacks' policies apart.
        Assert.StartsWith(Stack.StackName + "-", Cfn.JoinedText(properties.GetProperty("PolicyName")), StringComparison.Ordinal);
    }
}
