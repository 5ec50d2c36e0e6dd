using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.Orders.Core;
using Fanout.UnitTests.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OrderIntake;

[Trait("Category", "Unit")]
public sealed class OrderIntakeFunctionTests
{
    private const string UnknownOrderId = "0195a1b2-c3d4-7e5f-8a9b-000000000000";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryOrderStore _store = new();
    private readonly RecordingEventPublisher _publisher = new();
    private readonly OrderIntakeFunction _function;

    public OrderIntakeFunctionTests()
    {
        _function = new OrderIntakeFunction(new OrderService(_store, _publisher, _time), new FanoutLogger("orders", _time, TextWriter.Null));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandleAsync_ValidOrder_Returns202AndStoresAndPublishesOrderPlacedOnce()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal("application/json", response.Headers["Content-Type"]);
        Assert.False(response.Headers.ContainsKey("Idempotent-Replayed"));
        var orderId = AcceptedOrderId(response);
        Assert.True(Guid.TryParseExact(orderId, "D", out var guid));
        Assert.Equal(7, guid.Version);
        Assert.Equal("/orders/" + orderId, response.Headers["Location"]);

        var stored = Assert.Single(_store.Orders);
        Assert.Equal(orderId, stored.OrderId);
        Assert.Equal(_time.GetUtcNow(), stored.PublishedAt);
        Assert.All(TrackedServices.All, s => Assert.Equal(ServiceStatus.Pending, stored.Statuses[s]));

        var published = Assert.Single(_publisher.Published);
        Assert.Equal(EventTypes.OrderPlaced, published.Type);
        Assert.Equal(EventIds.For(orderId, OrderService.ServiceName, "PLACED"), published.Id);
        Assert.Equal(stored.EventJson, published.Json);
        var placed = EventParser.Parse(published.Json, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);
        Assert.Equal(orderId, placed.Data.OrderId);
        Assert.Equal("ada@example.com", placed.Data.Customer.Email);
        Assert.Equal([("TSHIRT-RED-M", 2), ("MUG-01", 1)], placed.Data.Items.Select(i => (i.Sku, i.Quantity)));
    }

    [Fact]
    public async Task HandleAsync_NoCorrelationHeader_GeneratesOneAndUsesItEverywhere()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()));

        var correlationId = response.Headers[OrderIntakeFunction.CorrelationHeader];
        Assert.True(Guid.TryParse(correlationId, out _));
        Assert.Equal(correlationId, Assert.Single(_publisher.Published).CorrelationId);
        Assert.Equal(correlationId, Assert.Single(_store.Orders).CorrelationId);
    }

    [Fact]
    public async Task HandleAsync_ValidCorrelationHeader_EchoesItAndStampsTheEvent()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", "checkout:abc-123"));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal("checkout:abc-123", response.Headers[OrderIntakeFunction.CorrelationHeader]);
        var published = Assert.Single(_publisher.Published);
        Assert.Equal("checkout:abc-123", published.CorrelationId);
        Assert.Equal("checkout:abc-123", EventParser.ParseEnvelope(published.Json).CorrelationId);
    }

    public static TheoryData<string, string[]> InvalidBodies => new()
    {
        { OrderRequestBuilder.ValidOrder().Without("customer").Build(), ["customer"] },
        { OrderRequestBuilder.ValidOrder().Without("customer.email").Build(), ["customer.email"] },
        { OrderRequestBuilder.ValidOrder().With("customer.email", "ada@example").Build(), ["customer.email"] },
        { OrderRequestBuilder.ValidOrder().With("customer.phone", "0044 7911 123456").Build(), ["customer.phone"] },
        { OrderRequestBuilder.ValidOrder().WithItems().Build(), ["items"] },
        { OrderRequestBuilder.ValidOrder().WithItemCount(51).Build(), ["items"] },
        { OrderRequestBuilder.ValidOrder().With("items[0].quantity", 0).Build(), ["items[0].quantity"] },
        { OrderRequestBuilder.ValidOrder().With("items[0].quantity", 1001).Build(), ["items[0].quantity"] },
        { OrderRequestBuilder.ValidOrder().WithRaw("items[0].quantity", "1.5").Build(), ["items[0].quantity"] },
        { OrderRequestBuilder.ValidOrder().WithRaw("items[0].quantity", "\"5\"").Build(), ["items[0].quantity"] },
        { OrderRequestBuilder.ValidOrder().WithRaw("items[0].quantity", "null").Build(), ["items[0].quantity"] },
        { OrderRequestBuilder.ValidOrder().With("items[1].sku", "mug-01").Build(), ["items[1].sku"] },
        { OrderRequestBuilder.ValidOrder().With("items[1].sku", "TSHIRT-RED-M").Build(), ["items[1].sku"] },
        { OrderRequestBuilder.ValidOrder().With("giftWrap", true).Build(), ["giftWrap"] },
        { OrderRequestBuilder.ValidOrder().With("customer.id", null).With("items[0].sku", "x").With("extra", 1).Build(), ["customer.id", "extra", "items[0].sku"] },
        { "[]", ["$"] },
        { "", ["$"] },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task HandleAsync_InvalidBody_Returns400ListingEveryFieldAndChangesNothing(string body, string[] fields)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(body).WithHeader("X-Correlation-Id", "corr-400"));

        Assert.Equal(400, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal(fields.Order(StringComparer.Ordinal), problem.Fields.Order(StringComparer.Ordinal));
        Assert.Equal("corr-400", problem.CorrelationId);
        Assert.Equal("corr-400", response.Headers[OrderIntakeFunction.CorrelationHeader]);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData("{\"customer\":{\"id\":\"c1\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}],}")]
    [InlineData("{\"customer\":{\"id\":\"c1\",\"email\":\"a@example.com\"}")]
    [InlineData("not json")]
    public async Task HandleAsync_MalformedJson_Returns400AndChangesNothing(string body)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(body));

        Assert.Equal(400, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal("Malformed JSON", problem.Title);
        Assert.Equal(["$"], problem.Fields);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_DuplicateProperty_Returns400AndChangesNothing()
    {
        const string body = "{\"customer\":{\"id\":\"c1\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1,\"quantity\":1000}]}";

        var response = await Send(HttpApiRequestBuilder.PostOrder(body));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("Malformed JSON", ProblemDocument.From(response).Title);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_BodyOver64KB_Returns413BeforeLookingAtContentType()
    {
        var body = Encoding.UTF8.GetString(OrderRequestValidatorTests.PadTo(OrderRequestBuilder.ValidOrder().Build(), (64 * 1024) + 1));

        var response = await Send(HttpApiRequestBuilder.PostOrder(body).WithHeader("content-type", "text/plain"));

        Assert.Equal(413, response.StatusCode);
        Assert.Equal(["$"], ProblemDocument.From(response).Fields);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_BodyOf64KBExactly_IsAccepted()
    {
        var body = Encoding.UTF8.GetString(OrderRequestValidatorTests.PadTo(OrderRequestBuilder.ValidOrder().Build(), 64 * 1024));

        var response = await Send(HttpApiRequestBuilder.PostOrder(body));

        Assert.Equal(202, response.StatusCode);
        Assert.Single(_store.Orders);
    }

    [Fact]
    public async Task HandleAsync_Base64BodyOver64KBDecoded_Returns413()
    {
        var raw = OrderRequestValidatorTests.PadTo(OrderRequestBuilder.ValidOrder().Build(), (64 * 1024) + 1);

        var response = await Send(HttpApiRequestBuilder.PostOrder("").WithBase64Body(raw));

        Assert.Equal(413, response.StatusCode);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=utf-16")]
    public async Task HandleAsync_MissingOrWrongContentType_Returns415AndChangesNothing(string? contentType)
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build());
        request = contentType is null ? request.WithoutHeader("content-type") : request.WithHeader("content-type", contentType);

        var response = await Send(request);

        Assert.Equal(415, response.StatusCode);
        Assert.Equal(["Content-Type"], ProblemDocument.From(response).Fields);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_ContentTypeHeaderInAnyCase_IsFound()
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithoutHeader("content-type").Build();
        request.Headers!["Content-Type"] = "application/json; charset=utf-8";

        var response = await _function.HandleAsync(request, Ct);

        Assert.Equal(202, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_Base64EncodedBody_IsDecodedAndAccepted()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder("").WithUtf8Body(OrderRequestBuilder.ValidOrder().Build()));

        Assert.Equal(202, response.StatusCode);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_BodyMarkedBase64ButNotBase64_Returns400AndChangesNothing()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder("").WithBase64Body("{not base64!}"));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["$"], ProblemDocument.From(response).Fields);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("ключ")]
    [InlineData("key\nnewline")]
    [InlineData("k01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567")]
    public async Task HandleAsync_InvalidIdempotencyKey_Returns400AndChangesNothing(string key)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(key));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal([OrderIntakeFunction.IdempotencyHeader], ProblemDocument.From(response).Fields);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_IdempotencyKeyOf128Characters_IsAccepted()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(new string('k', 128)));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal([new string('k', 128)], _store.IdempotencyKeys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("<script>")]
    [InlineData("c01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567")]
    public async Task HandleAsync_InvalidCorrelationId_Returns400WithAGeneratedIdAndChangesNothing(string correlationId)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", correlationId));

        Assert.Equal(400, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal([OrderIntakeFunction.CorrelationHeader], problem.Fields);
        var echoed = response.Headers[OrderIntakeFunction.CorrelationHeader];
        Assert.NotEqual(correlationId, echoed);
        Assert.True(Guid.TryParse(echoed, out _));
        Assert.Equal(echoed, problem.CorrelationId);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_SameKeySameBody_ReplaysTheSameOrderWithoutPublishingAgain()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-1"));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-1"));

        Assert.Equal(202, first.StatusCode);
        Assert.Equal(202, second.StatusCode);
        Assert.Equal(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.Equal(first.Headers["Location"], second.Headers["Location"]);
        Assert.False(first.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
        Assert.Single(_store.Orders);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_SameKeyBodyDifferingOnlyInLayout_ReplaysTheSameOrder()
    {
        const string compact = "{\"customer\":{\"id\":\"c1\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":3}]}";
        const string reordered = "{ \"items\": [ { \"quantity\": 3, \"sku\": \"MUG-01\" } ],\n  \"customer\": { \"email\": \"a@example.com\", \"id\": \"c1\" } }";
        var first = await Send(HttpApiRequestBuilder.PostOrder(compact).WithIdempotencyKey("key-layout"));
        var second = await Send(HttpApiRequestBuilder.PostOrder(reordered).WithIdempotencyKey("key-layout"));

        Assert.Equal(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
    }

    [Fact]
    public async Task HandleAsync_SameKeyDifferentBody_Returns409AndChangesNothingMore()
    {
        await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey("key-2"));

        var conflicting = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("items[0].quantity", 3).Build()).WithIdempotencyKey("key-2"));

        Assert.Equal(409, conflicting.StatusCode);
        Assert.Equal("Idempotency key reused", ProblemDocument.From(conflicting).Title);
        Assert.Single(_store.Orders);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_SameBodyWithoutKey_CreatesTwoOrders()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        var first = await Send(HttpApiRequestBuilder.PostOrder(body));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body));

        Assert.NotEqual(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.Equal(2, _store.Orders.Count);
        Assert.Equal(2, _publisher.Published.Count);
    }

    [Fact]
    public async Task HandleAsync_PublishFails_Returns503AndTheSameKeyLaterPublishesTheStoredOrder()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        _publisher.FailWith = new HttpRequestException("SNS unreachable");

        var failed = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-retry"));

        Assert.Equal(503, failed.StatusCode);
        Assert.Equal("1", failed.Headers["Retry-After"]);
        Assert.Equal("Order stored, not yet published", ProblemDocument.From(failed).Title);
        var stored = Assert.Single(_store.Orders);
        Assert.Null(stored.PublishedAt);
        Assert.Empty(_publisher.Published);

        _publisher.FailWith = null;
        _time.Advance(TimeSpan.FromSeconds(2));
        var retried = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-retry"));

        Assert.Equal(202, retried.StatusCode);
        Assert.Equal(stored.OrderId, AcceptedOrderId(retried));
        Assert.Equal("true", retried.Headers["Idempotent-Replayed"]);
        var published = Assert.Single(_publisher.Published);
        Assert.Equal(stored.EventJson, published.Json);
        Assert.Equal(_time.GetUtcNow(), Assert.Single(_store.Orders).PublishedAt);

        var again = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-retry"));
        Assert.Equal(202, again.StatusCode);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_StoreFails_Returns500ProblemAndPublishesNothing()
    {
        _store.FailCreateWith = new InvalidOperationException("DynamoDB is down");

        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", "corr-500"));

        Assert.Equal(500, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal("corr-500", problem.CorrelationId);
        Assert.DoesNotContain("DynamoDB", response.Body, StringComparison.Ordinal);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_InvocationCancelled_Returns503TimedOut()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var response = await _function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).Build(), cancelled.Token);

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("Timed out", ProblemDocument.From(response).Title);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_GetExistingOrder_Returns200WithTheOrderAndItsStatuses()
    {
        var placed = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", "corr-get"));
        var orderId = AcceptedOrderId(placed);

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/json", response.Headers["Content-Type"]);
        var view = JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderView)!;
        Assert.Equal(orderId, view.OrderId);
        Assert.Equal("PENDING", view.Status);
        Assert.Equal(TestClock.Start, view.CreatedAt);
        Assert.Equal("ada@example.com", view.Customer.Email);
        Assert.Equal([("TSHIRT-RED-M", 2), ("MUG-01", 1)], view.Items.Select(i => (i.Sku, i.Quantity)));
        Assert.Equal(TrackedServices.All.Order(StringComparer.Ordinal), view.Services.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("corr-get", view.CorrelationId);
    }

    [Fact]
    public async Task HandleAsync_GetOrderIdInUpperCase_FindsTheOrder()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId.ToUpperInvariant()));

        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_GetUnknownOrder_Returns404Problem()
    {
        var response = await Send(HttpApiRequestBuilder.GetOrder(UnknownOrderId));

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("Order not found", ProblemDocument.From(response).Title);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("12345")]
    [InlineData("0195a1b2c3d47e5f8a9b000000000000")]
    [InlineData("{0195a1b2-c3d4-7e5f-8a9b-000000000000}")]
    public async Task HandleAsync_GetMalformedOrderId_Returns400NamingId(string id)
    {
        var response = await Send(HttpApiRequestBuilder.GetOrder(id));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["id"], ProblemDocument.From(response).Fields);
    }

    [Theory]
    [InlineData("GET", "/orders", "POST")]
    [InlineData("PUT", "/orders", "POST")]
    [InlineData("DELETE", "/orders/", "POST")]
    [InlineData("DELETE", "/orders/" + UnknownOrderId, "GET")]
    [InlineData("POST", "/orders/" + UnknownOrderId, "GET")]
    [InlineData("PATCH", "/orders/" + UnknownOrderId, "GET")]
    public async Task HandleAsync_WrongMethod_Returns405WithAllowHeader(string method, string path, string allowed)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithPath(path).WithMethod(method));

        Assert.Equal(405, response.StatusCode);
        Assert.Equal(allowed, response.Headers["Allow"]);
        Assert.Equal("Method not allowed", ProblemDocument.From(response).Title);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/order")]
    [InlineData("/products")]
    public async Task HandleAsync_UnknownRoute_Returns404Problem(string path)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithPath(path));

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("Not found", ProblemDocument.From(response).Title);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task InvokeAsync_AwsSampleHttpApiEvent_AnswersWithASerializedProblemResponse()
    {
        // AWS's documented example posts to /my/path, which Fanout does not serve.
        var bytes = await _function.InvokeAsync(SampleEvents.Read(SampleEvents.HttpApi), Invocation(), Ct);

        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal(404, root.GetProperty("statusCode").GetInt32());
        Assert.Equal("application/problem+json", root.GetProperty("headers").GetProperty("Content-Type").GetString());
        Assert.False(root.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Contains("/my/path", root.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_PostOrderPayload_AnswersWith202()
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).Build();
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, AwsShimsJsonContext.Default.HttpApiRequest);

        var bytes = await _function.InvokeAsync(payload, Invocation(), Ct);

        var response = JsonSerializer.Deserialize(bytes, AwsShimsJsonContext.Default.HttpApiResponse)!;
        Assert.Equal(202, response.StatusCode);
        Assert.Equal(Assert.Single(_store.Orders).OrderId, AcceptedOrderId(response));
    }

    private static LambdaInvocation Invocation() => new("request-1", TestClock.Start.AddSeconds(10), null, null);

    private static string AcceptedOrderId(HttpApiResponse response)
    {
        Assert.Equal(202, response.StatusCode);
        var accepted = JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderAccepted)!;
        Assert.Equal("ACCEPTED", accepted.Status);
        return accepted.OrderId;
    }

    private Task<HttpApiResponse> Send(HttpApiRequestBuilder request) => _function.HandleAsync(request.Build(), Ct);

    private void AssertNothingStoredOrPublished()
    {
        Assert.Empty(_store.Orders);
        Assert.Empty(_store.IdempotencyKeys);
        Assert.Equal(0, _publisher.Attempts);
    }
}
