using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

[Trait("Category", "Infra")]
public sealed class FunctionTests
{
    private static SynthesizedStack Stack => SynthesizedStack.Default;

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void Function_Synth_RunsTheAotBootstrapOnAl2023WithTheTopologysLimits(string functionName)
    {
        var spec = Paths.Function(functionName);
        var properties = Stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties");

        Assert.Equal("provided.al2023", properties.GetProperty("Runtime").GetString());
        Assert.Equal("bootstrap", properties.GetProperty("Handler").GetString());
        Assert.Equal(["x86_64"], properties.GetProperty("Architectures").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(spec.MemoryMb, properties.GetProperty("MemorySize").GetInt32());
        Assert.Equal(spec.TimeoutSeconds, properties.GetProperty("Timeout").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void Function_Synth_GetsItsSettingsUnderTheSharedVariableNames(string functionName)
    {
        var spec = Paths.Function(functionName);
        var variables = Stack.AtPath(Paths.LambdaFunction(functionName)).Resource
            .GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
        var (tableId, _) = Stack.AtPath(Paths.Table(spec.Table));
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);

        Assert.Equal(tableId, Cfn.Target(variables.GetProperty(SettingNames.TableName)));
        Assert.Equal(Paths.IsConsumer(functionName) ? Paths.Consumer(functionName).Service : spec.Service, variables.GetProperty(SettingNames.ServiceName).GetString());
        // The timeout reaches the code through each invocation's deadline (Lambda-Runtime-Deadline-Ms), not a setting.
        Assert.False(variables.TryGetProperty("FANOUT_FUNCTION_TIMEOUT_SECONDS", out _));
        Assert.Equal("Information", variables.GetProperty(SettingNames.LogLevel).GetString());
        if (spec.Publishes)
        {
            Assert.Equal(topicId, Cfn.Target(variables.GetProperty(SettingNames.TopicArn)));
        }
        else
        {
            Assert.False(variables.TryGetProperty(SettingNames.TopicArn, out _));
        }

        var known = typeof(SettingNames).GetFields().Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        Assert.All(variables.EnumerateObject(), v => Assert.Contains(v.Name, known));
    }

    [Theory]
    [MemberData(nameof(Paths.FunctionNames), MemberType = typeof(Paths))]
    public void Function_Synth_LogsToItsOwnGroupWithTheContextRetention(string functionName)
    {
        var (logGroupId, logGroup) = Stack.AtPath(Paths.LogGroup(functionName));
        var properties = Stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties");

        Assert.Equal(logGroupId, Cfn.Target(properties.GetProperty("LoggingConfig").GetProperty("LogGroup")));
        Assert.Equal(30, logGroup.GetProperty("Properties").GetProperty("RetentionInDays").GetInt32());
    }

    [Fact]
    public void Function_LogRetentionFromContext_SetsEveryLogGroup()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.LogRetentionDays] = 90 });

        Assert.All(stack.Resources("AWS::Logs::LogGroup"), g => Assert.Equal(90, g.Resource.GetProperty("Properties").GetProperty("RetentionInDays").GetInt32()));
    }

    [Fact]
    public void Function_Arm64Context_DeploysArm64WhenTheBundlesAreArm64()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object>
        {
            [StackSettings.Keys.Architecture] = "arm64",
            [StackSettings.Keys.FunctionAssetsDir] = PlaceholderBundles.Create("arm64", PlaceholderBundles.Aarch64),
        });

        Assert.All(stack.Resources("AWS::Lambda::Function"), f =>
            Assert.Equal("arm64", f.Resource.GetProperty("Properties").GetProperty("Architectures")[0].GetString()));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void EventSourceMapping_Synth_DrainsOwnQueueInBatchesOfTenReportingItemFailures(string functionName)
    {
        var consumer = Paths.Consumer(functionName);
        var (queueId, _) = Stack.AtPath(Paths.Queue(functionName));
        var (lambdaId, _) = Stack.AtPath(Paths.LambdaFunction(functionName));
        var properties = Stack.AtPath(Paths.EventSourceMapping(functionName)).Resource.GetProperty("Properties");

        Assert.Equal(queueId, Cfn.Target(properties.GetProperty("EventSourceArn")));
        Assert.Equal(lambdaId, Cfn.Target(properties.GetProperty("FunctionName")));
        Assert.Equal(10, properties.GetProperty("BatchSize").GetInt32());
        Assert.Equal(consumer.BatchSize, properties.GetProperty("BatchSize").GetInt32());
        Assert.Equal(0, properties.GetProperty("MaximumBatchingWindowInSeconds").GetInt32());
        Assert.Equal(["ReportBatchItemFailures"], properties.GetProperty("FunctionResponseTypes").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(consumer.MaxConcurrency, properties.GetProperty("ScalingConfig").GetProperty("MaximumConcurrency").GetInt32());
    }

    [Fact]
    public void EventSourceMapping_Synth_KeepsSmsAndEmailConcurrencyLowest()
    {
        int Concurrency(ConsumerSpec c) => Stack.AtPath(Paths.EventSourceMapping(c.Function.Name)).Resource
            .GetProperty("Properties").GetProperty("ScalingConfig").GetProperty("MaximumConcurrency").GetInt32();

        var others = FanoutTopology.Consumers.Except([FanoutTopology.Sms, FanoutTopology.Email]).Select(Concurrency).Min();

        Assert.Equal(2, Concurrency(FanoutTopology.Sms));
        Assert.Equal(2, Concurrency(FanoutTopology.Email));
        Assert.True(others > 2);
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void EventSourceMapping_Synth_IsCreatedAfterTheRoleMayReadTheQueue(string functionName)
    {
        var (policyId, _) = Stack.AtPath(Paths.RolePolicy(functionName));
        var mapping = Stack.AtPath(Paths.EventSourceMapping(functionName)).Resource;

        Assert.Contains(policyId, mapping.GetProperty("DependsOn").EnumerateArray().Select(d => d.GetString()));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void Queue_Synth_VisibilityTimeoutCoversSixFunctionTimeoutsPlusTheBatchingWindow(string functionName)
    {
        var consumer = Paths.Consumer(functionName);
        var queue = Stack.AtPath(Paths.Queue(functionName)).Resource.GetProperty("Properties");
        var function = Stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties");
        var mapping = Stack.AtPath(Paths.EventSourceMapping(functionName)).Resource.GetProperty("Properties");

        // Checked on the synthesized values, not the topology's arithmetic.
        var required = (6 * function.GetProperty("Timeout").GetInt32()) + mapping.GetProperty("MaximumBatchingWindowInSeconds").GetInt32();

        Assert.True(queue.GetProperty("VisibilityTimeout").GetInt32() >= required);
        Assert.Equal(consumer.MinimumVisibilityTimeoutSeconds, required);
    }

    [Fact]
    public void OrderIntake_DefaultContext_AllowsSmsToCallingCodePlusOneOnly()
    {
        var variables = Stack.AtPath(Paths.LambdaFunction(FanoutTopology.OrderIntake.Name)).Resource
            .GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");

        Assert.Equal("+1", variables.GetProperty(SettingNames.SmsAllowedCountryCodes).GetString());
    }

    [Theory]
    [InlineData("+1,+44")]
    [InlineData(" +1 , +44 ,+1")]
    public void OrderIntake_SmsAllowedCountryCodesFromContext_ReachesOnlyOrderIntake(string codes)
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.SmsAllowedCountryCodes] = codes });

        foreach (var function in FanoutTopology.Functions)
        {
            var variables = stack.AtPath(Paths.LambdaFunction(function.Name)).Resource
                .GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
            var found = variables.TryGetProperty(SettingNames.SmsAllowedCountryCodes, out var value);
            Assert.Equal(function == FanoutTopology.OrderIntake, found);
            if (found)
            {
                Assert.Equal("+1,+44", value.GetString());
            }
        }
    }
}
