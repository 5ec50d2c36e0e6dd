using Amazon.SQS.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests;

/// <summary>Short visibility timeout so five failed receives take seconds.</summary>
public sealed class QuickRetryFanoutFixture : FanoutFixture
{
    protected override LocalFanoutOptions Options => base.Options with { VisibilityTimeoutSeconds = 2 };
}

/// <summary>A poison message among valid ones: only it reaches the DLQ, after maxReceiveCount receives.</summary>
[Trait("Category", "Integration")]
public sealed class PoisonMessageTests(QuickRetryFanoutFixture fixture) : IClassFixture<QuickRetryFanoutFixture>
{
    [Fact]
    public async Task Inventory_PoisonAmongValidMessages_OnlyPoisonReachesDlqAfterMaxReceives()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var queue = fanout.Topology.QueueFor(FanoutTopology.Inventory);
        await fanout.Stock.SetAsync("POISON-1", 100, ct);

        // The poison goes in first, then valid orders whose messages share batches with it.
        const string poisonBody = "{\"specversion\":\"1.0\",\"id\":\"poison-1\",\"type\":\"OrderPlaced\",\"data\":\"not an order\"}";
        var poisonId = (await fanout.Sqs.SendMessageAsync(
            new SendMessageRequest
            {
                QueueUrl = queue.QueueUrl,
                MessageBody = poisonBody,
                MessageAttributes = new Dictionary<string, MessageAttributeValue> { [EventAttributes.Type] = new() { DataType = "String", StringValue = EventTypes.OrderPlaced } },
            },
            ct)).MessageId;

        var orderIds = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            orderIds.Add(await Api.PlaceAsync(fanout, Api.OrderJson($"poison-mate-{i}", null, ("POISON-1", 1)), ct));
        }

        foreach (var id in orderIds)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
        }

        await Eventually.WaitAsync(() => Inspect.DepthAsync(fanout, queue.DeadLetterQueueUrl), d => d.Visible == 1, TimeSpan.FromSeconds(60), "the poison message to reach the DLQ");
        var dead = await fanout.Sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = queue.DeadLetterQueueUrl, MaxNumberOfMessages = 10, MessageSystemAttributeNames = ["All"], WaitTimeSeconds = 1 },
            ct);
        var message = Assert.Single(dead.Messages);
        Assert.Equal(poisonBody, message.Body);
        Assert.Equal(poisonId, message.MessageId);
        Assert.True(int.Parse(message.Attributes["ApproximateReceiveCount"], System.Globalization.CultureInfo.InvariantCulture) >= FanoutTopology.Inventory.MaxReceiveCount);

        // The consumer recorded why, next to its data, for `fanout dlq show`.
        var failure = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, "FAILURE#" + poisonId));
        Assert.True(failure["poison"].BOOL);
        Assert.Contains("Invalid CloudEvent envelope", failure["reason"].S, StringComparison.Ordinal);

        Assert.Equal(100 - 9, await fanout.Stock.GetAsync("POISON-1", ct));
        foreach (var other in fanout.Topology.Queues.Values.Where(q => q.Consumer != FanoutTopology.Inventory))
        {
            Assert.Equal((0, 0), await Inspect.DepthAsync(fanout, other.DeadLetterQueueUrl));
        }
    }
}
