using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.OutboxRelay.Core;
using Fanout.UnitTests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OutboxRelay;

[Trait("Category", "Unit")]
public sealed class OutboxRelayerTests
{
    private static readonly DateTimeOffset _at = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly InMemoryOutbox _outbox = new();
    private readonly RecordingEventPublisher _publisher = new();
    private readonly FakeTimeProvider _time = new(_at.AddMinutes(5));
    private readonly InMemoryOrderStore _orders = new();

    private OutboxRelayer Relayer() => new(new OutboxDispatcher(_outbox, _publisher), _orders, _publisher, _time);

    private static OutboxEntry Entry(string eventId) =>
        new(new OutgoingEvent(eventId, "OrderPlaced", "corr-" + eventId, "{\"id\":\"" + eventId + "\"}"), "order-" + eventId, _at);

    private static RelayRecord Insert(string sequence, string eventId) => new(sequence, "INSERT", "OUTBOX#" + eventId);

    [Fact]
    public void NewEntryEventId_InsertOfAnOutboxItem_IsTheEventId()
    {
        Assert.Equal("e-1", OutboxRelayer.NewEntryEventId(new RelayRecord("1", "INSERT", "OUTBOX#e-1")));
    }

    [Theory]
    [InlineData("MODIFY", "OUTBOX#e-1")]
    [InlineData("REMOVE", "OUTBOX#e-1")]
    [InlineData("insert", "OUTBOX#e-1")]
    [InlineData("INSERT", "ORDER#o-1")]
    [InlineData("INSERT", "outbox#e-1")]
    [InlineData("INSERT", "OUTBOX#")]
    [InlineData("INSERT", "")]
    [InlineData("INSERT", null)]
    public void NewEntryEventId_AnythingElse_IsNull(string eventName, string? key)
    {
        Assert.Null(OutboxRelayer.NewEntryEventId(new RelayRecord("1", eventName, key)));
    }

    [Fact]
    public async Task RelayAsync_PendingEntry_PublishesItsExactEnvelopeAndDeletesIt()
    {
        var entry = Entry("e-1");
        _outbox.Add(entry);

        var result = await Relayer().RelayAsync([Insert("100", "e-1")], TestContext.Current.CancellationToken);

        Assert.Equal(new RelayResult(1, 0, 0, null, null), result);
        Assert.Equal([entry.Event], _publisher.Published);
        Assert.Empty(_outbox.PendingIds);
    }

    [Fact]
    public async Task RelayAsync_EntryTheIntakeAlreadyPublished_PublishesNothing()
    {
        var result = await Relayer().RelayAsync([Insert("100", "e-1")], TestContext.Current.CancellationToken);

        Assert.Equal(new RelayResult(0, 1, 0, null, null), result);
        Assert.Equal(0, _publisher.Attempts);
        Assert.Equal(1, _outbox.Reads);
        Assert.Equal(0, _outbox.Deletes);
    }

    [Fact]
    public async Task RelayAsync_RecordsThatAreNotNewEntriesOrOrders_AreIgnoredWithoutReading()
    {
        var result = await Relayer().RelayAsync(
            [new RelayRecord("1", "MODIFY", "OUTBOX#e-1"), new RelayRecord("2", "MODIFY", "ORDER#o-1"), new RelayRecord("3", "REMOVE", "OUTBOX#e-1"), new RelayRecord("4", "INSERT", "IDEMPOTENCY#k"), new RelayRecord("5", "INSERT", "ORDER#")],
            TestContext.Current.CancellationToken);

        Assert.Equal(new RelayResult(0, 0, 5, null, null), result);
        Assert.Equal(0, _outbox.Reads);
    }

    [Fact]
    public async Task RelayAsync_NewOrderThatStillOwesItsOrderPlaced_PublishesTheRebuiltEnvelopeAfterTheGrace()
    {
        var order = PlacedOrder("0195a1b2-c3d4-7e5f-8a9b-0000000000a1");
        _orders.Add(order);
        var createdAt = _time.GetUtcNow();

        var relaying = Relayer().RelayAsync([new RelayRecord("1", "INSERT", "ORDER#" + order.OrderId, createdAt)], TestContext.Current.CancellationToken);
        _time.Advance(OutboxRelayer.InlineGrace - TimeSpan.FromMilliseconds(1));
        Assert.False(relaying.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await relaying;

        Assert.Equal(new RelayResult(1, 0, 0, null, null), result);
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(order.EventJson, published.Json);
        Assert.Equal(Fanout.Contracts.Events.EventIds.For(order.OrderId, "orders", "PLACED"), published.Id);
        Assert.Equal(("OrderPlaced", "corr-1"), (published.Type, published.CorrelationId));
    }

    [Fact]
    public async Task RelayAsync_NewOrderWithAnOutcomeAppliedOrGone_PublishesNothing()
    {
        var order = PlacedOrder("0195a1b2-c3d4-7e5f-8a9b-0000000000a2");
        _orders.Add(order);
        await _orders.ApplyOutcomeAsync(order.OrderId, "evt-sms", "sms", "SENT", TestContext.Current.CancellationToken);

        var result = await Relayer().RelayAsync(
            [new RelayRecord("1", "INSERT", "ORDER#" + order.OrderId), new RelayRecord("2", "INSERT", "ORDER#0195a1b2-c3d4-7e5f-8a9b-0000000000ff")],
            TestContext.Current.CancellationToken);

        Assert.Equal(new RelayResult(0, 2, 0, null, null), result);
        Assert.Equal(0, _publisher.Attempts);
    }

    private OrderRecord PlacedOrder(string orderId)
    {
        var at = _time.GetUtcNow();
        var placed = new Fanout.Contracts.Events.OrderPlaced
        {
            OrderId = orderId,
            Customer = new Fanout.Contracts.Events.CustomerInfo { Id = "c1", Email = "ada@example.com" },
            Items = [new Fanout.Contracts.Events.OrderLine { Sku = "MUG-01", Quantity = 1 }],
            PlacedAt = at,
        };
        return new OrderRecord(orderId, OrderPlacedEvents.Create(placed, "corr-1", at).Json, "corr-1", "h", at, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending)) { OpenSince = at };
    }

    [Fact]
    public async Task RelayAsync_MixedBatch_CountsEachKindInStreamOrder()
    {
        _outbox.Add(Entry("e-1"));
        _outbox.Add(Entry("e-3"));

        var result = await Relayer().RelayAsync(
            [Insert("1", "e-1"), Insert("2", "e-2"), new RelayRecord("3", "MODIFY", "ORDER#o"), Insert("4", "e-3")],
            TestContext.Current.CancellationToken);

        Assert.Equal(new RelayResult(2, 1, 1, null, null), result);
        Assert.Equal(["e-1", "e-3"], _publisher.Published.Select(e => e.Id));
    }

    [Fact]
    public async Task RelayAsync_PublishFails_StopsThereAndNamesThatRecord()
    {
        _outbox.Add(Entry("e-1"));
        _outbox.Add(Entry("e-2"));
        _outbox.Add(Entry("e-3"));
        var records = new[] { Insert("1", "e-1"), Insert("2", "e-2"), Insert("3", "e-3") };
        var failure = new TimeoutException("topic unreachable");

        // Fails from the second publish on: the first one went through.
        var calls = 0;
        var publisher = new DelegatingPublisher((e, ct) => ++calls == 1 ? _publisher.PublishAsync(e, ct) : Task.FromException(failure));
        var result = await new OutboxRelayer(new OutboxDispatcher(_outbox, publisher), _orders, publisher, _time).RelayAsync(records, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.Published);
        Assert.Equal("2", result.FailedSequenceNumber);
        Assert.Same(failure, result.Failure);
        Assert.Equal(2, calls);
        Assert.Equal(["e-2", "e-3"], _outbox.PendingIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RelayAsync_ReadFails_NamesTheRecordAndPublishesNothing()
    {
        _outbox.Add(Entry("e-1"));
        _outbox.FailReadsWith = new InvalidOperationException("table throttled");

        var result = await Relayer().RelayAsync([Insert("7", "e-1"), Insert("8", "e-2")], TestContext.Current.CancellationToken);

        Assert.Equal("7", result.FailedSequenceNumber);
        Assert.IsType<InvalidOperationException>(result.Failure);
        Assert.Equal(0, _publisher.Attempts);
        Assert.Equal(1, _outbox.Reads);
    }

    [Fact]
    public async Task RelayAsync_Cancelled_NamesTheRecordInProgress()
    {
        _outbox.Add(Entry("e-1"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var publisher = new DelegatingPublisher((_, ct) => Task.FromCanceled(ct));

        var result = await new OutboxRelayer(new OutboxDispatcher(_outbox, publisher), _orders, publisher, _time).RelayAsync([Insert("9", "e-1")], cancelled.Token);

        Assert.Equal("9", result.FailedSequenceNumber);
        Assert.IsAssignableFrom<OperationCanceledException>(result.Failure);
        Assert.Equal(["e-1"], _outbox.PendingIds);
    }

    [Fact]
    public async Task RelayAsync_EmptyBatch_DoesNothing()
    {
        Assert.Equal(new RelayResult(0, 0, 0, null, null), await Relayer().RelayAsync([], TestContext.Current.CancellationToken));
    }

    [Fact]
    public void InlineGrace_IsTheInlinePublishTimeoutPlusHalfASecond()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1500), OutboxRelayer.InlineGrace);
    }

    [Fact]
    public async Task RelayAsync_EntryYoungerThanTheGrace_ReadsItOnlyOnceTheGraceHasPassed()
    {
        _outbox.Add(Entry("e-1"));
        var record = new RelayRecord("1", "INSERT", "OUTBOX#e-1", _time.GetUtcNow().AddMilliseconds(-500));

        var relaying = Relayer().RelayAsync([record], TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(relaying.IsCompleted);
        Assert.Equal(0, _outbox.Reads);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await relaying;

        Assert.Equal(1, result.Published);
        Assert.Equal(1, _outbox.Reads);
    }

    [Fact]
    public async Task RelayAsync_IntakeDeletesTheEntryWithinTheGrace_PublishesNothing()
    {
        _outbox.Add(Entry("e-1"));
        var record = new RelayRecord("1", "INSERT", "OUTBOX#e-1", _time.GetUtcNow());

        var relaying = Relayer().RelayAsync([record], TestContext.Current.CancellationToken);
        await _outbox.CompleteAsync("e-1", TestContext.Current.CancellationToken);
        _time.Advance(OutboxRelayer.InlineGrace);
        var result = await relaying;

        Assert.Equal(new RelayResult(0, 1, 0, null, null), result);
        Assert.Equal(0, _publisher.Attempts);
    }

    [Fact]
    public async Task RelayAsync_EntryExactlyAsOldAsTheGrace_IsReadAtOnce()
    {
        _outbox.Add(Entry("e-1"));
        var record = new RelayRecord("1", "INSERT", "OUTBOX#e-1", _time.GetUtcNow() - OutboxRelayer.InlineGrace);

        var relaying = Relayer().RelayAsync([record], TestContext.Current.CancellationToken);

        Assert.True(relaying.IsCompleted);
        Assert.Equal(1, (await relaying).Published);
    }
}
