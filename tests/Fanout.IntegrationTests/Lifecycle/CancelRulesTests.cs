using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>Who may cancel what: the owner or an operator; another customer's order, or none, is 404; a REJECTED or
/// CANCELLED order is 409.</summary>
[Trait("Category", "Integration")]
[Collection(LifecycleGroup.Name)]
public sealed class CancelRulesTests(LifecycleFixture fixture)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    [Fact]
    public async Task Cancel_AnotherCustomersOrder_Is404AndLeavesItAlone()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("RULES-OTHER");
        await fanout.Stock.SetAsync(sku, 5, ct);
        var owner = Api.Customer(Unique("owner"));
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(null, null, (sku, 1)), ct, owner);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "COMPLETED", ct);

        var answer = await Lifecycle.CancelAsync(fanout, orderId, ct, Api.Customer(Unique("stranger")));

        Assert.Equal(404, answer.StatusCode);
        Assert.Equal("COMPLETED", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);
        Assert.Equal(4, await fanout.Stock.GetAsync(sku, ct));
    }

    [Fact]
    public async Task Cancel_UnknownOrder_Is404()
    {
        var answer = await Lifecycle.CancelAsync(fixture.Fanout, Guid.NewGuid().ToString(), TestContext.Current.CancellationToken);

        Assert.Equal(404, answer.StatusCode);
    }

    [Fact]
    public async Task Cancel_ByTheOwner_Is202ThenCancelledThenAgain409()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("RULES-OWNER");
        await fanout.Stock.SetAsync(sku, 5, ct);
        var owner = Api.Customer(Unique("owner"));
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(null, null, (sku, 2)), ct, owner);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "COMPLETED", ct, caller: owner);

        var first = await Lifecycle.CancelAsync(fanout, orderId, ct, owner);
        Assert.True(first.StatusCode == 202, $"cancel answered {first.StatusCode}: {first.Body}");
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct, caller: owner);
        var again = await Lifecycle.CancelAsync(fanout, orderId, ct, owner);

        Assert.Equal(409, again.StatusCode);
        Assert.Equal("409", Lifecycle.BodyStatus(again));
        Assert.Equal(5, await fanout.Stock.GetAsync(sku, ct));
    }

    [Fact]
    public async Task Cancel_RejectedOrder_Is409()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("RULES-REJECTED");
        await fanout.Stock.SetAsync(sku, 1, ct);
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(Unique("c"), null, (sku, 2)), ct);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "REJECTED", ct);

        var answer = await Lifecycle.CancelAsync(fanout, orderId, ct);

        Assert.Equal(409, answer.StatusCode);
        Assert.Equal("REJECTED", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);
        Assert.Equal(1, await fanout.Stock.GetAsync(sku, ct));
    }
}
