using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OrderIntake;

/// <summary>Who may do what through the order API: the caller comes from the JWT authorizer's claims.</summary>
[Trait("Category", "Unit")]
public sealed class OrderIntakeAuthorizationTests : IDisposable
{
    private const string UnknownOrderId = "0195a1b2-c3d4-7e5f-8a9b-000000000000";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryOrderStore _store;
    private readonly RecordingEventPublisher _publisher = new();
    private readonly StringWriter _log = new();
    private readonly OrderIntakeFunction _function;

    public OrderIntakeAuthorizationTests()
    {
        _store = new InMemoryOrderStore(_time);
        _function = new OrderIntakeFunction(new OrderService(_store, _publisher, _time), new FanoutLogger("orders", _time, _log), ["+1", "+44"]);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _log.Dispose();

    public static TheoryData<string> NoCallerCases => ["no authorizer", "no jwt", "no claims", "no sub", "empty sub", "blank sub"];

    [Theory]
    [MemberData(nameof(NoCallerCases))]
    public async Task HandleAsync_NoSignedInCaller_Returns401BearerProblemAndChangesNothing(string @case)
    {
        var response = await Send(NoCaller(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()), @case).WithHeader("X-Correlation-Id", "corr-401"));

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("Bearer", response.Headers["WWW-Authenticate"]);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.Equal("corr-401", response.Headers[OrderIntakeFunction.CorrelationHeader]);
        var problem = ProblemDocument.From(response);
        Assert.Equal("Unauthorized", problem.Title);
        Assert.Equal("Sign in and send the access token as Authorization: Bearer <token>.", Detail(response));
        Assert.Empty(_store.Orders);
        Assert.Equal(0, _publisher.Attempts);
    }

    [Fact]
    public async Task HandleAsync_NoSignedInCallerOnGet_Returns401EvenForAnExistingOrder()
    {
        var orderId = Accepted(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId).WithoutAuthorizer());

        Assert.Equal(401, response.StatusCode);
        Assert.DoesNotContain("ada@example.com", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_NoSub_LogsAWarningWithoutAnyClaimValue()
    {
        var claims = new Dictionary<string, string> { ["email"] = "grace@example.com", ["username"] = "grace-h", ["cognito:groups"] = "[operators]" };

        await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithClaims(claims));

        var warning = Assert.Single(Lines(), l => l.GetProperty("level").GetString() == "Warning");
        Assert.Equal("No signed-in caller (is the route missing its JWT authorizer?); answered 401", warning.GetProperty("message").GetString());
        Assert.True(warning.GetProperty("authorizer").GetBoolean());
        Assert.Equal(3, warning.GetProperty("claims").GetInt32());
        Assert.DoesNotContain("grace", _log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("operators", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_NoAuthorizerBlock_LogsThatItIsMissing()
    {
        await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithoutAuthorizer());

        var warning = Assert.Single(Lines(), l => l.GetProperty("level").GetString() == "Warning");
        Assert.False(warning.GetProperty("authorizer").GetBoolean());
        Assert.Equal(0, warning.GetProperty("claims").GetInt32());
    }

    [Fact]
    public async Task HandleAsync_CustomerIdLeftOut_PlacesTheOrderForTheCallersSub()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Without("customer.id").Build()).WithCaller("sub-7f3a"));

        Accepted(response);
        Assert.Equal("sub-7f3a", PlacedCustomerId());
    }

    [Fact]
    public async Task HandleAsync_OwnCustomerIdNamed_PlacesTheOrder()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.id", "sub-7f3a").Build()).WithCaller("sub-7f3a"));

        Accepted(response);
        Assert.Equal("sub-7f3a", PlacedCustomerId());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandleAsync_AnotherCustomerIdNamedByACustomer_Returns403AndChangesNothing(bool inAnotherGroup)
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.id", "cust-43").Build()).WithIdempotencyKey("key-1");
        request = inAnotherGroup ? request.WithCaller("cust-42", "support") : request.WithCaller("cust-42");

        var response = await Send(request);

        Assert.Equal(403, response.StatusCode);
        Assert.Equal("Forbidden", ProblemDocument.From(response).Title);
        Assert.Equal("customer.id names another customer. Leave customer.id out to order for yourself, or use your own id.", Detail(response));
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.Empty(_store.Orders);
        Assert.Empty(_store.IdempotencyKeys);
        Assert.Equal(0, _publisher.Attempts);
    }

    [Fact]
    public async Task HandleAsync_AnotherCustomerIdNamedByAnOperator_PlacesTheOrderForThatCustomer()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.id", "cust-43").Build()).AsOperator("op-1"));

        Accepted(response);
        Assert.Equal("cust-43", PlacedCustomerId());
    }

    [Fact]
    public async Task HandleAsync_SubThatIsNoCustomerIdOrdersForItself_Returns403SayingSo()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Without("customer.id").Build()).WithCaller("auth0|5f7c8ec7"));

        Assert.Equal(403, response.StatusCode);
        Assert.Equal(
            "Your sign-in subject is not a valid customer id (1 to 64 letters, digits, '.', '_' or '-'), so you cannot place an order for yourself; ask an operator to place it.",
            Detail(response));
        Assert.Empty(_store.Orders);
    }

    [Fact]
    public async Task HandleAsync_InvalidBodyNamingAnotherCustomer_Returns400First()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.id", "cust-43").With("items[0].quantity", 0).Build()));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["items[0].quantity"], ProblemDocument.From(response).Fields);
    }

    [Fact]
    public async Task HandleAsync_SameKeyFromTwoCustomers_MakesTwoOrders()
    {
        var body = OrderRequestBuilder.ValidOrder().Without("customer.id").Build();

        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-shared").WithCaller("cust-a"));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-shared").WithCaller("cust-b"));

        Assert.NotEqual(Accepted(first), Accepted(second));
        Assert.False(second.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(2, _store.Orders.Count);
        Assert.Equal(2, _publisher.Published.Count);
    }

    [Fact]
    public async Task HandleAsync_SameKeyFromTheSameCustomer_Replays()
    {
        var body = OrderRequestBuilder.ValidOrder().Without("customer.id").Build();

        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-shared").WithCaller("cust-a"));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-shared").WithCaller("cust-a"));

        Assert.Equal(Accepted(first), Accepted(second));
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
        Assert.Single(_store.Orders);
    }

    [Fact]
    public async Task HandleAsync_GetOwnOrder_Returns200()
    {
        var orderId = Accepted(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Without("customer.id").Build()).WithCaller("cust-a")));

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId).WithCaller("cust-a"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        var view = JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderView)!;
        Assert.Equal(orderId, view.OrderId);
        Assert.Equal("cust-a", view.Customer.Id);
    }

    [Fact]
    public async Task HandleAsync_GetAnotherCustomersOrderAsAnOperator_Returns200()
    {
        var orderId = Accepted(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Without("customer.id").Build()).WithCaller("cust-a")));

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId).AsOperator("op-1"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(orderId, JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderView)!.OrderId);
    }

    [Fact]
    public async Task HandleAsync_GetAnotherCustomersOrder_Returns404ExactlyLikeAMissingOrder()
    {
        var orderId = Accepted(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Without("customer.id").Build()).WithCaller("cust-a")));
        var missingId = orderId[..^1] + (orderId[^1] == '0' ? '1' : '0');

        var hidden = await Send(HttpApiRequestBuilder.GetOrder(orderId).WithCaller("cust-b").WithHeader("X-Correlation-Id", "corr-same"));
        var missing = await Send(HttpApiRequestBuilder.GetOrder(missingId).WithCaller("cust-b").WithHeader("X-Correlation-Id", "corr-same"));

        Assert.Equal(404, hidden.StatusCode);
        Assert.Equal(404, missing.StatusCode);
        // Same document apart from the order id the caller sent; same headers.
        Assert.Equal(missing.Body!.Replace(missingId, orderId, StringComparison.Ordinal), hidden.Body);
        Assert.Equal(missing.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), hidden.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal("Order not found", ProblemDocument.From(hidden).Title);
        Assert.DoesNotContain("ada@example.com", hidden.Body, StringComparison.Ordinal);
    }

    public static TheoryData<string, int> EveryStatus => new()
    {
        { "202", 202 },
        { "200", 200 },
        { "400", 400 },
        { "401", 401 },
        { "403", 403 },
        { "404 route", 404 },
        { "404 order", 404 },
        { "405", 405 },
        { "409", 409 },
        { "413", 413 },
        { "415", 415 },
        { "500", 500 },
        { "202 publish failed", 202 },
        { "202 cancel", 202 },
        { "503 timeout", 503 },
    };

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public async Task HandleAsync_EveryAnswer_CarriesCacheControlNoStore(string @case, int status)
    {
        var response = await Answer(@case);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
    }

    [Fact]
    public async Task InvokeAsync_UndecodablePayload_AnswersWithCacheControlNoStore()
    {
        var bytes = await _function.InvokeAsync("[]"u8.ToArray(), new LambdaInvocation("request-1", TestClock.Start.AddSeconds(10), null, null), Ct);

        var response = JsonSerializer.Deserialize(bytes, Fanout.AwsShims.Json.AwsShimsJsonContext.Default.HttpApiResponse)!;
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
    }

    [Fact]
    public void Constructor_NullCallingCodes_ThrowsNamingThem()
    {
        var service = new OrderService(_store, _publisher, _time);
        var log = new FanoutLogger("orders", _time, TextWriter.Null);

        Assert.Equal("smsAllowedCountryCodes", Assert.Throws<ArgumentNullException>(() => new OrderIntakeFunction(service, log, null!)).ParamName);
        Assert.Equal("service", Assert.Throws<ArgumentNullException>(() => new OrderIntakeFunction(null!, log, ["+1"])).ParamName);
        Assert.Equal("log", Assert.Throws<ArgumentNullException>(() => new OrderIntakeFunction(service, null!, ["+1"])).ParamName);
    }

    [Theory]
    [InlineData("+447911123456", 202)]
    [InlineData("+14155550123", 202)]
    [InlineData("+33612345678", 400)]
    public async Task HandleAsync_PhoneCallingCode_JudgedByTheConfiguredList(string phone, int status)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.phone", phone).Build()));

        Assert.Equal(status, response.StatusCode);
        if (status == 400)
        {
            var error = Assert.Single(ProblemDocument.From(response).Errors);
            Assert.Equal(("customer.phone", "customer.phone must start with a calling code SMS may go to: +1, +44."), error);
        }
    }

    [Theory]
    [InlineData("/orders", "/orders")]
    [InlineData("/orders/", "/orders")]
    [InlineData("/orders/0195a1b2-c3d4-7e5f-8a9b-000000000000", "/orders/0195a1b2-c3d4-7e5f-8a9b-000000000000")]
    [InlineData("/orders/0195a1b2-c3d4-7e5f-8a9b-00000000000", "(other path, 43 characters)")]
    [InlineData("/orders/0195a1b2-c3d4-7e5f-8a9b-0000000000000", "(other path, 45 characters)")]
    [InlineData("/orders/0195a1b2xc3d4-7e5f-8a9b-000000000000", "(other path, 44 characters)")]
    [InlineData("/xrders/0195a1b2-c3d4-7e5f-8a9b-000000000000", "(other path, 44 characters)")]
    [InlineData("/orders/ada@example.com", "(other path, 23 characters)")]
    [InlineData("/ordersx", "(other path, 8 characters)")]
    [InlineData("/orders/0195a1b2-c3d4-7e5f-8a9b-000000000000/cancel", "/orders/0195a1b2-c3d4-7e5f-8a9b-000000000000/cancel")]
    [InlineData("/orders/ada@example.com/cancel", "(other path, 30 characters)")]
    [InlineData("/orders/0195a1b2-c3d4-7e5f-8a9b-000000000000/cancelx", "(other path, 52 characters)")]
    public void LoggedPath_OnlyTheApisOwnPathsAreShown(string rawPath, string expected)
    {
        Assert.Equal(expected, OrderIntakeFunction.LoggedPath(rawPath));
    }

    private async Task<HttpApiResponse> Answer(string @case)
    {
        var valid = OrderRequestBuilder.ValidOrder().Build();
        switch (@case)
        {
            case "202":
                return await Send(HttpApiRequestBuilder.PostOrder(valid));
            case "200":
                return await Send(HttpApiRequestBuilder.GetOrder(Accepted(await Send(HttpApiRequestBuilder.PostOrder(valid)))));
            case "400":
                return await Send(HttpApiRequestBuilder.PostOrder("{}"));
            case "401":
                return await Send(HttpApiRequestBuilder.PostOrder(valid).WithoutAuthorizer());
            case "403":
                return await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.id", "cust-43").Build()));
            case "404 route":
                return await Send(HttpApiRequestBuilder.PostOrder(valid).WithPath("/products"));
            case "404 order":
                return await Send(HttpApiRequestBuilder.GetOrder(UnknownOrderId));
            case "405":
                return await Send(HttpApiRequestBuilder.PostOrder(valid).WithMethod("DELETE"));
            case "409":
                await Send(HttpApiRequestBuilder.PostOrder(valid).WithIdempotencyKey("k"));
                return await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("items[0].quantity", 5).Build()).WithIdempotencyKey("k"));
            case "413":
                return await Send(HttpApiRequestBuilder.PostOrder(new string(' ', 70_000)));
            case "415":
                return await Send(HttpApiRequestBuilder.PostOrder(valid).WithHeader("content-type", "text/plain"));
            case "500":
                _store.FailCreateWith = new InvalidOperationException("store down");
                return await Send(HttpApiRequestBuilder.PostOrder(valid));
            case "202 cancel":
                var placed = await Send(HttpApiRequestBuilder.PostOrder(valid));
                using (var doc = System.Text.Json.JsonDocument.Parse(placed.Body!))
                {
                    return await Send(HttpApiRequestBuilder.CancelOrder(doc.RootElement.GetProperty("orderId").GetString()!));
                }

            case "202 publish failed":
                _publisher.FailWith = new HttpRequestException("SNS unreachable");
                return await Send(HttpApiRequestBuilder.PostOrder(valid));
            default:
                using (var cancelled = new CancellationTokenSource())
                {
                    await cancelled.CancelAsync();
                    return await _function.HandleAsync(HttpApiRequestBuilder.PostOrder(valid).Build(), cancelled.Token);
                }
        }
    }

    private static HttpApiRequestBuilder NoCaller(HttpApiRequestBuilder request, string @case) => @case switch
    {
        "no authorizer" => request.WithoutAuthorizer(),
        "no jwt" => request.WithClaims(null),
        "no claims" => request.WithClaims([]),
        "no sub" => request.WithClaims(new Dictionary<string, string> { ["client_id"] = "shop", ["cognito:groups"] = "[operators]" }),
        "empty sub" => request.WithCaller("", "operators"),
        _ => request.WithCaller("  "),
    };

    private static string? Detail(HttpApiResponse response)
    {
        using var document = JsonDocument.Parse(response.Body!);
        return document.RootElement.GetProperty("detail").GetString();
    }

    private static string Accepted(HttpApiResponse response)
    {
        Assert.True(response.StatusCode == 202, $"{response.StatusCode} {response.Body}");
        return JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderAccepted)!.OrderId;
    }

    private string PlacedCustomerId() =>
        EventParser.Parse(Assert.Single(_publisher.Published).Json, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced).Data.Customer.Id;

    /// <summary>The log lines, without the EMF line each request ends with.</summary>
    private List<JsonElement> Lines() =>
        [.. _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).Where(l => !l.TryGetProperty("_aws", out _))];

    private Task<HttpApiResponse> Send(HttpApiRequestBuilder request) => _function.HandleAsync(request.Build(), Ct);
}
