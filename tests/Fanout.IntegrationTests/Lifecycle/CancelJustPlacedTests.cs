using System.Globalization;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Orders;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary><c>POST /orders/{id}/cancel</c> right after the order was placed, on the real store and topic: 202 and
/// <c>CANCELLING</c>, the <c>OrderCancelled</c> written with the order and published once, and a second cancel while the
/// order is still <c>CANCELLING</c> answers 202 again and writes nothing new. The inventory's release is held failing
/// until those checks are done: without that the lifecycle may finish first (the order is then <c>CANCELLED</c>, whose
/// cancel answers 409), which made this test pass or fail by timing.</summary>
[Trait("Category", "Integration")]
[Collection(LifecycleGroup.Name)]
public sealed class CancelJustPlacedTests(LifecycleFixture fixture)
{
    [Fact]
    public async Task CancelOrder_JustPlaced_Answers202CancellingPublishesOrderCancelledOnceAndAgainIs202()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = "LIFE-2-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await fanout.Stock.SetAsync(sku, 10, ct);
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson("life-2", null, (sku, 1)), ct);
        fixture.FailRelease(orderId, fail: true);
        try
        {
            var response = await Lifecycle.CancelAsync(fanout, orderId, ct);

            Assert.Equal(202, response.StatusCode);
            Assert.Equal("/orders/" + orderId, response.Headers["Location"]);
            using (var body = JsonDocument.Parse(response.Body!))
            {
                Assert.Equal("CANCELLING", body.RootElement.GetProperty("status").GetString());
            }

            var item = await OrderItemAsync(orderId);
            Assert.Equal("OPEN#" + Fanout.Orders.Core.OpenOrders.ShardOf(orderId).ToString(CultureInfo.InvariantCulture), item[ReconcilerSpec.OpenShardAttribute].S);
            Assert.Equal("CANCELLING", item["lifecycle"].S);
            var cancelled = EventParser.Parse(item["cancelEventJson"].S, EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled);
            Assert.Equal(EventIds.For(orderId, "orders", "CANCELLED"), cancelled.Id);
            Assert.Equal(("life-2", CancellationRequesters.Operator), (cancelled.Data.Customer.Id, cancelled.Data.CancelledBy));
            await Eventually.WaitAsync(() => Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix + cancelled.Id), items => items.Count == 0, TimeSpan.FromSeconds(10), "the OrderCancelled outbox entry to be published and deleted");

            var again = await Lifecycle.CancelAsync(fanout, orderId, ct);

            Assert.True(again.StatusCode == 202, $"a second cancel of a CANCELLING order answered {again.StatusCode}: {again.Body}");
            Assert.Equal("CANCELLING", Lifecycle.BodyStatus(again));
            Assert.Equal(item["cancelEventJson"].S, (await OrderItemAsync(orderId))["cancelEventJson"].S);
        }
        finally
        {
            fixture.FailRelease(orderId, fail: false);
        }

        // Once the release goes through, the lifecycle finishes; the OrderCancelled went out exactly once.
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct);
        Assert.Equal(10, await fanout.Stock.GetAsync(sku, ct));
        Assert.Single(fixture.Published, e => e.Id == EventIds.For(orderId, "orders", "CANCELLED"));
        await Eventually.WaitAsync(() => Lifecycle.ConsumerQueuesIdleAsync(fanout), idle => idle, TimeSpan.FromSeconds(60), "the consumer queues to be idle");
    }

    private async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> OrderItemAsync(string orderId) =>
        Assert.Single(await Inspect.ItemsAsync(fixture.Fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix + orderId));
}
