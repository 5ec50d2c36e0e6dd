using Fanout.Contracts.Topology;

namespace Fanout.UnitTests.Contracts.Topology;

/// <summary>The order API's routes as API Gateway's HTTP API names them.</summary>
[Trait("Category", "Unit")]
public sealed class OrderApiTopologyTests
{
    [Fact]
    public void Routes_ArePlaceGetAndCancelOrderInThatOrder()
    {
        Assert.Equal(["POST /orders", "GET /orders/{id}", "POST /orders/{id}/cancel"], OrderApiTopology.Routes.Select(r => r.RouteKey));
        Assert.Same(OrderApiTopology.PlaceOrder, OrderApiTopology.Routes[0]);
        Assert.Same(OrderApiTopology.GetOrder, OrderApiTopology.Routes[1]);
        Assert.Same(OrderApiTopology.CancelOrder, OrderApiTopology.Routes[2]);
        Assert.All(OrderApiTopology.Routes, r => Assert.Empty(r.AuthorizationScopes));
    }

    [Fact]
    public void RouteKey_IsMethodSpacePath()
    {
        Assert.Equal("PATCH /orders/{id}/items", new ApiRoute("PATCH", "/orders/{id}/items", ["orders/write"]).RouteKey);
    }
}
