using System.Globalization;
using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.OrderIntake.Core;
using Fanout.Orders;

namespace Fanout.IntegrationTests;

/// <summary>A test switch on OrderIntake's real SNS publisher: while <see cref="Failing"/> is set, publishing fails.</summary>
public sealed class SwitchablePublisher(IEventPublisher inner) : IEventPublisher
{
    public bool Failing { get; set; }

    public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken) =>
        Failing ? throw new InjectedFaultException("SNS is unavailable (test switch).") : inner.PublishAsync(outgoing, cancellationToken);
}

public sealed class SwitchableIntakeFixture : FanoutFixture
{
    public SwitchablePublisher? IntakePublisher { get; private set; }

    protected override LocalFanoutOptions Options => base.Options with
    {
        DecoratePublisher = (function, inner) => function == FanoutTopology.OrderIntake.Name ? IntakePublisher = new SwitchablePublisher(inner) : inner,
    };
}

/// <summary>The Idempotency-Key contract, on the real store and topic.</summary>
[Trait("Category", "Integration")]
public sealed class IdempotencyKeyTests(SwitchableIntakeFixture fixture) : IClassFixture<SwitchableIntakeFixture>
{
    [Fact]
    public async Task PostOrders_SameKeySameBody_ReturnsSameOrderAndPublishesOnce()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("KEYED-1", 10, ct);
        var body = Api.OrderJson("keyed", null, ("KEYED-1", 1));

        var first = await Api.PlaceAsync(fanout, body, ct, idempotencyKey: "key-same-1");
        var second = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-same-1" }), ct);

        Assert.Equal(202, second.StatusCode);
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
        Assert.Equal(first, JsonDocument.Parse(second.Body!).RootElement.GetProperty("orderId").GetString());
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, first, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(60), "the keyed order to complete");
        Assert.Equal(9, await fanout.Stock.GetAsync("KEYED-1", ct));
        Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.EmailTable, "EMAIL#"), i => i["orderId"].S == first);
    }

    [Theory]
    [InlineData("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("0b1c2d3e-40d5-43e8-bc93-6894a57f9324", "\"0b1c2d3e-40d5-43e8-bc93-6894a57f9324\"")]
    public async Task PostOrders_KeyQuotedOrBare_IsOneKeyAndTheRetryReplaysTheOrder(string firstForm, string retryForm)
    {
        // Issue 7d: the IETF header is an RFC 8941 sf-string, quotes included; the bare form is the same key.
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("quoted-" + firstForm.Length, null, ("KEYED-Q", 1));

        var before = TimeProvider.System.GetUtcNow();
        var first = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = firstForm }), ct);
        var retry = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = retryForm }), ct);

        Assert.True(first.StatusCode == 202, $"{first.StatusCode}: {first.Body}");
        Assert.Equal(202, retry.StatusCode);
        Assert.Equal("true", retry.Headers["Idempotent-Replayed"]);
        Assert.Equal(OrderId(first), OrderId(retry));
        // The order id is the one the bare key names (on the request's UTC day).
        var bare = firstForm.Trim('"');
        Assert.Contains(OrderId(first), new[] { Api.OrderIdFor(bare, before), Api.OrderIdFor(bare, TimeProvider.System.GetUtcNow()) });
    }

    [Fact]
    public async Task PostOrders_KeyNamedAnOrderJustBeforeUtcMidnight_TheRetryAfterMidnightReplaysIt()
    {
        // The real clock cannot be moved: the first request is made on a fake clock one tick before today began (so
        // less than 24 h ago, on the previous UTC day), through the real store on the real table.
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("midnight", null, ("KEYED-6", 1));
        var today = TodayStart();
        var seeded = await PlaceOnFakeClockAsync(body, "key-midnight-1", today.AddTicks(-1), ct);

        var retry = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-midnight-1" }), ct);

        Assert.Equal(PlaceOrderStatus.Accepted, seeded.Status);
        Assert.Equal(Api.OrderIdFor("key-midnight-1", today.AddTicks(-1)), seeded.OrderId);
        Assert.True(retry.StatusCode == 202, $"{retry.StatusCode}: {retry.Body}");
        Assert.Equal("true", retry.Headers["Idempotent-Replayed"]);
        Assert.Equal(seeded.OrderId, OrderId(retry));
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix + Api.OrderIdFor("key-midnight-1", today)));
    }

    [Fact]
    public async Task PostOrders_KeyWhoseOrderIsOlderThan24Hours_NamesANewOrderThatTheNextRetryReplays()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("day-old", null, ("KEYED-4", 1));
        var today = TodayStart();
        var old = await PlaceOnFakeClockAsync(body, "key-old-1", today.AddDays(-1), ct);

        var again = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-old-1" }), ct);
        var replay = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-old-1" }), ct);

        Assert.True(again.StatusCode == 202, $"{again.StatusCode}: {again.Body}");
        Assert.False(again.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.NotEqual(old.OrderId, OrderId(again));
        Assert.Equal(Api.OrderIdFor("key-old-1", today), OrderId(again));
        Assert.Equal("true", replay.Headers["Idempotent-Replayed"]);
        Assert.Equal(OrderId(again), OrderId(replay));
    }

    [Fact]
    public async Task PostOrders_SameKeyFromManyRequestsAtOnce_OneOrderOneAcceptedTheRestReplays()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("racing", null, ("KEYED-5", 1));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "key-race-1" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct)));

        Assert.All(responses, r => Assert.True(r.StatusCode == 202, $"{r.StatusCode}: {r.Body}"));
        Assert.Single(responses.Select(OrderId).Distinct());
        Assert.Single(responses, r => !r.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix), i => i["data"].S.Contains("\"id\":\"racing\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostOrders_SameKeyDifferentBody_Answers409AndStoresNothingNew()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await Api.PlaceAsync(fanout, Api.OrderJson("conflict", null, ("KEYED-2", 1)), ct, idempotencyKey: "key-conflict-1");
        var before = (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count;

        var response = await fanout.InvokeApiAsync(
            Api.Post(Api.OrderJson("conflict", null, ("KEYED-2", 2)), headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-conflict-1" }),
            ct);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        Assert.Equal(before, (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count);
    }

    [Fact]
    public async Task PostOrders_PublishFails_Answers202AndTheOrderStillOwesItsFactAndAReplayPublishesNothing()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("KEYED-3", 5, ct);
        var body = Api.OrderJson("retry", "+14155550199", ("KEYED-3", 2));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "key-retry-1" };

        fixture.IntakePublisher!.Failing = true;
        var failed = await fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct);
        fixture.IntakePublisher.Failing = false;

        Assert.Equal(202, failed.StatusCode);
        var order = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix), i => i["data"].S.Contains("\"id\":\"retry\"", StringComparison.Ordinal));
        var orderId = order["orderId"].S;
        Assert.Equal(orderId, OrderId(failed));
        Assert.Equal("OPEN#" + Fanout.Orders.Core.OpenOrders.ShardOf(orderId).ToString(CultureInfo.InvariantCulture), order[ReconcilerSpec.OpenShardAttribute].S);
        Assert.Equal(order["createdAt"].S[..19], order[ReconcilerSpec.OpenSinceAttribute].S[..19]);
        // The order item is the OrderPlaced's outbox entry (no OUTBOX# item): it owes the fact until an outcome is applied.
        var eventId = Fanout.Contracts.Events.EventIds.For(orderId, "orders", "PLACED");
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix + eventId));
        var stored = await new DynamoOrderReader(fanout.Dynamo, fanout.Topology.TableFor(FanoutTopology.OrdersTable)).GetAsync(orderId, ct);
        Assert.Equal(eventId, Fanout.Orders.Core.OrderPlacedEvents.Of(stored!).Id);

        var retried = await fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct);

        Assert.Equal(202, retried.StatusCode);
        Assert.Equal("true", retried.Headers["Idempotent-Replayed"]);
        Assert.Equal(orderId, OrderId(retried));

        // The relay publishes what the order still owes: it completes without a client retry publishing anything.
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(30), $"order {orderId} to complete");
    }

    [Fact]
    public async Task PostOrders_WithoutAKey_Answers400NamingTheHeaderAndStoresNothing()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var before = (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count;

        var response = await fanout.InvokeApiAsync(Api.Post(Api.OrderJson("no-key", null, ("KEYED-1", 1)), withoutKey: true), ct);

        Assert.Equal(400, response.StatusCode);
        Assert.Contains("Idempotency-Key is required", response.Body, StringComparison.Ordinal);
        Assert.Equal(before, (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count);
    }

    private static DateTimeOffset TodayStart() =>
        DateTimeOffset.UnixEpoch + (Fanout.Orders.Core.OrderIds.Day * Fanout.Orders.Core.OrderIds.DayOf(TimeProvider.System.GetUtcNow()));

    /// <summary>Places <paramref name="body"/> as <see cref="Api.Operator"/> with the real order service and store on
    /// the real orders table, on a clock stopped at <paramref name="at"/> (nothing is published inline; the order
    /// item owes its OrderPlaced, which the outbox relay publishes).</summary>
    private async Task<PlaceOrderResult> PlaceOnFakeClockAsync(string body, string idempotencyKey, DateTimeOffset at, CancellationToken ct)
    {
        var fanout = fixture.Fanout;
        var clock = new StoppedClock(at);
        var table = fanout.Topology.TableFor(FanoutTopology.OrdersTable);
        var store = new DynamoOrderStore(fanout.Dynamo, table, clock, new Fanout.Orders.Outbox.DynamoOutbox(fanout.Dynamo, table));
        var service = new OrderService(store, new NoPublisher(), clock);
        var command = OrderRequestValidator.CheckBody(System.Text.Encoding.UTF8.GetBytes(body)).Command!;
        return await service.PlaceAsync(command, new Caller(Api.Operator.Subject, IsOperator: true), idempotencyKey, "corr-" + idempotencyKey, ct);
    }

    /// <summary>An inline publish that fails: the order item keeps owing its OrderPlaced, for the relay.</summary>
    private sealed class NoPublisher : IEventPublisher
    {
        public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken) => throw new InjectedFaultException("No inline publish for a seeded order.");
    }

    private sealed class StoppedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    private static string OrderId(Fanout.AwsShims.Events.HttpApiResponse response) =>
        JsonDocument.Parse(response.Body!).RootElement.GetProperty("orderId").GetString()!;
}
