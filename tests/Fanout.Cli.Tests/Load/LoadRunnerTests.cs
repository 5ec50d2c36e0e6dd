using System.Net;
using System.Text.Json;
using Fanout.Cli.Api;
using Fanout.Cli.Load;
using Fanout.Cli.SignIn;
using Fanout.Cli.Tests.TestDoubles;
using Fanout.Contracts.Orders;

namespace Fanout.Cli.Tests.Load;

[Trait("Category", "Unit")]
public sealed class LoadRunnerTests
{
    private static readonly LoadOptions _fast = new()
    {
        Orders = 12,
        RatePerSecond = 1000,
        Concurrency = 4,
        FirstPollDelay = TimeSpan.FromMilliseconds(1),
        MaxPollInterval = TimeSpan.FromMilliseconds(5),
        FanoutTimeout = TimeSpan.FromSeconds(10),
    };

    private static async Task<LoadRunResult> RunAsync(FakeOrderApi api, LoadOptions options)
    {
        using var http = new HttpClient(api);
        var runner = new LoadRunner(new OrderApiClient(http, new Uri("http://api.test/")), TimeProvider.System);
        var generator = new OrderGenerator(["MUG-WHITE", "POSTER-A2", "TSHIRT-RED-M"], new Random(7), "t1");
        return await runner.RunAsync(options, generator.Next, null, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunAsync_AllAccepted_FollowsEveryOrderToItsFinalStatus()
    {
        var api = new FakeOrderApi { PendingPolls = 2 };

        var run = await RunAsync(api, _fast);

        Assert.Equal(12, api.Posts);
        Assert.Equal(12, api.IdempotencyKeys.Distinct().Count(k => Guid.TryParseExact(k, "D", out _)));
        Assert.All(run.Outcomes, o =>
        {
            Assert.True(o.Accepted);
            Assert.Equal("COMPLETED", o.FinalStatus);
            Assert.NotNull(o.FanoutLatency);
        });
        Assert.True(LoadSummary.From(run, _fast).AllSucceeded);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 40)]
    public async Task RunAsync_AnyPollTiming_ReportsTheServersFanoutTime(int pendingPolls, int pollMs)
    {
        var api = new FakeOrderApi { PendingPolls = pendingPolls };
        var options = _fast with { Orders = 4, FirstPollDelay = TimeSpan.FromMilliseconds(pollMs), MaxPollInterval = TimeSpan.FromMilliseconds(pollMs) };

        var summary = LoadSummary.From(await RunAsync(api, options), options);

        // createdAt → completedAt, and → each appliedAt, exactly as the server stamped them: not the polls' timing.
        Assert.Equal(new LatencySummary(4, 12, 12, 12, 12), summary.FanoutLatency);
        Assert.Equal(["email", "inventory", "sms"], summary.ServiceLatency.Keys);
        Assert.Equal(7, summary.ServiceLatency["inventory"].P99Ms);
        Assert.Equal(9, summary.ServiceLatency["sms"].P50Ms);
        Assert.Equal(12, summary.ServiceLatency["email"].MaxMs);
    }

    [Fact]
    public async Task RunAsync_ServerWithoutTimestamps_HasNoFanoutLatencyButCompletes()
    {
        var api = new FakeOrderApi { ServerTimestamps = false };

        var summary = LoadSummary.From(await RunAsync(api, _fast with { Orders = 2 }), _fast with { Orders = 2 });

        Assert.Equal(2, summary.Completed);
        Assert.Null(summary.FanoutLatency);
        Assert.Empty(summary.ServiceLatency);
    }

    [Fact]
    public async Task RunAsync_RefusedAndFailedPosts_AreNotPolledAndCarryTheStatus()
    {
        var api = new FakeOrderApi { PostStatus = i => i % 3 == 1 ? HttpStatusCode.BadRequest : i % 3 == 2 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Accepted };

        var summary = LoadSummary.From(await RunAsync(api, _fast), _fast);

        Assert.Equal(4, summary.Accepted);
        Assert.Equal(4, summary.Rejected);
        Assert.Equal(4, summary.Errors);
        Assert.Equal(4, summary.Completed);
        Assert.Contains(summary.TopErrors, e => e.Error == "HTTP 400 Nope" && e.Count == 4);
    }

    [Fact]
    public async Task RunAsync_OrderNeverLeavesPending_CountsAsTimedOut()
    {
        var api = new FakeOrderApi { FinalStatus = null };
        var options = _fast with { Orders = 3, FanoutTimeout = TimeSpan.FromMilliseconds(100) };

        var summary = LoadSummary.From(await RunAsync(api, options), options);

        Assert.Equal(3, summary.TimedOut);
        Assert.Equal(0, summary.Completed);
        Assert.Null(summary.FanoutLatency);
        Assert.False(summary.AllSucceeded);
    }

    [Fact]
    public async Task RunAsync_TokenSource_EveryPostAndPollCarriesTheBearerToken()
    {
        var api = new FakeOrderApi { AcceptedTokens = new HashSet<string> { "eyJ.load" } };
        using var http = new HttpClient(api);
        var runner = new LoadRunner(new OrderApiClient(http, new Uri("http://api.test/"), new GivenAccessToken("eyJ.load", "t")), TimeProvider.System);
        var generator = new OrderGenerator(["MUG-WHITE"], new Random(7), "t1");

        var run = await runner.RunAsync(_fast with { Orders = 3 }, generator.Next, null, TestContext.Current.CancellationToken);

        Assert.All(run.Outcomes, o => Assert.Equal("COMPLETED", o.FinalStatus));
        Assert.All(api.Authorizations, a => Assert.Equal("Bearer eyJ.load", a));
        Assert.True(api.Authorizations.Count >= 6);
    }

    [Fact]
    public async Task RunAsync_RefusedToken_EachOrderSaysTheTokenWasRefused()
    {
        var api = new FakeOrderApi { AcceptedTokens = new HashSet<string> { "eyJ.other" } };

        var summary = LoadSummary.From(await RunAsync(api, _fast with { Orders = 3 }), _fast with { Orders = 3 });

        Assert.Equal(0, summary.Accepted);
        Assert.Equal(3, summary.Rejected);
        Assert.Contains(summary.TopErrors, e => e.Error == "HTTP 401 Unauthorized: the access token was refused (expired, or not issued for this API)" && e.Count == 3);
    }

    [Fact]
    public async Task RunAsync_GeneratedOrders_AreValidForTheApi()
    {
        var api = new FakeOrderApi();

        await RunAsync(api, _fast with { Orders = 40 });

        var withPhone = 0;
        foreach (var body in api.PostedBodies)
        {
            using var json = JsonDocument.Parse(body);
            var customer = json.RootElement.GetProperty("customer");
            // The customer is the signed-in user (the token's sub): a generated order names none.
            Assert.False(customer.TryGetProperty("id", out _));
            Assert.True(OrderRules.IsValidEmail(customer.GetProperty("email").GetString()));
            if (customer.TryGetProperty("phone", out var phone))
            {
                Assert.True(OrderRules.IsValidPhone(phone.GetString()));
                withPhone++;
            }

            var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 3);
            Assert.Equal(items.Count, items.Select(i => i.GetProperty("sku").GetString()).Distinct().Count());
            Assert.All(items, i => Assert.InRange(i.GetProperty("quantity").GetInt32(), 1, 3));
        }

        // About three in four carry a phone; with 40 orders anything from 20 to 38 is within reason.
        Assert.InRange(withPhone, 20, 38);
    }
}
