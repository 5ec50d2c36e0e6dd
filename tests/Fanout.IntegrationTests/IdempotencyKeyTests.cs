using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
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

        var first = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = firstForm }), ct);
        var retry = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = retryForm }), ct);

        Assert.True(first.StatusCode == 202, $"{first.StatusCode}: {first.Body}");
        Assert.Equal(202, retry.StatusCode);
        Assert.Equal("true", retry.Headers["Idempotent-Replayed"]);
        Assert.Equal(OrderId(first), OrderId(retry));
        var bare = firstForm.Trim('"');
        var key = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, Api.StoredKey(bare)));
        Assert.Equal(OrderId(first), key["orderId"].S);
    }

    [Fact]
    public async Task PostOrders_KeyPast24HoursButNotYetDeletedByTtl_CountsAsUnused()
    {
        // DynamoDB deletes expired items lazily (DynamoDB Local never does): age the key item by hand.
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("expired", null, ("KEYED-4", 1));
        var first = await Api.PlaceAsync(fanout, body, ct, idempotencyKey: "key-expired-1");
        var pk = Api.StoredKey("key-expired-1");
        var expiredAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, pk))[FanoutTopology.TtlAttribute].N, CultureInfo.InvariantCulture)) - TimeSpan.FromHours(24) - TimeSpan.FromSeconds(5);
        await fanout.Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = fanout.Topology.TableFor(FanoutTopology.OrdersTable),
            Key = new Dictionary<string, AttributeValue> { [FanoutTopology.PartitionKey] = new() { S = pk } },
            UpdateExpression = "SET #ttl = :past",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#ttl"] = FanoutTopology.TtlAttribute },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":past"] = new() { N = expiredAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) } },
        }, ct);

        var again = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-expired-1" }), ct);

        Assert.True(again.StatusCode == 202, $"{again.StatusCode}: {again.Body}");
        Assert.False(again.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.NotEqual(first, OrderId(again));
        var key = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, pk));
        Assert.Equal(OrderId(again), key["orderId"].S);
        Assert.True(long.Parse(key[FanoutTopology.TtlAttribute].N, CultureInfo.InvariantCulture) > TimeProvider.System.GetUtcNow().AddHours(23).ToUnixTimeSeconds());

        var replay = await fanout.InvokeApiAsync(Api.Post(body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "key-expired-1" }), ct);
        Assert.Equal(OrderId(again), OrderId(replay));
    }

    [Fact]
    public async Task PostOrders_SameKeyFromManyRequestsAtOnce_OneOrderAndNever5xx()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var body = Api.OrderJson("racing", null, ("KEYED-5", 1));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "key-race-1" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct)));

        Assert.All(responses, r => Assert.True(r.StatusCode is 202 or 409, $"{r.StatusCode}: {r.Body}"));
        Assert.All(responses.Where(r => r.StatusCode == 409), r => Assert.Equal("1", r.Headers["Retry-After"]));
        Assert.Single(responses.Where(r => r.StatusCode == 202).Select(OrderId).Distinct());
        Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, Api.StoredKey("key-race-1")));
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

    private static string OrderId(Fanout.AwsShims.Events.HttpApiResponse response) =>
        JsonDocument.Parse(response.Body!).RootElement.GetProperty("orderId").GetString()!;
}
