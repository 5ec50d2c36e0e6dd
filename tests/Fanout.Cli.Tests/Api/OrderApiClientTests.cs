using System.Net;
using System.Text.Json;
using Fanout.Cli.Api;
using Fanout.Cli.Commands;
using Fanout.Cli.SignIn;
using Fanout.Cli.Tests.TestDoubles;

namespace Fanout.Cli.Tests.Api;

[Trait("Category", "Unit")]
public sealed class OrderApiClientTests
{
    private static readonly Uri _base = new("http://api.test/");

    private static Fanout.OrderIntake.Core.PlaceOrderCommand Order(string? customerId) =>
        OrderCommand.BuildOrder(["MUG-WHITE"], [], [], customerId, "ada@example.com", null);

    [Fact]
    public async Task PlaceAsync_WithTokenSource_SendsBearerTokenOnPostAndGet()
    {
        var api = new FakeOrderApi { AcceptedTokens = new HashSet<string> { "eyJ.good" } };
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base, new GivenAccessToken("eyJ.good", "t"));
        var ct = TestContext.Current.CancellationToken;

        var placed = await client.PlaceAsync(Order(null), null, ct);
        var got = await client.GetAsync(placed.OrderId!, ct);

        Assert.True(placed.Accepted);
        Assert.Equal(HttpStatusCode.OK, got.Status);
        Assert.Equal(["Bearer eyJ.good", "Bearer eyJ.good"], api.Authorizations);
    }

    [Fact]
    public async Task PlaceAsync_WithoutTokenSource_SendsNoAuthorizationAndGets401()
    {
        var api = new FakeOrderApi { AcceptedTokens = new HashSet<string> { "eyJ.good" } };
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);

        var placed = await client.PlaceAsync(Order(null), null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, placed.Status);
        Assert.Equal([""], api.Authorizations);
        Assert.Equal(0, api.Posts);
    }

    [Fact]
    public async Task PlaceAsync_NoKeyGiven_SendsANewUuidPerOrderAndReportsIt()
    {
        var api = new FakeOrderApi();
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);
        var ct = TestContext.Current.CancellationToken;

        var first = await client.PlaceAsync(Order(null), null, ct);
        var second = await client.PlaceAsync(Order(null), "  ", ct);

        var sent = api.IdempotencyKeys.ToArray();
        Assert.Equal(2, sent.Length);
        Assert.True(Guid.TryParseExact(sent[0], "D", out _), sent[0]);
        Assert.True(Guid.TryParseExact(sent[1], "D", out _), sent[1]);
        Assert.NotEqual(sent[0], sent[1]);
        Assert.Equal([first.IdempotencyKey, second.IdempotencyKey], sent);
    }

    [Fact]
    public async Task PlaceAsync_KeyGiven_SendsItUnchanged()
    {
        var api = new FakeOrderApi();
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);

        var placed = await client.PlaceAsync(Order(null), "my-key-1", TestContext.Current.CancellationToken);

        Assert.Equal(["my-key-1"], api.IdempotencyKeys);
        Assert.Equal("my-key-1", placed.IdempotencyKey);
    }

    [Fact]
    public async Task GetAsync_RenewedToken_IsAskedForEveryRequest()
    {
        var api = new FakeOrderApi();
        using var http = new HttpClient(api);
        var source = new CountingTokens();
        var client = new OrderApiClient(http, _base, source);
        var ct = TestContext.Current.CancellationToken;

        await client.GetAsync("a", ct);
        await client.GetAsync("b", ct);

        Assert.Equal(["Bearer t1", "Bearer t2"], api.Authorizations);
    }

    [Fact]
    public void EnsureAuthorized_401WithToken_NamesWhoseTokenWasRefused()
    {
        var client = new OrderApiClient(new HttpClient(), _base, new GivenAccessToken("eyJ.x", "the --token/FANOUT_TOKEN holder"));

        var error = Assert.Throws<SignInException>(() => client.EnsureAuthorized(HttpStatusCode.Unauthorized));

        Assert.Equal(
            "The API at http://api.test/ answered 401 Unauthorized: it did not accept the access token of the --token/FANOUT_TOKEN holder (expired, or not issued for this API). Sign in again (`scripts/fanout token`), or drop --token to let the command sign in by itself.",
            error.Message);
    }

    [Fact]
    public void EnsureAuthorized_401WithoutToken_SaysNoneWasSent()
    {
        var client = new OrderApiClient(new HttpClient(), _base);

        var error = Assert.Throws<SignInException>(() => client.EnsureAuthorized(HttpStatusCode.Unauthorized));

        Assert.Contains("answered 401 Unauthorized: no access token was sent.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.OK)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    public void EnsureAuthorized_Not401_Passes(HttpStatusCode status)
    {
        new OrderApiClient(new HttpClient(), _base).EnsureAuthorized(status);
    }

    [Fact]
    public void Body_NoCustomerId_LeavesTheIdOutButKeepsTheRest()
    {
        using var body = JsonDocument.Parse(OrderApiClient.Body(Order(null)));

        var customer = body.RootElement.GetProperty("customer");
        Assert.False(customer.TryGetProperty("id", out _));
        Assert.Equal("ada@example.com", customer.GetProperty("email").GetString());
        Assert.Equal("MUG-WHITE", body.RootElement.GetProperty("items")[0].GetProperty("sku").GetString());
    }

    [Fact]
    public void Body_CustomerId_IsSent()
    {
        using var body = JsonDocument.Parse(OrderApiClient.Body(Order("c-42")));

        Assert.Equal("c-42", body.RootElement.GetProperty("customer").GetProperty("id").GetString());
    }

    private sealed class CountingTokens : IAccessTokenSource
    {
        private int _n;

        public string Description => "counting";

        public ValueTask<string> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult("t" + Interlocked.Increment(ref _n));
    }
}
