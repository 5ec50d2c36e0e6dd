using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
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
public sealed class OrderIntakeFunctionTests : IDisposable
{
    private const string UnknownOrderId = "0195a1b2-c3d4-7e5f-8a9b-000000000000";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryOrderStore _store;
    private readonly RecordingEventPublisher _publisher = new();
    private readonly StringWriter _log = new();
    private readonly OrderIntakeFunction _function;

    public OrderIntakeFunctionTests()
    {
        _store = new InMemoryOrderStore(_time);
        _function = new OrderIntakeFunction(new OrderService(_store, _publisher, _time), new FanoutLogger("orders", _time, _log), OrderApiTopology.DefaultSmsAllowedCountryCodes);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task HandleAsync_ValidOrder_Returns202AndStoresAndPublishesOrderPlacedOnce()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal("application/json", response.Headers["Content-Type"]);
        Assert.False(response.Headers.ContainsKey("Idempotent-Replayed"));
        var orderId = AcceptedOrderId(response);
        Assert.True(Guid.TryParseExact(orderId, "D", out var guid));
        Assert.Equal(8, guid.Version);
        Assert.Equal("/orders/" + orderId, response.Headers["Location"]);

        var stored = Assert.Single(_store.Orders);
        Assert.Equal(orderId, stored.OrderId);
        Assert.Empty(_store.PendingEntries);
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
        { OrderRequestBuilder.ValidOrder().With("customer.id", 7).With("items[0].sku", "x").With("extra", 1).Build(), ["customer.id", "extra", "items[0].sku"] },
        { OrderRequestBuilder.ValidOrder().With("customer.phone", "+447911123456").Build(), ["customer.phone"] },
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
    public async Task HandleAsync_GzipContentEncoding_Returns415NamingContentEncodingAndChangesNothing()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("Content-Encoding", "gzip"));

        Assert.Equal(415, response.StatusCode);
        Assert.Equal(["Content-Encoding"], ProblemDocument.From(response).Fields);
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
    [InlineData("key-1\n")]
    [InlineData("key-1,key-2")]
    [InlineData("\"key-1")]
    [InlineData("\"key-1\"x")]
    [InlineData("\"\"")]
    [InlineData("\"has space\"")]
    [InlineData("\"a\\qb\"")]
    [InlineData("\"a\\\\b\"")]
    [InlineData("\"key-1\";p=1")]
    [InlineData("\"key-\u00e9\"")]
    [InlineData("\ud800")]
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
        Assert.Equal([OrderService.ScopeIdempotencyKey(HttpApiRequestBuilder.DefaultSubject, new string('k', 128))], _store.IdempotencyKeys);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("corr-a,corr-b", "sent more than once")]
    [InlineData("corr-a, corr-b", "sent more than once")]
    [InlineData("has space", "holds characters other than")]
    [InlineData("<script>", "holds characters other than")]
    [InlineData("corr-1\n", "holds characters other than")]
    [InlineData("\ud800", "holds characters other than")]
    [InlineData("c01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567", "longer than 128 characters (129)")]
    public async Task HandleAsync_UnusableCorrelationId_AcceptsTheOrderWithAGeneratedIdAndLogsWhy(string correlationId, string reason)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", correlationId));

        Assert.Equal(202, response.StatusCode);
        var used = response.Headers[OrderIntakeFunction.CorrelationHeader];
        Assert.True(Guid.TryParse(used, out _));
        Assert.Equal(used, Assert.Single(_publisher.Published).CorrelationId);
        Assert.Equal(used, Assert.Single(_store.Orders).CorrelationId);
        var warning = Assert.Single(_log.ToString().Split('\n'), line => line.Contains("X-Correlation-Id ignored", StringComparison.Ordinal));
        Assert.Contains(reason, warning, StringComparison.Ordinal);
        Assert.Contains("\"length\":" + correlationId.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_UsableCorrelationId_LogsNoWarning()
    {
        await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", "corr-ok"));

        Assert.DoesNotContain("X-Correlation-Id ignored", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_UnusableCorrelationIdOnARefusedOrder_EchoesTheGeneratedIdInHeaderAndProblem()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder("[]").WithHeader("X-Correlation-Id", "corr-a,corr-b"));

        Assert.Equal(400, response.StatusCode);
        var used = response.Headers[OrderIntakeFunction.CorrelationHeader];
        Assert.True(Guid.TryParse(used, out _));
        Assert.Equal(used, ProblemDocument.From(response).CorrelationId);
    }

    [Theory]
    [InlineData("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"")]
    [InlineData(" \"key-1\" ", "key-1")]
    public async Task HandleAsync_SameKeyQuotedAndBare_IsOneKeyAndReplaysTheOrder(string firstForm, string secondForm)
    {
        var body = OrderRequestBuilder.ValidOrder().Build();

        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey(firstForm));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey(secondForm));

        Assert.Equal(202, first.StatusCode);
        Assert.Equal(202, second.StatusCode);
        Assert.Equal(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
        Assert.Equal([OrderService.ScopeIdempotencyKey(HttpApiRequestBuilder.DefaultSubject, firstForm.Trim().Trim('"'))], _store.IdempotencyKeys);
        Assert.Single(_publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_KeyBeingWrittenByAnotherRequest_Returns409InProgressWithRetryAfterAndChangesNothing()
    {
        _store.KeyBusy = true;

        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey("key-busy"));

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("1", response.Headers["Retry-After"]);
        var problem = ProblemDocument.From(response);
        Assert.Equal("Request in progress", problem.Title);
        AssertNothingStoredOrPublished();
    }

    [Fact]
    public async Task HandleAsync_SameKeyAt24HoursExactly_StillReplays()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-day"));

        _time.Advance(TimeSpan.FromHours(24));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-day"));

        Assert.Equal(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.Equal("true", second.Headers["Idempotent-Replayed"]);
    }

    [Fact]
    public async Task HandleAsync_SameKeyPast24Hours_CountsAsUnusedAndCreatesANewOrder()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        var first = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-old"));

        _time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var second = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-old"));

        Assert.Equal(202, second.StatusCode);
        Assert.NotEqual(AcceptedOrderId(first), AcceptedOrderId(second));
        Assert.False(second.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal(2, _store.Orders.Count);
        Assert.Equal(2, _publisher.Published.Count);

        var third = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-old"));
        Assert.Equal(AcceptedOrderId(second), AcceptedOrderId(third));
    }

    public static TheoryData<string, string> IssueSevenBodies => new()
    {
        { "{\"customer\":{\"id\":\"c-1\",\"email\":\"ada@example.com\"},\"items\":[{\"sku\":\"MUG-WHITE\\n\",\"quantity\":1}]}", "items[0].sku" },
        { "{\"customer\":{\"id\":\"\\ud800\",\"email\":\"ada@example.com\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}]}", "customer.id" },
        { "{\"customer\":{\"id\":\"c-1\",\"email\":\".ada@example.com\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}]}", "customer.email" },
        { "{\"customer\":{\"id\":\"c-1\",\"email\":\"ada@example.com\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}],\"\\udc00\":1}", "$" },
        { "{\"customer\":{\"id\":\"c-1\",\"\\ud800x\":\"a\",\"email\":\"ada@example.com\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}]}", "customer" },
    };

    [Theory]
    [MemberData(nameof(IssueSevenBodies))]
    public async Task HandleAsync_ControlCharacterOrLoneSurrogateOrBadDotAtom_Returns400OnThatFieldAndChangesNothing(string body, string field)
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(body));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal([field], ProblemDocument.From(response).Fields);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    public async Task HandleAsync_Base64BodyWithInvalidUtf8_Returns400AndChangesNothing(byte[] invalid)
    {
        var order = Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().Build());
        var at = Array.IndexOf(order, (byte)'4');
        byte[] raw = [.. order[..at], .. invalid, .. order[at..]];

        var response = await Send(HttpApiRequestBuilder.PostOrder("").WithBase64Body(raw));

        Assert.Equal(400, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal(["$"], problem.Fields);
        Assert.Contains("UTF-8", problem.Errors[0].Message, StringComparison.Ordinal);
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0xFF, 0x7D })]
    [InlineData(new byte[] { 0x6E, 0x75, 0x6C, 0x6C })]
    [InlineData(new byte[] { 0x7B })]
    public async Task InvokeAsync_PayloadThatIsNotAnHttpApiRequest_Answers400InsteadOfFailingTheInvocation(byte[] payload)
    {
        var bytes = await _function.InvokeAsync(payload, Invocation(), Ct);

        var response = JsonSerializer.Deserialize(bytes, AwsShimsJsonContext.Default.HttpApiResponse)!;
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("Invalid request", ProblemDocument.From(response).Title);
        Assert.True(Guid.TryParse(response.Headers[OrderIntakeFunction.CorrelationHeader], out _));
        AssertNothingStoredOrPublished();
    }

    [Theory]
    [InlineData("headers")]
    [InlineData("body")]
    public async Task InvokeAsync_LoneSurrogateEscapeInTheEvent_Answers400InvalidRequestNotAnError(string where)
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("X-Correlation-Id", "SURROGATE").Build();
        if (where == "body")
        {
            request.Body = "SURROGATE";
        }

        var payload = JsonSerializer.Serialize(request, AwsShimsJsonContext.Default.HttpApiRequest).Replace("SURROGATE", "\\ud800", StringComparison.Ordinal);

        var bytes = await _function.InvokeAsync(Encoding.UTF8.GetBytes(payload), Invocation(), Ct);

        var response = JsonSerializer.Deserialize(bytes, AwsShimsJsonContext.Default.HttpApiResponse)!;
        // The event itself cannot be deserialized (System.Text.Json refuses unpaired surrogates), so even a bad
        // diagnostic header ends here: the function answers instead of failing the invocation.
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("Invalid request", ProblemDocument.From(response).Title);
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
        const string compact = "{\"customer\":{\"id\":\"cust-42\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":3}]}";
        const string reordered = "{ \"items\": [ { \"quantity\": 3, \"sku\": \"MUG-01\" } ],\n  \"customer\": { \"email\": \"a@example.com\", \"id\": \"cust-42\" } }";
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
    public async Task HandleAsync_NoIdempotencyKey_Returns400NamingTheHeaderAndStoresNothing()
    {
        var response = await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithoutHeader("Idempotency-Key"));

        Assert.Equal(400, response.StatusCode);
        var problem = ProblemDocument.From(response);
        Assert.Equal("Missing header", problem.Title);
        Assert.Equal([OrderIntakeFunction.IdempotencyHeader], problem.Fields);
        Assert.Contains(OrderIntakeFunction.MissingKeyMessage, response.Body, StringComparison.Ordinal);
        Assert.Empty(_store.Orders);
        Assert.Equal(0, _publisher.Attempts);
    }

    [Fact]
    public async Task HandleAsync_PublishFails_Returns202AndTheOrderStillOwesItsFactAndAReplayPublishesNothing()
    {
        var body = OrderRequestBuilder.ValidOrder().Build();
        _publisher.FailWith = new HttpRequestException("SNS unreachable");

        var failed = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-retry"));

        Assert.Equal(202, failed.StatusCode);
        var stored = Assert.Single(_store.Orders);
        Assert.Equal(stored.OrderId, AcceptedOrderId(failed));
        Assert.True(stored.OwesPlaced);
        Assert.Empty(_store.PendingEntries);
        Assert.Empty(_publisher.Published);

        _publisher.FailWith = null;
        var retried = await Send(HttpApiRequestBuilder.PostOrder(body).WithIdempotencyKey("key-retry"));

        Assert.Equal(202, retried.StatusCode);
        Assert.Equal(stored.OrderId, AcceptedOrderId(retried));
        Assert.Equal("true", retried.Headers["Idempotent-Replayed"]);
        Assert.Empty(_publisher.Published);
        Assert.True(Assert.Single(_store.Orders).OwesPlaced);
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
    public async Task HandleAsync_GetExistingOrderIdWithTrailingNewline_Returns400NamingId()
    {
        // Guid parsing forgives surrounding white space; the route must not, or "<id>\n" would be a lookup miss.
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var response = await Send(HttpApiRequestBuilder.GetOrder(orderId + "\n"));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["id"], ProblemDocument.From(response).Fields);
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
    [InlineData(UnknownOrderId + "\n")]
    [InlineData(UnknownOrderId + " ")]
    [InlineData("\t" + UnknownOrderId)]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-00000000000")]
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
        // AWS's documented example carries JWT claims without a sub: nobody is signed in, whatever the path.
        var bytes = await _function.InvokeAsync(SampleEvents.Read(SampleEvents.HttpApi), Invocation(), Ct);

        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal(401, root.GetProperty("statusCode").GetInt32());
        var headers = root.GetProperty("headers");
        Assert.Equal("application/problem+json", headers.GetProperty("Content-Type").GetString());
        Assert.Equal("Bearer", headers.GetProperty("WWW-Authenticate").GetString());
        Assert.Equal("no-store", headers.GetProperty("Cache-Control").GetString());
        Assert.False(root.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Contains("\"title\":\"Unauthorized\"", root.GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_AwsSampleHttpApiEventWithASubject_AnswersUnknownRoute404()
    {
        // AWS's documented example posts to /my/path, which Fanout does not serve.
        var sample = System.Text.Json.Nodes.JsonNode.Parse(SampleEvents.Read(SampleEvents.HttpApi))!;
        sample["requestContext"]!["authorizer"]!["jwt"]!["claims"]!["sub"] = "cust-42";
        var bytes = await _function.InvokeAsync(Encoding.UTF8.GetBytes(sample.ToJsonString()), Invocation(), Ct);

        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal(404, root.GetProperty("statusCode").GetInt32());
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

    [Fact]
    public async Task HandleAsync_CancelAPlacedOrder_Returns202CancellingWithLocationAndPublishesOrderCancelled()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var response = await Send(HttpApiRequestBuilder.CancelOrder(orderId));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal("/orders/" + orderId, response.Headers["Location"]);
        using var body = JsonDocument.Parse(response.Body!);
        Assert.Equal(orderId, body.RootElement.GetProperty("orderId").GetString());
        Assert.Equal("CANCELLING", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(EventTypes.OrderCancelled, _publisher.Published[^1].Type);
        Assert.Equal(OrderStatuses.Cancelling, _store.Find(orderId)!.Lifecycle);

        var again = await Send(HttpApiRequestBuilder.CancelOrder(orderId));

        Assert.Equal(202, again.StatusCode);
        Assert.Equal(2, _publisher.Published.Count);
    }

    [Fact]
    public async Task HandleAsync_CancelSomeoneElsesOrder_Returns404LikeAMissingOne()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var foreign = await Send(HttpApiRequestBuilder.CancelOrder(orderId).WithCaller("cust-other"));
        var missing = await Send(HttpApiRequestBuilder.CancelOrder(UnknownOrderId).WithCaller("cust-other"));

        Assert.Equal(404, foreign.StatusCode);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal("Order not found", ProblemDocument.From(foreign).Title);
        Assert.Equal(ProblemDocument.From(missing).Title, ProblemDocument.From(foreign).Title);
        Assert.Null(_store.Find(orderId)!.Lifecycle);
    }

    [Fact]
    public async Task HandleAsync_CancelARejectedOrder_Returns409ProblemNamingTheStatus()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));
        _store.Replace(_store.Find(orderId)! with
        {
            Statuses = new Dictionary<string, string> { [TrackedServices.Sms] = "SENT", [TrackedServices.Email] = "SENT", [TrackedServices.Inventory] = "REJECTED" },
        });

        var response = await Send(HttpApiRequestBuilder.CancelOrder(orderId));

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        var problem = ProblemDocument.From(response);
        Assert.Equal("Order cannot be cancelled", problem.Title);
        Assert.Contains("is REJECTED", response.Body, StringComparison.Ordinal);
        Assert.Single(_publisher.Published);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task HandleAsync_CancelRouteWithAnotherMethod_Returns405AllowPost(string method)
    {
        var response = await Send(HttpApiRequestBuilder.CancelOrder(UnknownOrderId).WithMethod(method));

        Assert.Equal(405, response.StatusCode);
        Assert.Equal("POST", response.Headers["Allow"]);
    }

    [Fact]
    public async Task HandleAsync_CancelPathWithoutRouteParameters_MatchesByPath()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));

        var response = await Send(HttpApiRequestBuilder.CancelOrder(orderId).WithPath("/orders/" + orderId + "/cancel"));

        Assert.Equal(202, response.StatusCode);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-00000000000 ")]
    public async Task HandleAsync_CancelWithAnInvalidId_Returns400(string id)
    {
        var response = await Send(HttpApiRequestBuilder.CancelOrder(id));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["id"], ProblemDocument.From(response).Fields);
    }

    [Fact]
    public async Task HandleAsync_CancelPublishFails_Still202AndLogsNoPersonalData()
    {
        var orderId = AcceptedOrderId(await Send(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build())));
        _publisher.FailWith = new HttpRequestException("SNS unreachable for a@example.com");

        var response = await Send(HttpApiRequestBuilder.CancelOrder(orderId));

        Assert.Equal(202, response.StatusCode);
        Assert.Contains("OrderCancelled not published inline", _log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("@example.com", _log.ToString(), StringComparison.Ordinal);
    }

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
