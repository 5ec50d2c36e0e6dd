using Fanout.Cli.Local;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Tests.Targeting;

[Trait("Category", "Unit")]
public sealed class TargetResolverTests
{
    private const string StackApi = "https://abc.execute-api.eu-west-1.amazonaws.com/";

    private static readonly Dictionary<string, string> _stackOutputs = BuildStackOutputs();

    private static Dictionary<string, string> BuildStackOutputs()
    {
        var outputs = new Dictionary<string, string>
        {
            [StackOutputNames.ApiUrl] = StackApi,
            [StackOutputNames.Region] = "eu-west-1",
            [StackOutputNames.TopicArn] = "arn:aws:sns:eu-west-1:123456789012:order-events",
        };
        foreach (var consumer in FanoutTopology.Consumers)
        {
            outputs[StackOutputNames.QueueUrl(consumer)] = $"https://sqs.eu-west-1.amazonaws.com/123456789012/stack-{consumer.Service}";
            outputs[StackOutputNames.DeadLetterQueueUrl(consumer)] = $"https://sqs.eu-west-1.amazonaws.com/123456789012/stack-{consumer.Service}-dlq";
        }

        foreach (var table in FanoutTopology.Tables)
        {
            outputs[StackOutputNames.TableName(table)] = "stack-" + table.Id;
        }

        return outputs;
    }

    private static LocalState RunningUp() => new()
    {
        Pid = 4242,
        ApiUrl = "http://127.0.0.1:6001",
        Region = "us-east-1",
        SqsEndpoint = "http://127.0.0.1:4566/",
        SnsEndpoint = "http://127.0.0.1:4566/",
        DynamoDbEndpoint = "http://127.0.0.1:8000/",
        AccessKeyId = "test",
        SecretAccessKey = "test",
        Queues = FanoutTopology.Consumers.ToDictionary(
            c => c.Service,
            c => new LocalQueueUrls { QueueUrl = $"http://127.0.0.1:4566/000000000000/local-{c.Service}", DeadLetterQueueUrl = $"http://127.0.0.1:4566/000000000000/local-{c.Service}-dlq" }),
        Tables = FanoutTopology.Tables.ToDictionary(t => t.Id, t => "local-" + t.Id),
    };

    private sealed class FakeStacks(IReadOnlyDictionary<string, string> outputs) : IStackOutputsSource
    {
        public List<(string Stack, string Region)> Calls { get; } = [];

        public Task<StackDescription> DescribeAsync(string stackName, string region, CancellationToken cancellationToken)
        {
            Calls.Add((stackName, region));
            return Task.FromResult(new StackDescription(stackName, "CREATE_COMPLETE", outputs));
        }
    }

    private sealed class FakeLocalUp(LocalState? state) : ILocalUpSource
    {
        public int Reads { get; private set; }

        public LocalState? TryGetRunning()
        {
            Reads++;
            return state;
        }
    }

    private static TargetResolver Resolver(out FakeStacks stacks, LocalState? local = null, IReadOnlyDictionary<string, string>? outputs = null, string? awsRegion = null)
    {
        stacks = new FakeStacks(outputs ?? _stackOutputs);
        return new TargetResolver(stacks, new FakeLocalUp(local), name => name == "AWS_REGION" ? awsRegion : null);
    }

    private static Task<ResolvedTarget> ResolveAsync(TargetResolver resolver, TargetRequest request) =>
        resolver.ResolveAsync(request, TestContext.Current.CancellationToken);

    [Fact]
    public async Task ResolveAsync_ExplicitApiUrl_WinsOverStackAndLocalUp()
    {
        var resolver = Resolver(out var stacks, RunningUp());

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api, ApiUrl = "https://explicit.example.com/prod", Stack = "fanout-prod", Region = "eu-west-1" });

        Assert.Equal(new Uri("https://explicit.example.com/prod/"), target.ApiUrl);
        Assert.Empty(stacks.Calls);
    }

    [Fact]
    public async Task ResolveAsync_Stack_WinsOverLocalUp()
    {
        var resolver = Resolver(out var stacks, RunningUp());

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api, Stack = "fanout-prod", Region = "eu-west-1" });

        Assert.Equal(TargetSource.Stack, target.Source);
        Assert.Equal(new Uri(StackApi), target.ApiUrl);
        Assert.Equal([("fanout-prod", "eu-west-1")], stacks.Calls);
        Assert.Null(target.LocalEndpoints);
    }

    [Fact]
    public async Task ResolveAsync_LocalUpRunning_UsedWhenNoStackOrOption()
    {
        var resolver = Resolver(out _, RunningUp());

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api });

        Assert.Equal(TargetSource.LocalUp, target.Source);
        Assert.Equal(new Uri("http://127.0.0.1:6001/"), target.ApiUrl);
        Assert.Null(target.LocalEndpoints);
    }

    [Fact]
    public async Task ResolveAsync_NothingRunningHttpOnly_FallsBackToDefaultApi()
    {
        var resolver = Resolver(out _);

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api });

        Assert.Equal(TargetSource.Default, target.Source);
        Assert.Equal(TargetResolver.DefaultApiUrl, target.ApiUrl);
    }

    [Fact]
    public async Task ResolveAsync_NothingRunningForQueues_FailsNamingWhatToPass()
    {
        var resolver = Resolver(out _);

        var ex = await Assert.ThrowsAsync<TargetResolutionException>(() => ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Queues }));

        Assert.Contains("No running `fanout up` found and no --stack", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--queue-url", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_StackQueues_ComeFromOutputsInTopologyOrderWithStackRegion()
    {
        var resolver = Resolver(out _, awsRegion: "us-west-2");

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Queues, Stack = "fanout-prod" });

        Assert.Equal(FanoutTopology.Consumers.Select(c => c.Service), target.Queues.Select(q => q.Service));
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com/123456789012/stack-sms-dlq", target.RequireQueues("sms").DeadLetterQueueUrl);
        Assert.Equal("eu-west-1", target.Region);
    }

    [Fact]
    public async Task ResolveAsync_StackWithoutRegion_AsksForOne()
    {
        var resolver = Resolver(out var stacks);

        var ex = await Assert.ThrowsAsync<TargetResolutionException>(() => ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api, Stack = "fanout-prod" }));

        Assert.Contains("--region", ex.Message, StringComparison.Ordinal);
        Assert.Empty(stacks.Calls);
    }

    [Fact]
    public async Task ResolveAsync_StackMissingAnOutput_NamesIt()
    {
        var partial = _stackOutputs.Where(o => o.Key != "InventoryTableName").ToDictionary();
        var resolver = Resolver(out _, outputs: partial);

        var ex = await Assert.ThrowsAsync<TargetResolutionException>(() =>
            ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Table, TableId = "inventory", Stack = "s", Region = "eu-west-1" }));

        Assert.Contains("InventoryTableName", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_WantedTableMissingFromStack_IsNotAnError()
    {
        var partial = _stackOutputs.Where(o => o.Key != "SmsTableName").ToDictionary();
        var resolver = Resolver(out _, outputs: partial);

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Queues, Wants = TargetNeeds.Table, Service = "sms", TableId = "sms", Stack = "s", Region = "eu-west-1" });

        Assert.Null(target.TableName);
        Assert.Single(target.Queues);
    }

    [Fact]
    public async Task ResolveAsync_ExplicitQueueUrls_OverrideStackForThatService()
    {
        var resolver = Resolver(out _);

        var target = await ResolveAsync(resolver, new TargetRequest
        {
            Needs = TargetNeeds.Queues,
            Wants = TargetNeeds.Table,
            Service = "email",
            TableId = "email",
            QueueUrl = "https://q/explicit",
            DeadLetterQueueUrl = "https://q/explicit-dlq",
            Stack = "s",
            Region = "eu-west-1",
        });

        Assert.Equal(new QueuePair("email", "https://q/explicit", "https://q/explicit-dlq"), Assert.Single(target.Queues));
        Assert.Equal("stack-email", target.TableName);
    }

    [Fact]
    public async Task ResolveAsync_QueueUrlWithoutDlqUrl_IsRejected()
    {
        var resolver = Resolver(out _, RunningUp());

        await Assert.ThrowsAsync<TargetResolutionException>(() =>
            ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Queues, Service = "sms", QueueUrl = "https://q/only" }));
    }

    [Fact]
    public async Task ResolveAsync_LocalUpForAws_CarriesItsEmulatorEndpoints()
    {
        var resolver = Resolver(out _, RunningUp());

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Table, TableId = "inventory" });

        Assert.Equal("local-inventory", target.TableName);
        Assert.NotNull(target.LocalEndpoints);
        Assert.Equal(new Uri("http://127.0.0.1:8000/"), target.LocalEndpoints!.DynamoDb);
        Assert.Equal("us-east-1", target.Region);
    }

    [Fact]
    public async Task ResolveAsync_ExplicitTableWithLocalUp_KeepsTheNameButTalksToTheEmulators()
    {
        var resolver = Resolver(out _, RunningUp());

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Table, TableId = "inventory", Table = "my-table" });

        Assert.Equal("my-table", target.TableName);
        Assert.NotNull(target.LocalEndpoints);
    }

    [Fact]
    public async Task ResolveAsync_ExplicitTableNothingRunning_UsesTheSdkEnvironment()
    {
        var resolver = Resolver(out _);

        var target = await ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Table, TableId = "inventory", Table = "my-table", Region = "ap-south-1" });

        Assert.Equal(TargetSource.Options, target.Source);
        Assert.Null(target.LocalEndpoints);
        Assert.Equal("ap-south-1", target.Region);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/")]
    [InlineData("/relative")]
    public async Task ResolveAsync_InvalidApiUrl_IsRejected(string url)
    {
        var resolver = Resolver(out _);

        await Assert.ThrowsAsync<TargetResolutionException>(() => ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Api, ApiUrl = url }));
    }

    [Fact]
    public async Task ResolveAsync_UnknownService_ListsTheKnownOnes()
    {
        var resolver = Resolver(out _, RunningUp());

        var ex = await Assert.ThrowsAsync<TargetResolutionException>(() => ResolveAsync(resolver, new TargetRequest { Needs = TargetNeeds.Queues, Service = "fax" }));

        Assert.Contains("sms, email, inventory, orderstatus", ex.Message, StringComparison.Ordinal);
    }
}
