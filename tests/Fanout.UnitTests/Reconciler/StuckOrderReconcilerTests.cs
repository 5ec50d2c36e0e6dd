using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.Reconciler.Core;
using Fanout.UnitTests.OutboxRelay;
using Fanout.UnitTests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Reconciler;

[Trait("Category", "Unit")]
public sealed class StuckOrderReconcilerTests
{
    internal static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeOpenOrders _orders = new();
    private readonly InMemoryOutbox _outbox = new();
    private readonly RecordingEventPublisher _publisher = new();

    private StuckOrderReconciler Reconciler(IEventPublisher? publisher = null, TimeSpan? threshold = null)
    {
        publisher ??= _publisher;
        return new StuckOrderReconciler(_orders, new OutboxDispatcher(_outbox, publisher), publisher, new FakeTimeProvider(Now), threshold ?? TimeSpan.FromMinutes(15));
    }

    internal static OpenOrder Open(string orderId, string status = "PENDING", bool owesPlaced = false) =>
        new(orderId, status, Now.AddHours(-1), new OutgoingEvent("evt-" + orderId, status == "PENDING" ? "OrderPlaced" : "OrderCancelled", "corr-" + orderId, "{\"order\":\"" + orderId + "\",\"phone\":\"+14155550123\"}"), owesPlaced);

    [Fact]
    public async Task RunAsync_AnyRun_AsksEveryShardOnceForOrdersOpenSinceBeforeNowMinusThreshold()
    {
        await Reconciler(threshold: TimeSpan.FromSeconds(90)).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal([(0, Now.AddSeconds(-90)), (1, Now.AddSeconds(-90)), (2, Now.AddSeconds(-90)), (3, Now.AddSeconds(-90))], _orders.Queries);
    }

    [Fact]
    public async Task RunAsync_NothingOpen_FindsZeroAndPublishesNothing()
    {
        var result = await Reconciler().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(0, 0, 0, 0, 0), result);
        Assert.Equal(0, _publisher.Attempts);
    }

    [Fact]
    public async Task RunAsync_OrderThatStillOwesItsOrderPlaced_PublishesItAsDispatchedFromTheOutbox()
    {
        var order = Open("o-1", owesPlaced: true);
        _orders.Shards[2] = [order];

        var result = await Reconciler().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(1, 1, 0, 0, 0), result);
        Assert.Equal([order.PendingEvent], _publisher.Published);
        Assert.Equal(0, _outbox.Reads);
    }

    [Fact]
    public async Task RunAsync_CancellationEntryStillInTheOutbox_PublishesTheStoredEnvelopeAndDeletesIt()
    {
        var order = Open("o-1", "CANCELLING");
        var stored = new OutboxEntry(order.PendingEvent with { Json = "{\"stored\":true}" }, "o-1", Now.AddHours(-1));
        _outbox.Add(stored);
        _orders.Shards[2] = [order];

        var result = await Reconciler().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(1, 1, 0, 0, 0), result);
        Assert.Equal([stored.Event], _publisher.Published);
        Assert.Empty(_outbox.PendingIds);
    }

    [Fact]
    public async Task RunAsync_EntryAlreadyGone_PublishesThePendingFactAgainWithTheSameId()
    {
        var order = Open("o-1", "CANCELLING");
        _orders.Shards[0] = [order];

        var result = await Reconciler().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(1, 0, 1, 0, 0), result);
        Assert.Equal([order.PendingEvent], _publisher.Published);
    }

    [Fact]
    public async Task RunAsync_OrdersInSeveralShards_CountsThemAll()
    {
        _orders.Shards[0] = [Open("a")];
        _orders.Shards[1] = [Open("b"), Open("c", "CANCELLING")];
        _orders.Shards[3] = [Open("d")];
        _outbox.Add(new OutboxEntry(Open("c", "CANCELLING").PendingEvent, "c", Now));

        var result = await Reconciler().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(4, 1, 3, 0, 0), result);
        Assert.Equal(["evt-a", "evt-b", "evt-c", "evt-d"], _publisher.Published.Select(e => e.Id));
    }

    [Fact]
    public async Task RunAsync_OnePublishFails_GoesOnWithTheOthersAndReportsIt()
    {
        _orders.Shards[0] = [Open("a"), Open("b"), Open("c")];
        var failure = new TimeoutException("topic down");
        var publisher = new DelegatingPublisher((e, ct) => e.Id == "evt-b" ? Task.FromException(failure) : _publisher.PublishAsync(e, ct));
        var reported = new List<(string?, int, Exception)>();

        var result = await Reconciler(publisher).RunAsync((id, shard, error) => reported.Add((id, shard, error)), TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(3, 0, 2, 1, 0), result);
        Assert.Equal(["evt-a", "evt-c"], _publisher.Published.Select(e => e.Id));
        Assert.Equal([("b", 0, (Exception)failure)], reported);
    }

    [Fact]
    public async Task RunAsync_OneShardUnreadable_ReadsTheOthersAndReportsIt()
    {
        var failure = new InvalidOperationException("throttled");
        _orders.FailingShard = (1, failure);
        _orders.Shards[2] = [Open("a")];
        var reported = new List<(string?, int, Exception)>();

        var result = await Reconciler().RunAsync((id, shard, error) => reported.Add((id, shard, error)), TestContext.Current.CancellationToken);

        Assert.Equal(new ReconcileResult(1, 0, 1, 0, 1), result);
        Assert.Equal([((string?)null, 1, (Exception)failure)], reported);
        Assert.Equal(4, _orders.Queries.Count);
    }

    [Fact]
    public async Task RunAsync_Cancelled_Throws()
    {
        _orders.Shards[0] = [Open("a")];
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var publisher = new DelegatingPublisher((_, ct) => Task.FromCanceled(ct));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Reconciler(publisher).RunAsync(null, cancelled.Token));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_ThresholdNotPositive_Throws(int seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Reconciler(threshold: TimeSpan.FromSeconds(seconds)));
    }
}

/// <summary>The open-orders index in memory: orders per shard, every query recorded.</summary>
internal sealed class FakeOpenOrders : IOpenOrderQuery
{
    public Dictionary<int, List<OpenOrder>> Shards { get; } = [];

    public List<(int Shard, DateTimeOffset OlderThan)> Queries { get; } = [];

    public (int Shard, Exception Error)? FailingShard { get; set; }

    public Task<IReadOnlyList<OpenOrder>> QueryOpenAsync(int shard, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Queries.Add((shard, olderThan));
        if (FailingShard is { } failing && failing.Shard == shard)
        {
            return Task.FromException<IReadOnlyList<OpenOrder>>(failing.Error);
        }

        return Task.FromResult<IReadOnlyList<OpenOrder>>(Shards.TryGetValue(shard, out var orders) ? orders : []);
    }
}
