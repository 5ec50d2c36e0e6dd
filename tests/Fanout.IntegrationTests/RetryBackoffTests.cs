using Amazon.SQS.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Sqs;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests;

/// <summary>A long queue visibility timeout (60 s) and every first SMS publish failing: only the backoff
/// (1 s, set through ChangeMessageVisibilityBatch) can bring the retries back in seconds.</summary>
public sealed class SlowVisibilityFanoutFixture : FanoutFixture
{
    public FlakyPublisher? SmsPublisher { get; private set; }

    protected override LocalFanoutOptions Options => base.Options with
    {
        VisibilityTimeoutSeconds = 60,
        DecoratePublisher = (function, inner) => function == FanoutTopology.Sms.Function.Name ? SmsPublisher = new FlakyPublisher(inner, 1.0) : inner,
    };
}

[Trait("Category", "Integration")]
public sealed class RetryBackoffTests(SlowVisibilityFanoutFixture fixture) : IClassFixture<SlowVisibilityFanoutFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Consumers_TransientFailure_RetriedAfterTheBackoffNotTheVisibilityTimeout()
    {
        var fanout = fixture.Fanout;
        await fanout.Stock.SetAsync("BACKOFF-1", 10, Ct);
        var waited = System.Diagnostics.Stopwatch.StartNew();

        var id = await Api.PlaceAsync(fanout, Api.OrderJson("backoff-0", "+14155550122", ("BACKOFF-1", 1)), Ct);
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, Ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(40), $"order {id} to finish");

        Assert.Equal("COMPLETED", view!.Status);
        Assert.Equal(1, fixture.SmsPublisher!.InjectedFailures);
        Assert.Equal(1, fixture.SmsCalls.For(id));
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(40), $"took {waited.Elapsed}");
    }

    [Fact]
    public async Task SqsMessageVisibility_QueueArnOnTheEmulator_ChangesTheMessagesVisibility()
    {
        var fanout = fixture.Fanout;
        var queueUrl = (await fanout.Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = "backoff-probe", Attributes = new() { ["VisibilityTimeout"] = "60" } }, Ct)).QueueUrl;
        var queueArn = (await fanout.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["QueueArn"] }, Ct)).QueueARN;
        await fanout.Sqs.SendMessageAsync(queueUrl, "probe", Ct);
        var first = Assert.Single((await fanout.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 2 }, Ct)).Messages);
        var visibility = new SqsMessageVisibility(fanout.Sqs, SqsQueueUrl.EndpointFromEnvironment());

        var failed = await visibility.ChangeAsync([new VisibilityChange(queueArn, first.MessageId, first.ReceiptHandle, 1)], Ct);

        Assert.Empty(failed);
        // Invisible for 60 s without the change; back within about a second with it.
        var again = await Eventually.WaitAsync(
            async () => (await fanout.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, WaitTimeSeconds = 1 }, Ct)).Messages,
            m => m is { Count: 1 },
            TimeSpan.FromSeconds(10),
            "the probe to be visible again");
        Assert.Equal(first.MessageId, again![0].MessageId);
    }
}
