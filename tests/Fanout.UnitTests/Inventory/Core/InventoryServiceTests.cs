using Fanout.Contracts.Events;
using Fanout.Inventory.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Inventory.Core;

[Trait("Category", "Unit")]
public sealed class InventoryServiceTests
{
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryStockLedger _ledger = new();
    private readonly RecordingEventPublisher _publisher = new();
    private readonly InventoryService _service;

    public InventoryServiceTests()
    {
        _service = new InventoryService(_ledger, _publisher, _time);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Consolidate_RepeatedSkus_MergesThemAndSortsBySku()
    {
        var lines = InventoryService.Consolidate(
        [
            new OrderLine { Sku = "MUG-01", Quantity = 1 },
            new OrderLine { Sku = "CAP-02", Quantity = 2 },
            new OrderLine { Sku = "MUG-01", Quantity = 3 },
        ]);

        Assert.Equal([new StockLine("CAP-02", 2), new StockLine("MUG-01", 4)], lines);
    }

    [Fact]
    public void Consolidate_SkusDifferingOnlyInCase_StayApart()
    {
        var lines = InventoryService.Consolidate([new OrderLine { Sku = "ABC", Quantity = 1 }, new OrderLine { Sku = "abc", Quantity = 1 }]);

        Assert.Equal(2, lines.Count);
    }

    [Fact]
    public void Consolidate_NoLines_ReturnsEmpty()
    {
        Assert.Empty(InventoryService.Consolidate([]));
    }

    [Fact]
    public async Task HandleAsync_EnoughStock_ReservesOnceAndPublishesInventoryReserved()
    {
        _ledger.SetStock("MUG-01", 10);
        _ledger.SetStock("CAP-02", 5);
        var placed = new OrderPlacedBuilder().WithItems(("MUG-01", 1), ("CAP-02", 2), ("MUG-01", 3)).BuildParsed();

        var type = await _service.HandleAsync(placed, Ct);

        Assert.Equal(EventTypes.InventoryReserved, type);
        Assert.Equal([new StockLine("CAP-02", 2), new StockLine("MUG-01", 4)], Assert.Single(_ledger.ReserveRequests));
        Assert.Equal(6, _ledger.Stock("MUG-01"));
        Assert.Equal(3, _ledger.Stock("CAP-02"));
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, InventoryService.ServiceName, "RESERVED"), published.Id);
        Assert.Equal(placed.CorrelationId, published.CorrelationId);
        var reserved = EventParser.Parse(published.Json, EventTypes.InventoryReserved, ContractsJsonContext.Default.InventoryReserved);
        Assert.Equal(placed.Data.OrderId, reserved.Data.OrderId);
        Assert.Equal([("CAP-02", 2), ("MUG-01", 4)], reserved.Data.Items.Select(i => (i.Sku, i.Quantity)));
        Assert.Equal(new RecordedOutcome(placed.PayloadHash, published.Json), _ledger.Outcome(placed.Id));
    }

    [Fact]
    public async Task HandleAsync_InsufficientStock_PublishesInventoryRejectedListingUnavailableSkus()
    {
        _ledger.SetStock("MUG-01", 10);
        _ledger.SetStock("CAP-02", 1);
        var placed = new OrderPlacedBuilder().WithItems(("MUG-01", 2), ("CAP-02", 2), ("HAT-03", 1)).BuildParsed();

        var type = await _service.HandleAsync(placed, Ct);

        Assert.Equal(EventTypes.InventoryRejected, type);
        Assert.Equal(10, _ledger.Stock("MUG-01"));
        Assert.Equal(1, _ledger.Stock("CAP-02"));
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, InventoryService.ServiceName, "REJECTED"), published.Id);
        var rejected = EventParser.Parse(published.Json, EventTypes.InventoryRejected, ContractsJsonContext.Default.InventoryRejected);
        Assert.Equal(["CAP-02", "HAT-03"], rejected.Data.UnavailableSkus);
        Assert.Equal(RejectionReasons.InsufficientStock, rejected.Data.Reason);
        Assert.Equal(placed.Data.OrderId, rejected.Data.OrderId);
        Assert.Equal(new RecordedOutcome(placed.PayloadHash, published.Json), _ledger.Outcome(placed.Id));
    }

    [Fact]
    public async Task HandleAsync_AlreadyHandled_RepublishesTheRecordedOutcomeByteForByte()
    {
        _ledger.SetStock("MUG-01", 10);
        _ledger.SetStock("TSHIRT-RED-M", 10);
        var placed = new OrderPlacedBuilder().BuildParsed();
        await _service.HandleAsync(placed, Ct);
        var original = Assert.Single(_publisher.Published);

        // An hour later the same event is redelivered: a freshly built outcome would carry another time.
        _time.Advance(TimeSpan.FromHours(1));
        var type = await _service.HandleAsync(placed, Ct);

        Assert.Equal(EventTypes.InventoryReserved, type);
        Assert.Equal(2, _publisher.Published.Count);
        var republished = _publisher.Published[1];
        Assert.Equal(original.Json, republished.Json);
        Assert.Equal(original.Id, republished.Id);
        Assert.Equal(original.Type, republished.Type);
        Assert.Equal(original.CorrelationId, republished.CorrelationId);
        Assert.Equal(9, _ledger.Stock("MUG-01"));
        Assert.Equal(8, _ledger.Stock("TSHIRT-RED-M"));
    }

    [Fact]
    public async Task HandleAsync_AlreadyRejected_RepublishesTheRecordedRejection()
    {
        const string recorded = "{\"specversion\":\"1.0\",\"id\":\"11111111-2222-8333-9444-555555555555\",\"source\":\"urn:fanout:inventory\",\"type\":\"InventoryRejected\"," +
            "\"time\":\"2026-01-01T00:00:00+00:00\",\"correlationid\":\"corr-old\",\"data\":{\"orderId\":\"o\",\"reason\":\"INSUFFICIENT_STOCK\",\"unavailableSkus\":[\"MUG-01\"]}}";
        var placed = new OrderPlacedBuilder().BuildParsed();
        _ledger.Record(placed.Id, new RecordedOutcome(placed.PayloadHash, recorded));
        _ledger.SetStock("MUG-01", 100);
        _ledger.SetStock("TSHIRT-RED-M", 100);

        var type = await _service.HandleAsync(placed, Ct);

        Assert.Equal(EventTypes.InventoryRejected, type);
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(recorded, published.Json);
        Assert.Equal("11111111-2222-8333-9444-555555555555", published.Id);
        Assert.Equal("corr-old", published.CorrelationId);
        Assert.Equal(100, _ledger.Stock("MUG-01"));
    }

    [Fact]
    public async Task HandleAsync_SameEventIdWithDifferentPayload_ThrowsPoisonAndPublishesNothing()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();
        _ledger.Record(placed.Id, new RecordedOutcome("another-payload-hash", new OrderPlacedBuilder().BuildEnvelopeJson()));

        var error = await Assert.ThrowsAsync<PoisonMessageException>(() => _service.HandleAsync(placed, Ct));

        Assert.Equal($"Event {placed.Id} was seen before with a different payload.", error.Message);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_RejectionRacedByAnotherInvocation_RepublishesTheWinnersOutcome()
    {
        var placed = new OrderPlacedBuilder().WithItems(("MUG-01", 5)).BuildParsed();
        var winner = CloudEventBuilder.InventoryReserved().Build();
        _ledger.RecordedByConcurrentInvocation = new RecordedOutcome(placed.PayloadHash, winner);

        var type = await _service.HandleAsync(placed, Ct);

        Assert.Equal(EventTypes.InventoryReserved, type);
        Assert.Equal(winner, Assert.Single(_publisher.Published).Json);
    }

    [Fact]
    public async Task HandleAsync_PublishFails_KeepsTheRecordedOutcomeForTheRetry()
    {
        _ledger.SetStock("MUG-01", 10);
        _ledger.SetStock("TSHIRT-RED-M", 10);
        var placed = new OrderPlacedBuilder().BuildParsed();
        _publisher.FailWith = new HttpRequestException("SNS unreachable");

        await Assert.ThrowsAsync<HttpRequestException>(() => _service.HandleAsync(placed, Ct));
        _publisher.FailWith = null;
        await _service.HandleAsync(placed, Ct);

        Assert.Equal(9, _ledger.Stock("MUG-01"));
        Assert.Equal(_ledger.Outcome(placed.Id)!.OutcomeJson, Assert.Single(_publisher.Published).Json);
    }

    [Fact]
    public async Task HandleAsync_RejectionRacedByAnotherPayload_ThrowsPoisonAndPublishesNothing()
    {
        var placed = new OrderPlacedBuilder().WithItems(("MUG-01", 5)).BuildParsed();
        _ledger.RecordedByConcurrentInvocation = new RecordedOutcome("another-payload-hash", CloudEventBuilder.InventoryReserved().Build());

        await Assert.ThrowsAsync<PoisonMessageException>(() => _service.HandleAsync(placed, Ct));

        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_NullEvent_ThrowsArgumentNull()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _service.HandleAsync((ParsedEvent<OrderPlaced>)null!, Ct));

        Assert.Equal("placed", error.ParamName);
        Assert.Empty(_ledger.ReserveRequests);
    }

    [Fact]
    public void Constructor_MissingArguments_Throw()
    {
        Assert.Equal("ledger", Assert.Throws<ArgumentNullException>(() => new InventoryService(null!, _publisher, _time)).ParamName);
        Assert.Equal("publisher", Assert.Throws<ArgumentNullException>(() => new InventoryService(_ledger, null!, _time)).ParamName);
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new InventoryService(_ledger, _publisher, null!)).ParamName);
    }
}
