using System.Text.Json;
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
    public async Task PostOrders_PublishFails_Answers503AndSameKeyLaterPublishesTheSameOrder()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("KEYED-3", 5, ct);
        var body = Api.OrderJson("retry", "+14155550199", ("KEYED-3", 2));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "key-retry-1" };

        fixture.IntakePublisher!.Failing = true;
        var failed = await fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct);
        fixture.IntakePublisher.Failing = false;

        Assert.Equal(503, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Headers["Content-Type"]);
        var unpublished = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix), i => i["eventJson"].S.Contains("\"id\":\"retry\"", StringComparison.Ordinal));
        Assert.False(unpublished.ContainsKey("publishedAt"));
        var orderId = unpublished["orderId"].S;
        Assert.Equal(orderId, JsonDocument.Parse(failed.Body!).RootElement.GetProperty("orderId").GetString());
        Assert.Equal("PENDING", (await Api.GetOrderAsync(fanout, orderId, ct))!.Services["email"]);

        var retried = await fanout.InvokeApiAsync(Api.Post(body, headers: headers), ct);

        Assert.Equal(202, retried.StatusCode);
        Assert.Equal(orderId, JsonDocument.Parse(retried.Body!).RootElement.GetProperty("orderId").GetString());
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(60), "the retried order to complete");
        Assert.Equal("SENT", view!.Services["sms"]);
        Assert.Equal(3, await fanout.Stock.GetAsync("KEYED-3", ct));
    }
}
