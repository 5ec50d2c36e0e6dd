using Fanout.Contracts.Events;
using Fanout.Orders.Core;
using Fanout.OrderStatus.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderStatus.Core;

[Trait("Category", "Unit")]
public sealed class OrderStatusServiceTests
{
    private const string OrderId = OrderPlacedBuilder.DefaultOrderId;
    private readonly InMemoryOrderStore _store = new();
    private readonly OrderStatusService _service;

    public OrderStatusServiceTests()
    {
        _service = new OrderStatusService(_store);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> Outcomes => new()
    {
        { CloudEventBuilder.SmsSent(SmsDelivery.Sent, "sms-1").Build(), TrackedServices.Sms, ServiceStatus.Sent },
        { CloudEventBuilder.SmsSent(SmsDelivery.Skipped, null).Build(), TrackedServices.Sms, ServiceStatus.Skipped },
        { CloudEventBuilder.EmailSent().Build(), TrackedServices.Email, ServiceStatus.Sent },
        { CloudEventBuilder.InventoryReserved().Build(), TrackedServices.Inventory, ServiceStatus.Reserved },
        { CloudEventBuilder.InventoryRejected().Build(), TrackedServices.Inventory, ServiceStatus.Rejected },
        { Released(), TrackedServices.Inventory, ServiceStatus.Released },
        { CloudEventBuilder.SmsSent().With("data.notification", NotificationKinds.OrderReceived).Build(), TrackedServices.Sms, ServiceStatus.Sent },
        { CloudEventBuilder.EmailSent().With("data.notification", NotificationKinds.OrderReceived).Build(), TrackedServices.Email, ServiceStatus.Sent },
    };

    [Theory]
    [InlineData(EventTypes.SmsSent, NotificationKinds.OrderNotFulfilled)]
    [InlineData(EventTypes.SmsSent, NotificationKinds.OrderCancelled)]
    [InlineData(EventTypes.EmailSent, NotificationKinds.OrderNotFulfilled)]
    [InlineData(EventTypes.EmailSent, NotificationKinds.OrderCancelled)]
    public void ToUpdate_NotificationOtherThanOrderReceived_IsNotTracked(string type, string notification)
    {
        var builder = type == EventTypes.SmsSent ? CloudEventBuilder.SmsSent() : CloudEventBuilder.EmailSent();

        Assert.Null(OrderStatusService.ToUpdate(EventParser.ParseEnvelope(builder.With("data.notification", notification).Build())));
    }

    [Fact]
    public async Task ApplyAsync_ReleasedWhileCancelling_BecomesCancelledAndLeavesTheOpenIndex()
    {
        _store.Add(Order() with { Lifecycle = OrderStatuses.Cancelling, OpenSince = TestClock.Start });
        await _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Inventory, ServiceStatus.Reserved), Ct);

        var result = await _service.ApplyAsync(new OutcomeUpdate("event-2", OrderId, TrackedServices.Inventory, ServiceStatus.Released), Ct);

        Assert.Equal(ApplyOutcomeStatus.Applied, result.Status);
        var order = _store.Find(OrderId)!;
        Assert.Equal(OrderStatuses.Cancelled, order.Status);
        Assert.Equal(ServiceStatus.Released, order.Statuses[TrackedServices.Inventory]);
        Assert.Null(order.OpenSince);
    }

    [Theory]
    [InlineData(ServiceStatus.Reserved)]
    [InlineData(ServiceStatus.Rejected)]
    public async Task ApplyAsync_LateInventoryOutcomeAfterReleased_IsADuplicateNeverARegression(string late)
    {
        _store.Add(Order() with { Lifecycle = OrderStatuses.Cancelling, OpenSince = TestClock.Start });
        await _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Inventory, ServiceStatus.Released), Ct);

        var result = await _service.ApplyAsync(new OutcomeUpdate("event-2", OrderId, TrackedServices.Inventory, late), Ct);

        Assert.Equal(ApplyOutcomeStatus.Duplicate, result.Status);
        Assert.Equal(ServiceStatus.Released, _store.Find(OrderId)!.Statuses[TrackedServices.Inventory]);
        Assert.Equal(OrderStatuses.Cancelled, _store.Find(OrderId)!.Status);
    }

    [Fact]
    public async Task ApplyAsync_LastOutcomeCompletesTheOrder_LeavesTheOpenIndexOnlyThen()
    {
        _store.Add(Order() with { OpenSince = TestClock.Start });
        await _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Sms, ServiceStatus.Sent), Ct);
        await _service.ApplyAsync(new OutcomeUpdate("event-2", OrderId, TrackedServices.Email, ServiceStatus.Sent), Ct);
        Assert.Equal(TestClock.Start, _store.Find(OrderId)!.OpenSince);

        await _service.ApplyAsync(new OutcomeUpdate("event-3", OrderId, TrackedServices.Inventory, ServiceStatus.Reserved), Ct);

        Assert.Equal(OrderStatuses.Completed, _store.Find(OrderId)!.Status);
        Assert.Null(_store.Find(OrderId)!.OpenSince);
    }

    private static string Released() => CloudEventBuilder.Outcome(
        EventTypes.InventoryReleased,
        EventSources.Inventory,
        "RELEASED",
        new InventoryReleased { OrderId = OrderId },
        ContractsJsonContext.Default.CloudEventInventoryReleased).Build();

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void ToUpdate_OutcomeFact_MapsToServiceAndStatus(string json, string service, string status)
    {
        var envelope = EventParser.ParseEnvelope(json);

        var update = OrderStatusService.ToUpdate(envelope);

        Assert.Equal(new OutcomeUpdate(envelope.Id!, OrderId, service, status), update);
    }

    [Fact]
    public void ToUpdate_OrderPlaced_ThrowsPoison()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.OrderPlaced().Build());

        var error = Assert.Throws<PoisonMessageException>(() => OrderStatusService.ToUpdate(envelope));
        Assert.Equal($"OrderStatus does not handle events of type \"{EventTypes.OrderPlaced}\".", error.Message);
    }

    [Theory]
    [InlineData("OrderShipped")]
    [InlineData("smssent")]
    public void ToUpdate_UnknownType_ThrowsPoison(string type)
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.SmsSent().With("type", type).Build());

        Assert.Throws<PoisonMessageException>(() => OrderStatusService.ToUpdate(envelope));
    }

    [Theory]
    [InlineData("data.delivery", "\"MAYBE\"")]
    [InlineData("data.orderId", "\"\"")]
    [InlineData("data.orderId", "42")]
    public void ToUpdate_OutcomeBreakingItsSchema_ThrowsPoison(string path, string json)
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.SmsSent().WithRaw(path, json).Build());

        Assert.Throws<PoisonMessageException>(() => OrderStatusService.ToUpdate(envelope));
    }

    [Fact]
    public async Task ApplyAsync_PendingService_RecordsTheStatus()
    {
        _store.Add(Order());

        var result = await _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Sms, ServiceStatus.Skipped), Ct);

        Assert.Equal(ApplyOutcomeStatus.Applied, result.Status);
        Assert.Equal(ServiceStatus.Skipped, _store.Find(OrderId)!.Statuses[TrackedServices.Sms]);
        Assert.Equal(ServiceStatus.Pending, _store.Find(OrderId)!.Statuses[TrackedServices.Email]);
    }

    [Fact]
    public async Task ApplyAsync_SameEventTwice_ReportsDuplicate()
    {
        _store.Add(Order());
        var update = new OutcomeUpdate("event-1", OrderId, TrackedServices.Email, ServiceStatus.Sent);
        await _service.ApplyAsync(update, Ct);

        Assert.Equal(ApplyOutcomeStatus.Duplicate, (await _service.ApplyAsync(update, Ct)).Status);
    }

    [Fact]
    public async Task ApplyAsync_OrderMissing_ThrowsRetryableError()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Sms, ServiceStatus.Sent), Ct));

        Assert.Equal($"Order {OrderId} does not exist (yet).", error.Message);
    }

    [Fact]
    public async Task ApplyAsync_ContradictsRecordedFinalStatus_ThrowsPoison()
    {
        _store.Add(Order());
        await _service.ApplyAsync(new OutcomeUpdate("event-1", OrderId, TrackedServices.Inventory, ServiceStatus.Reserved), Ct);

        var error = await Assert.ThrowsAsync<PoisonMessageException>(
            () => _service.ApplyAsync(new OutcomeUpdate("event-2", OrderId, TrackedServices.Inventory, ServiceStatus.Rejected), Ct));

        Assert.Equal($"Event event-2 says {TrackedServices.Inventory} is {ServiceStatus.Rejected}, contradicting the order's recorded final status.", error.Message);
        Assert.Equal(ServiceStatus.Reserved, _store.Find(OrderId)!.Statuses[TrackedServices.Inventory]);
    }

    [Fact]
    public void ToUpdate_NullEnvelope_ThrowsArgumentNull()
    {
        Assert.Equal("envelope", Assert.Throws<ArgumentNullException>(() => OrderStatusService.ToUpdate(null!)).ParamName);
    }

    [Fact]
    public async Task ApplyAsync_NullUpdate_ThrowsArgumentNull()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _service.ApplyAsync(null!, Ct));

        Assert.Equal("update", error.ParamName);
    }

    [Fact]
    public void Constructor_MissingStore_Throws()
    {
        Assert.Equal("store", Assert.Throws<ArgumentNullException>(() => new OrderStatusService(null!)).ParamName);
    }

    private static OrderRecord Order() => new(
        OrderId,
        new OrderPlacedBuilder().BuildEnvelopeJson(),
        OrderPlacedBuilder.DefaultCorrelationId,
        "request-hash",
        TestClock.Start,
        TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));
}
