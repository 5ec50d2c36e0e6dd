using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.Inventory.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Inventory.Core;

/// <summary>OrderCancelled: inventory gives back exactly what the order holds, once, and says so; an OrderPlaced that
/// arrives after its cancellation reserves nothing and says nothing.</summary>
[Trait("Category", "Unit")]
public sealed class InventoryCompensationTests
{
    private readonly InMemoryStockLedger _ledger = new();
    private readonly RecordingEventPublisher _publisher = new();
    private readonly InventoryService _service;
    private readonly OrderPlacedBuilder _order = new OrderPlacedBuilder().WithItems(("MUG-01", 1), ("CAP-02", 2), ("MUG-01", 3));

    public InventoryCompensationTests()
    {
        _service = new InventoryService(_ledger, _publisher, TestClock.Create());
        _ledger.SetStock("MUG-01", 10);
        _ledger.SetStock("CAP-02", 5);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InventoryReleased Released(OutgoingEvent published) =>
        EventParser.Parse(published.Json, EventTypes.InventoryReleased, ContractsJsonContext.Default.InventoryReleased).Data;

    [Fact]
    public async Task HandleAsync_CancelAfterReservation_ReleasesExactlyTheReservedQuantitiesAndPublishesThem()
    {
        await _service.HandleAsync(_order.BuildParsed(), Ct);
        Assert.Equal((6, 3), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));

        var type = await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(EventTypes.InventoryReleased, type);
        Assert.Equal((10, 5), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
        var published = _publisher.Published[^1];
        Assert.Equal(EventIds.For(_order.OrderId, InventoryService.ServiceName, "RELEASED"), published.Id);
        Assert.Equal(EventTypes.InventoryReleased, published.Type);
        Assert.Equal(_order.CorrelationId, published.CorrelationId);
        var released = Released(published);
        Assert.Equal(_order.OrderId, released.OrderId);
        Assert.Equal([("CAP-02", 2), ("MUG-01", 4)], released.Items.Select(l => (l.Sku, l.Quantity)));
        Assert.True(_ledger.Reservation(_order.OrderId)!.Value.Released);
    }

    [Fact]
    public async Task HandleAsync_CancelWithNothingHeld_PublishesAnEmptyReleaseAndChangesNoStock()
    {
        var type = await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(EventTypes.InventoryReleased, type);
        Assert.Empty(Released(Assert.Single(_publisher.Published)).Items);
        Assert.Equal((10, 5), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
        Assert.True(_ledger.IsCancelled(_order.OrderId));
    }

    [Fact]
    public async Task HandleAsync_CancelAfterRejection_ReleasesNothing()
    {
        _ledger.SetStock("CAP-02", 1);
        Assert.Equal(EventTypes.InventoryRejected, await _service.HandleAsync(_order.BuildParsed(), Ct));

        await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Empty(Released(_publisher.Published[^1]).Items);
        Assert.Equal((10, 1), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
    }

    [Fact]
    public async Task HandleAsync_TombstoneBeforeReservation_OrderPlacedReservesNothingPublishesNothingAndIsRecorded()
    {
        await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);
        var placed = _order.BuildParsed();

        var outcome = await _service.HandleAsync(placed, Ct);

        Assert.Equal(InventoryService.NothingPublished, outcome);
        Assert.Equal((10, 5), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
        Assert.Equal([EventTypes.InventoryReleased], _publisher.Published.Select(p => p.Type));
        Assert.Null(_ledger.Reservation(_order.OrderId));
        Assert.Equal(new RecordedOutcome(placed.PayloadHash, RecordedOutcome.NoFact), _ledger.Outcome(placed.Id));
    }

    [Fact]
    public async Task HandleAsync_TombstoneBeforeReservationAndOrderPlacedRedelivered_StillPublishesNothing()
    {
        await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);

        await _service.HandleAsync(_order.BuildParsed(), Ct);
        var again = await _service.HandleAsync(_order.BuildParsed(), Ct);

        Assert.Equal(InventoryService.NothingPublished, again);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_TombstoneBeforeAShortStockOrder_PublishesNoRejection()
    {
        _ledger.SetStock("CAP-02", 0);
        await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);

        Assert.Equal(InventoryService.NothingPublished, await _service.HandleAsync(_order.BuildParsed(), Ct));

        Assert.DoesNotContain(_publisher.Published, p => p.Type == EventTypes.InventoryRejected);
    }

    [Fact]
    public async Task HandleAsync_OrderCancelledDeliveredThreeTimes_ReleasesOnceAndRepublishesTheSameFact()
    {
        await _service.HandleAsync(_order.BuildParsed(), Ct);
        var cancelled = _order.BuildCancelledParsed();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EventTypes.InventoryReleased, await _service.HandleAsync(cancelled, Ct));
        }

        Assert.Equal((10, 5), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
        var releases = _publisher.Published.Where(p => p.Type == EventTypes.InventoryReleased).ToList();
        Assert.Equal(3, releases.Count);
        Assert.Single(releases.Select(p => p.Json).Distinct());
        Assert.Equal(2, Released(releases[0]).Items.Count);
    }

    [Fact]
    public async Task HandleAsync_OrderPlacedRedeliveredAfterTheRelease_PublishesNothingAndChangesNoStock()
    {
        var placed = _order.BuildParsed();
        await _service.HandleAsync(placed, Ct);
        await _service.HandleAsync(_order.BuildCancelledParsed(), Ct);
        var published = _publisher.Published.Count;

        Assert.Equal(InventoryService.NothingPublished, await _service.HandleAsync(placed, Ct));

        Assert.Equal(published, _publisher.Published.Count);
        Assert.Equal((10, 5), (_ledger.Stock("MUG-01"), _ledger.Stock("CAP-02")));
    }

    [Fact]
    public async Task HandleAsync_OrderCancelledSeenBeforeWithAnotherPayload_IsPoisonAndPublishesNothing()
    {
        var cancelled = _order.BuildCancelledParsed();
        _ledger.Record(cancelled.Id, new RecordedOutcome("another-hash", CloudEventBuilder.InventoryReleased().Build()));

        await Assert.ThrowsAsync<PoisonMessageException>(() => _service.HandleAsync(cancelled, Ct));

        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_ShortStock_RejectionCarriesTheCustomerOfTheOrder()
    {
        _ledger.SetStock("CAP-02", 1);
        var placed = _order.BuildParsed();

        await _service.HandleAsync(placed, Ct);

        var rejected = EventParser.Parse(Assert.Single(_publisher.Published).Json, EventTypes.InventoryRejected, ContractsJsonContext.Default.InventoryRejected).Data;
        Assert.Equal(
            (placed.Data.Customer.Id, placed.Data.Customer.Email, placed.Data.Customer.Phone),
            (rejected.Customer.Id, rejected.Customer.Email, rejected.Customer.Phone));
        Assert.Equal(["CAP-02"], rejected.UnavailableSkus);
    }

    [Fact]
    public async Task HandleAsync_NullCancellation_ThrowsArgumentNull()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _service.HandleAsync((ParsedEvent<OrderCancelled>)null!, Ct));

        Assert.Equal("cancelled", error.ParamName);
    }
}
