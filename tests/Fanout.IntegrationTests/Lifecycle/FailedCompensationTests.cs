using Amazon.SQS.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>A compensation that fails every time is never lost: its <c>OrderCancelled</c> reaches the inventory DLQ
/// with the reason the consumer recorded (what <c>fanout dlq list inventory</c> shows and the DLQ alarm counts), the
/// order stays CANCELLING (and a second cancel is still 202), and a redrive once the fault is gone finishes it.</summary>
[Trait("Category", "Integration")]
[Collection(LifecycleGroup.Name)]
public sealed class FailedCompensationTests(LifecycleFixture fixture)
{
    [Fact]
    public async Task Release_FailsEveryTime_DeadLetteredWithReasonThenRedrivenToCancelled()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var inventory = fanout.Topology.QueueFor(FanoutTopology.Inventory);
        var sku = "RELEASE-FAIL-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await fanout.Stock.SetAsync(sku, 30, ct);
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson("release-fail", null, (sku, 6)), ct);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "COMPLETED", ct);
        fixture.FailRelease(orderId, fail: true);

        Assert.Equal(202, (await Lifecycle.CancelAsync(fanout, orderId, ct)).StatusCode);

        await Eventually.WaitAsync(() => Inspect.DepthAsync(fanout, inventory.DeadLetterQueueUrl), d => d.Visible == 1, TimeSpan.FromSeconds(90), "the OrderCancelled to reach the inventory DLQ");
        var dead = await fanout.Sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest { QueueUrl = inventory.DeadLetterQueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 30, MessageAttributeNames = ["All"] },
            ct);
        var message = Assert.Single(dead.Messages);
        // Peeked, then handed back at once: a receive's own timeout of 0 lets the message lapse back only when the
        // queue next checks its timers (fauxqs does that only on a receive, so its in-flight count stays 1), while a
        // visibility change to 0 makes it visible again there and then (SQS API reference, ChangeMessageVisibility).
        await fanout.Sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest { QueueUrl = inventory.DeadLetterQueueUrl, ReceiptHandle = message.ReceiptHandle, VisibilityTimeout = 0 }, ct);
        Assert.Equal(EventTypes.OrderCancelled, message.MessageAttributes[EventAttributes.Type].StringValue);
        Assert.Contains(orderId, message.Body, StringComparison.Ordinal);
        var failure = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, "FAILURE#" + message.MessageId));
        Assert.Contains(LifecycleFixture.ReleaseFaultMessage, failure["reason"].S, StringComparison.Ordinal);
        Assert.False(failure["poison"].BOOL);

        Assert.Equal("CANCELLING", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);
        var again = await Lifecycle.CancelAsync(fanout, orderId, ct);
        Assert.True(again.StatusCode == 202, $"a second cancel of a CANCELLING order answered {again.StatusCode}: {again.Body}");
        Assert.Equal("CANCELLING", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);

        fixture.FailRelease(orderId, fail: false);
        await Eventually.WaitAsync(() => Inspect.DepthAsync(fanout, inventory.DeadLetterQueueUrl), d => d is { InFlight: 0, Visible: 1 }, TimeSpan.FromSeconds(30), "the peeked message to be visible again");
        Assert.True(await Lifecycle.RedriveAsync(fanout, FanoutTopology.Inventory, ct) >= 1);

        var cancelled = await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct);
        Assert.Equal("RELEASED", cancelled!.Services["inventory"]);
        Assert.Equal(30, await fanout.Stock.GetAsync(sku, ct));
        await Eventually.WaitAsync(() => Inspect.AllQueuesEmptyAsync(fanout), empty => empty, TimeSpan.FromSeconds(60), "every queue and DLQ to be empty");
    }
}
