using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;

namespace Fanout.IntegrationTests.Inventory;

/// <summary>Inventory's compensation on the real emulators: facts are published to the topic as the order service
/// would, so this class does not depend on the API's cancel route.</summary>
[Trait("Category", "Integration")]
public sealed class CompensationTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(60);

    private static readonly CustomerInfo _customer = new() { Id = "it-compensation", Email = "it-compensation@example.com", Phone = "+14155550199" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OrderCancelled_AfterTheReservationAndDeliveredThreeTimes_StockBackToItsStartReleasedOnceNotifiedOncePerChannel()
    {
        var fanout = fixture.Fanout;
        await fanout.Stock.SetAsync("COMP-1", 10, Ct);
        var orderId = Guid.CreateVersion7().ToString();
        var publisher = Publisher(fanout);

        await publisher.PublishAsync(Placed(orderId, ("COMP-1", 3)), Ct);
        await Eventually.WaitAsync(() => fanout.Stock.GetAsync("COMP-1", Ct), s => s == 7, _patience, "the reservation");
        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync(Cancelled(orderId), Ct);
        }

        await Eventually.WaitAsync(() => fanout.Stock.GetAsync("COMP-1", Ct), s => s == 10, _patience, "the release");
        var cancelledSms = await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, $"SMS#{orderId}#{NotificationKinds.OrderCancelled}"), i => i.Count > 0, _patience, "the cancellation SMS");
        var cancelledEmail = await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.EmailTable, $"EMAIL#{orderId}#{NotificationKinds.OrderCancelled}"), i => i.Count > 0, _patience, "the cancellation e-mail");
        // Every delivery handled (OrderStatus is not watched: InventoryReleased is another part's work).
        await Eventually.WaitAsync(() => DrainedAsync(fanout, FanoutTopology.Inventory, FanoutTopology.Sms, FanoutTopology.Email), done => done, _patience, "inventory, sms and email to drain");

        Assert.Equal(10, await fanout.Stock.GetAsync("COMP-1", Ct));
        var order = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix + orderId));
        Assert.Equal(DynamoStockLedger.StatusReleased, order["state"].S);
        Assert.Equal(EventIds.For(orderId, "orders", "CANCELLED"), order["cancelEventId"].S);
        var sms = Assert.Single(cancelledSms);
        Assert.Equal(("sms", NotificationKinds.OrderCancelled, $"Fanout: your order {orderId[..8]} is cancelled."), (sms["channel"].S, sms["notification"].S, sms["text"].S));
        Assert.Equal(NotificationKinds.OrderCancelled, Assert.Single(cancelledEmail)["notification"].S);
        Assert.Equal(2, (await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, $"SMS#{orderId}#")).Count);
    }

    [Fact]
    public async Task OrderPlaced_AfterItsCancellation_ReservesNothingAndIsRecordedHandled()
    {
        var fanout = fixture.Fanout;
        await fanout.Stock.SetAsync("COMP-2", 5, Ct);
        var orderId = Guid.CreateVersion7().ToString();
        var publisher = Publisher(fanout);

        await publisher.PublishAsync(Cancelled(orderId), Ct);
        await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix + orderId), i => i.Count == 1, _patience, "the tombstone");
        var placed = Placed(orderId, ("COMP-2", 2));
        await publisher.PublishAsync(placed, Ct);

        var recorded = await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix + orderId),
            i => i.Count == 1 && i[0].ContainsKey("placedEventId"),
            _patience,
            "the late OrderPlaced to be recorded");

        var order = recorded[0];
        Assert.Equal((DynamoStockLedger.StatusCancelled, placed.Id, ""), (order["state"].S, order["placedEventId"].S, order["placedResult"].S));
        Assert.False(order.ContainsKey("lines"));
        Assert.Equal(5, await fanout.Stock.GetAsync("COMP-2", Ct));
    }

    [Fact]
    public async Task OrderPlaced_ShortStock_ExactlyOneCouldNotFulfilSmsAndEmail()
    {
        var fanout = fixture.Fanout;
        await fanout.Stock.SetAsync("COMP-3", 1, Ct);
        var orderId = Guid.CreateVersion7().ToString();
        var publisher = Publisher(fanout);

        // Delivered twice: the rejection and its notifications still happen once.
        await publisher.PublishAsync(Placed(orderId, ("COMP-3", 2)), Ct);
        await publisher.PublishAsync(Placed(orderId, ("COMP-3", 2)), Ct);

        var sms = await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, $"SMS#{orderId}#{NotificationKinds.OrderNotFulfilled}"), i => i.Count > 0, _patience, "the could-not-fulfil SMS");
        var email = await Eventually.WaitAsync(
            () => Inspect.ItemsAsync(fanout, FanoutTopology.EmailTable, $"EMAIL#{orderId}#{NotificationKinds.OrderNotFulfilled}"), i => i.Count > 0, _patience, "the could-not-fulfil e-mail");
        await Eventually.WaitAsync(() => DrainedAsync(fanout, FanoutTopology.Inventory, FanoutTopology.Sms, FanoutTopology.Email), done => done, _patience, "inventory, sms and email to drain");

        Assert.Equal($"Fanout: sorry, we could not fulfil your order {orderId[..8]}.", Assert.Single(sms)["text"].S);
        Assert.Equal($"Order {orderId} could not be fulfilled", Assert.Single(email)["subject"].S);
        Assert.Equal(
            [NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderReceived],
            (await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, $"SMS#{orderId}#")).Select(i => i["notification"].S).Order(StringComparer.Ordinal));
        Assert.Equal(1, await fanout.Stock.GetAsync("COMP-3", Ct));
    }

    private static async Task<bool> DrainedAsync(LocalFanout fanout, params ConsumerSpec[] consumers)
    {
        foreach (var consumer in consumers)
        {
            var queue = fanout.Topology.QueueFor(consumer);
            foreach (var url in new[] { queue.QueueUrl, queue.DeadLetterQueueUrl })
            {
                var (visible, inFlight) = await Inspect.DepthAsync(fanout, url);
                if (visible + inFlight > 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static SnsEventPublisher Publisher(LocalFanout fanout) => new(fanout.Sns, fanout.Topology.TopicArn);

    private static OutgoingEvent Placed(string orderId, params (string Sku, int Quantity)[] lines) => OutgoingEvents.Create(
        EventIds.For(orderId, "orders", "PLACED"),
        EventSources.Orders,
        EventTypes.OrderPlaced,
        orderId,
        "it-" + orderId,
        DateTimeOffset.UnixEpoch.AddYears(56),
        new OrderPlaced { OrderId = orderId, Customer = _customer, Items = [.. lines.Select(l => new OrderLine { Sku = l.Sku, Quantity = l.Quantity })], PlacedAt = DateTimeOffset.UnixEpoch.AddYears(56) },
        ContractsJsonContext.Default.CloudEventOrderPlaced);

    private static OutgoingEvent Cancelled(string orderId) => OutgoingEvents.Create(
        EventIds.For(orderId, "orders", "CANCELLED"),
        EventSources.Orders,
        EventTypes.OrderCancelled,
        orderId,
        "it-" + orderId,
        DateTimeOffset.UnixEpoch.AddYears(56),
        new OrderCancelled { OrderId = orderId, Customer = _customer, CancelledAt = DateTimeOffset.UnixEpoch.AddYears(56), CancelledBy = CancellationRequesters.Customer },
        ContractsJsonContext.Default.CloudEventOrderCancelled);
}
