using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.UnitTests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OrderIntake.Store;

/// <summary>How long an idempotency key names its order, now that the order id is derived from the key and the UTC
/// day: every case runs through <see cref="OrderService"/> on BOTH stores (the in-memory double and the DynamoDB store
/// over a table that enforces <c>attribute_not_exists</c>), so the two agree.</summary>
[Trait("Category", "Unit")]
public sealed class IdempotencyKeyRetentionTests
{
    public static TheoryData<string> Stores => new() { "memory", "dynamo" };

    private static readonly Caller Customer = new("cust-1", IsOperator: false);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PlaceAsync_RetriedAcrossUtcMidnightWithin24Hours_ReplaysTheSameOrder(string kind)
    {
        using var harness = new Harness(kind, new DateTimeOffset(2026, 3, 14, 23, 59, 0, TimeSpan.Zero));
        var first = await harness.PlaceAsync(2);
        harness.Time.Advance(TimeSpan.FromMinutes(2));

        var retry = await harness.PlaceAsync(2);

        Assert.Equal(PlaceOrderStatus.Accepted, first.Status);
        Assert.Equal((PlaceOrderStatus.Replayed, first.OrderId), (retry.Status, retry.OrderId));
        Assert.Equal(1, harness.OrderCount);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PlaceAsync_KeyReusedJustPast24Hours_IsANewOrderButAt24HoursReplays(string kind)
    {
        var start = new DateTimeOffset(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);
        using var harness = new Harness(kind, start);
        var first = await harness.PlaceAsync(2);
        harness.Time.SetUtcNow(start.AddDays(1));
        var justBefore = await harness.PlaceAsync(2);
        harness.Time.SetUtcNow(start.AddDays(1).AddTicks(1));

        var after = await harness.PlaceAsync(2);

        Assert.Equal((PlaceOrderStatus.Replayed, first.OrderId), (justBefore.Status, justBefore.OrderId));
        Assert.Equal(PlaceOrderStatus.Accepted, after.Status);
        Assert.NotEqual(first.OrderId, after.OrderId);
        Assert.Equal(2, harness.OrderCount);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PlaceAsync_KeyReusedAfter24HoursThenAgainThatDayAndPastMidnight_ReplaysTheSecondOrder(string kind)
    {
        using var harness = new Harness(kind, new DateTimeOffset(2026, 3, 14, 23, 0, 0, TimeSpan.Zero));
        var first = await harness.PlaceAsync(2);
        harness.Time.Advance(TimeSpan.FromHours(24.5)); // 03-15 23:30: the 03-14 order is 24.5 h old
        var second = await harness.PlaceAsync(2);
        harness.Time.Advance(TimeSpan.FromMinutes(15)); // 03-15 23:45: same day as the second order
        var sameDay = await harness.PlaceAsync(2);
        harness.Time.Advance(TimeSpan.FromMinutes(30)); // 03-16 00:15: the second order is now the previous day's

        var nextDay = await harness.PlaceAsync(2);

        Assert.Equal(PlaceOrderStatus.Accepted, second.Status);
        Assert.NotEqual(first.OrderId, second.OrderId);
        Assert.Equal((PlaceOrderStatus.Replayed, second.OrderId), (sameDay.Status, sameDay.OrderId));
        Assert.Equal((PlaceOrderStatus.Replayed, second.OrderId), (nextDay.Status, nextDay.OrderId));
        Assert.Equal(2, harness.OrderCount);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PlaceAsync_OtherBodyAcrossMidnightWithin24Hours_IsAKeyConflictButAfter24HoursANewOrder(string kind)
    {
        using var harness = new Harness(kind, new DateTimeOffset(2026, 3, 14, 22, 0, 0, TimeSpan.Zero));
        await harness.PlaceAsync(2);
        harness.Time.Advance(TimeSpan.FromHours(3));
        var conflict = await harness.PlaceAsync(3);
        harness.Time.Advance(TimeSpan.FromHours(21) + TimeSpan.FromSeconds(1));

        var later = await harness.PlaceAsync(3);

        Assert.Equal((PlaceOrderStatus.KeyConflict, null), (conflict.Status, conflict.OrderId));
        Assert.Equal(PlaceOrderStatus.Accepted, later.Status);
        Assert.Equal(2, harness.OrderCount);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PlaceAsync_SameKeyFromTwoCallersOnOneDay_TwoOrdersWithDifferentIds(string kind)
    {
        using var harness = new Harness(kind, new DateTimeOffset(2026, 3, 14, 12, 0, 0, TimeSpan.Zero));

        var mine = await harness.PlaceAsync(2);
        var theirs = await harness.PlaceAsync(2, new Caller("cust-2", IsOperator: false));

        Assert.Equal((PlaceOrderStatus.Accepted, PlaceOrderStatus.Accepted), (mine.Status, theirs.Status));
        Assert.NotEqual(mine.OrderId, theirs.OrderId);
        Assert.Equal(2, harness.OrderCount);
    }

    [Fact]
    public void ForKey_SameKeySameDay_IsOneUuidV8AndAnotherDayOrKeyAnother()
    {
        var key = OrderService.ScopeIdempotencyKey("cust-1", "key-1");
        var day = OrderIds.DayOf(new DateTimeOffset(2026, 3, 14, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(OrderIds.ForKey(key, day), OrderIds.ForKey(key, day));
        Assert.Equal(8, Guid.Parse(OrderIds.ForKey(key, day)).Version);
        Assert.NotEqual(OrderIds.ForKey(key, day), OrderIds.ForKey(key, day + 1));
        Assert.NotEqual(OrderIds.ForKey(key, day), OrderIds.ForKey(OrderService.ScopeIdempotencyKey("cust-2", "key-1"), day));
        Assert.Throws<ArgumentException>(() => OrderIds.ForKey("", day));
    }

    [Theory]
    [InlineData("1970-01-01T00:00:00Z", 0)]
    [InlineData("1969-12-31T23:59:59.9999999Z", -1)]
    [InlineData("2026-03-14T23:59:59.9999999Z", 20526)]
    [InlineData("2026-03-15T00:00:00Z", 20527)]
    [InlineData("2026-03-15T01:00:00+02:00", 20526)]
    public void DayOf_Instant_IsWholeUtcDaysSinceTheEpochRoundedDown(string at, long expected)
    {
        Assert.Equal(expected, OrderIds.DayOf(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>An order service over one of the two stores, on a fake clock.</summary>
    private sealed class Harness : IDisposable
    {
        private const string Table = "orders-table";
        private readonly InMemoryOrderStore? _memory;
        private readonly ScriptedDynamoDb? _dynamo;
        private readonly OrderService _service;

        public Harness(string kind, DateTimeOffset start)
        {
            Time = new FakeTimeProvider(start);
            IOrderStore store;
            if (kind == "memory")
            {
                store = _memory = new InMemoryOrderStore(Time);
            }
            else
            {
                var dynamo = _dynamo = new ScriptedDynamoDb();
                dynamo.OnPutItem = request =>
                {
                    // attribute_not_exists(pk), with the old item returned as ReturnValuesOnConditionCheckFailure=ALL_OLD does.
                    var pk = ScriptedDynamoDb.PartitionKeyOf(request.Item);
                    Assert.Equal("attribute_not_exists(#pk)", request.ConditionExpression);
                    if (dynamo.Items.TryGetValue(pk, out var old))
                    {
                        throw new ConditionalCheckFailedException("The conditional request failed") { Item = old };
                    }

                    dynamo.Items[pk] = request.Item;
                };
                store = new DynamoOrderStore(dynamo, Table, Time, new DynamoOutbox(dynamo, Table));
            }

            _service = new OrderService(store, new RecordingEventPublisher(), Time);
        }

        public FakeTimeProvider Time { get; }

        public int OrderCount => _memory?.Orders.Count ?? _dynamo!.Items.Keys.Count(k => k.StartsWith(DynamoOrderStore.OrderPrefix, StringComparison.Ordinal));

        public Task<PlaceOrderResult> PlaceAsync(int quantity, Caller? caller = null) =>
            _service.PlaceAsync(
                new PlaceOrderCommand
                {
                    Customer = new CustomerInfo { Id = "", Email = "a@example.com" },
                    Items = [new OrderLine { Sku = "MUG-01", Quantity = quantity }],
                },
                caller ?? Customer,
                "key-1",
                "corr-" + Guid.NewGuid().ToString("N"),
                Ct);

        public void Dispose() => _dynamo?.Dispose();
    }
}
