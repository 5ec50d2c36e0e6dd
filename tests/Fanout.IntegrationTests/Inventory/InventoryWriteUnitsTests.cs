using System.Globalization;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.Harness.Metering;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;

namespace Fanout.IntegrationTests.Inventory;

/// <summary>The inventory table's write units per fact, by AWS's rules (<see cref="DynamoDbCapacityRules"/>), metered
/// on the real local system. Facts are published to the topic as the order service would; each window closes when
/// the inventory queue has drained and the fact's effect is visible.</summary>
[Trait("Category", "Integration")]
public sealed class InventoryWriteUnitsTests : IAsyncLifetime
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(60);

    private static readonly CustomerInfo _customer = new() { Id = "it-write-units", Email = "it-write-units@example.com", Phone = "+14155550198" };

    private readonly DynamoDbCapacityMeter _meter = DynamoDbCapacityMeter.Attach();
    private LocalFanout? _fanout;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        _fanout = await LocalFanout.StartAsync(
            new LocalFanoutOptions { SignIn = false, VisibilityTimeoutSeconds = 3, FunctionTimeout = TimeSpan.FromSeconds(10) },
            Ct);

    public async ValueTask DisposeAsync()
    {
        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }

        _meter.Dispose();
    }

    [Fact]
    public async Task OrderPlacedThenOrderCancelled_OneLine_FourWriteUnitsEach()
    {
        var fanout = _fanout!;
        await fanout.Stock.SetAsync("UNITS-1", 10, Ct);
        var orderId = Guid.CreateVersion7().ToString();
        var publisher = new SnsEventPublisher(fanout.Sns, fanout.Topology.TopicArn);

        // The order item put if absent and the SKU's guarded decrement: two items in a transaction, 2 units each.
        var before = InventoryWriteUnits();
        await publisher.PublishAsync(Placed(orderId, ("UNITS-1", 2)), Ct);
        await SettledAsync(fanout, "UNITS-1", 8);
        var reserved = InventoryWriteUnits() - before;

        // The order item RESERVED → RELEASED (still under 1 KB with both outcomes) and the SKU's increment.
        before = InventoryWriteUnits();
        await publisher.PublishAsync(Cancelled(orderId), Ct);
        await SettledAsync(fanout, "UNITS-1", 10);
        var released = InventoryWriteUnits() - before;

        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inventory WCU: reserve {reserved}, release {released}"));
        Assert.Equal((4, 4), (reserved, released));
        var order = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix + orderId));
        Assert.Equal(DynamoStockLedger.StatusReleased, order["state"].S);
    }

    [Fact]
    public async Task OrderPlaced_ShortStock_TheFailedReservationAndOneConditionalPut()
    {
        var fanout = _fanout!;
        await fanout.Stock.SetAsync("UNITS-2", 1, Ct);
        var orderId = Guid.CreateVersion7().ToString();
        var publisher = new SnsEventPublisher(fanout.Sns, fanout.Topology.TopicArn);

        var before = InventoryWriteUnits();
        await publisher.PublishAsync(Placed(orderId, ("UNITS-2", 2)), Ct);
        await Eventually.WaitAsync(
            async () => (Items: await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix + orderId), Drained: await DrainedAsync(fanout)),
            s => s.Items.Count == 1 && s.Drained,
            _patience,
            "the rejection to be recorded");
        var units = InventoryWriteUnits() - before;

        // A cancelled transaction bills each item it names as a transactional write (2 + 2), then the rejection is one
        // put of the order item (1).
        Assert.Equal(5, units);
        Assert.Equal(1, await fanout.Stock.GetAsync("UNITS-2", Ct));
    }

    private double InventoryWriteUnits() =>
        _meter.SnapshotByTable().Where(kv => kv.Key.Table == FanoutTopology.InventoryTable.LocalName).Sum(kv => kv.Value.WriteUnits);

    private static async Task SettledAsync(LocalFanout fanout, string sku, int available) =>
        await Eventually.WaitAsync(
            async () => (Stock: await fanout.Stock.GetAsync(sku, Ct), Drained: await DrainedAsync(fanout)),
            s => s.Stock == available && s.Drained,
            _patience,
            $"{sku} at {available} and the inventory queue drained");

    private static async Task<bool> DrainedAsync(LocalFanout fanout)
    {
        var queue = fanout.Topology.QueueFor(FanoutTopology.Inventory);
        foreach (var url in new[] { queue.QueueUrl, queue.DeadLetterQueueUrl })
        {
            var (visible, inFlight) = await Inspect.DepthAsync(fanout, url);
            if (visible + inFlight > 0)
            {
                return false;
            }
        }

        return true;
    }

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
