using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Orders;

namespace Fanout.IntegrationTests;

/// <summary>Issue 9 on the order service's side, on the real store and topic: the outbox entry written with the
/// order and deleted after the inline publish, the open-orders markers, and <c>POST /orders/{id}/cancel</c>.</summary>
[Trait("Category", "Integration")]
public sealed class OrderLifecycleTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    [Fact]
    public async Task PlaceOrder_NormalPath_OutboxEntryIsDeletedAfterTheInlinePublishAndTheMarkersGoOnCompletion()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("LIFE-1", 10, ct);

        var orderId = await Api.PlaceAsync(fanout, Api.OrderJson("life-1", null, ("LIFE-1", 1)), ct);

        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix + EventIds.For(orderId, "orders", "PLACED")));
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(60), "the order to complete");
        await Eventually.WaitAsync(() => OrderItemAsync(orderId), i => !i.ContainsKey(ReconcilerSpec.OpenShardAttribute), TimeSpan.FromSeconds(30), "the open-orders markers to go");
        Assert.False((await OrderItemAsync(orderId)).ContainsKey(ReconcilerSpec.OpenSinceAttribute));
    }

    [Fact]
    public async Task CancelOrder_Rejected_Answers409AndChangesNothing()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("LIFE-3", 0, ct);
        var orderId = await Api.PlaceAsync(fanout, Api.OrderJson("life-3", null, ("LIFE-3", 1)), ct);
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "REJECTED" }, TimeSpan.FromSeconds(60), "the order to be rejected");

        var response = await fanout.InvokeApiAsync(Api.Cancel(orderId), ct);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        Assert.False((await OrderItemAsync(orderId)).ContainsKey("lifecycle"));
    }

    [Fact]
    public async Task CancelOrder_SomeoneElsesOrMissing_Answers404Alike()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("LIFE-4", 10, ct);
        var orderId = await Api.PlaceAsync(fanout, Api.OrderJson(null, null, ("LIFE-4", 1)), ct, caller: Api.Customer("life-4"));

        var foreign = await fanout.InvokeApiAsync(Api.Cancel(orderId, Api.Customer("life-other")), ct);
        var missing = await fanout.InvokeApiAsync(Api.Cancel("0195a1b2-c3d4-7e5f-8a9b-0000000000ee", Api.Customer("life-other")), ct);
        var own = await fanout.InvokeApiAsync(Api.Cancel(orderId, Api.Customer("life-4")), ct);

        Assert.Equal(404, foreign.StatusCode);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal(202, own.StatusCode);
        var cancelled = EventParser.Parse((await OrderItemAsync(orderId))["cancelEventJson"].S, EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled);
        Assert.Equal(CancellationRequesters.Customer, cancelled.Data.CancelledBy);
    }

    [Fact]
    public async Task OrderStore_OutcomesOnDynamoDbLocal_SettleTheOrderAndRemoveTheMarkers()
    {
        // The store's settle expressions, run on the real emulator (the consumers' outcome facts are not needed).
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("LIFE-5", 10, ct);
        var store = new DynamoOrderStore(fanout.Dynamo, fanout.Topology.TableFor(FanoutTopology.OrdersTable), TimeProvider.System);
        var completed = await Api.PlaceAsync(fanout, Api.OrderJson("life-5", null, ("LIFE-5", 1)), ct);
        var cancelled = await Api.PlaceAsync(fanout, Api.OrderJson("life-5", null, ("LIFE-5", 1)), ct);
        Assert.Equal(202, (await fanout.InvokeApiAsync(Api.Cancel(cancelled), ct)).StatusCode);

        foreach (var (service, status) in new[] { ("sms", "SKIPPED"), ("email", "SENT"), ("inventory", "RESERVED") })
        {
            await store.ApplyOutcomeAsync(completed, "it-" + service + "-" + completed, service, status, ct);
        }

        Assert.Equal(Fanout.Orders.Core.ApplyOutcomeStatus.Applied, (await store.ApplyOutcomeAsync(cancelled, "it-released-" + cancelled, "inventory", "RELEASED", ct)).Status);
        Assert.Equal(Fanout.Orders.Core.ApplyOutcomeStatus.Duplicate, (await store.ApplyOutcomeAsync(cancelled, "it-late-" + cancelled, "inventory", "RESERVED", ct)).Status);

        var done = await OrderItemAsync(completed);
        Assert.False(done.ContainsKey(ReconcilerSpec.OpenShardAttribute));
        Assert.False(done.ContainsKey(ReconcilerSpec.OpenSinceAttribute));
        var gone = await OrderItemAsync(cancelled);
        Assert.Equal("CANCELLED", gone["lifecycle"].S);
        Assert.Equal("RELEASED", gone["inventory"].S);
        Assert.False(gone.ContainsKey(ReconcilerSpec.OpenShardAttribute));
        Assert.Equal("CANCELLED", (await Api.GetOrderAsync(fanout, cancelled, ct))!.Status);
    }

    private async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> OrderItemAsync(string orderId) =>
        Assert.Single(await Inspect.ItemsAsync(fixture.Fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix + orderId));
}
