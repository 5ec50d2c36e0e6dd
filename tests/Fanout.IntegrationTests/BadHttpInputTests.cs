using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Orders;

namespace Fanout.IntegrationTests;

/// <summary>Every kind of bad request gets the right 4xx with an RFC 9457 problem body naming the field,
/// and nothing is stored or published.</summary>
[Trait("Category", "Integration")]
public sealed class BadHttpInputTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    private const string Valid = "{\"customer\":{\"id\":\"c-1\",\"email\":\"c1@example.com\"},\"items\":[{\"sku\":\"WIDGET-1\",\"quantity\":1}]}";

    /// <summary>name → (request, expected status, a field the problem must name, or null).</summary>
    private static readonly Dictionary<string, (Func<HttpApiRequest> Request, int Status, string? Field)> Cases = new()
    {
        ["empty body"] = (() => Api.Post(""), 400, "$"),
        ["no body"] = (() => Api.Post(null), 400, "$"),
        ["whitespace body"] = (() => Api.Post("   \n "), 400, "$"),
        ["truncated JSON"] = (() => Api.Post("{\"customer\":"), 400, "$"),
        ["JSON array"] = (() => Api.Post("[]"), 400, "$"),
        ["JSON string"] = (() => Api.Post("\"order\""), 400, "$"),
        ["JSON null"] = (() => Api.Post("null"), 400, "$"),
        ["trailing comma"] = (() => Api.Post(Valid.Replace("]}", "],}", StringComparison.Ordinal)), 400, "$"),
        ["comment"] = (() => Api.Post("/* hi */" + Valid), 400, "$"),
        ["duplicate property"] = (() => Api.Post(Valid.Replace("{\"customer\"", "{\"items\":[],\"customer\"", StringComparison.Ordinal)), 400, "$"),
        ["too deep"] = (() => Api.Post(new string('[', 40) + new string(']', 40)), 400, "$"),
        ["missing customer"] = (() => Api.Post("{\"items\":[{\"sku\":\"WIDGET-1\",\"quantity\":1}]}"), 400, "customer"),
        ["customer not object"] = (() => Api.Post(Valid.Replace("{\"id\":\"c-1\",\"email\":\"c1@example.com\"}", "\"c-1\"", StringComparison.Ordinal)), 400, "customer"),
        ["another customer's id"] = (() => Api.Post(Valid, caller: Api.Customer("c-2")), 403, null),
        ["no signed-in caller"] = (() => { var r = Api.Post(Valid); r.RequestContext.Authorizer = null; return r; }, 401, null),
        ["phone outside the allowed calling codes"] = (() => Api.Post(Valid.Replace("\"c1@example.com\"", "\"c1@example.com\",\"phone\":\"+447911123456\"", StringComparison.Ordinal)), 400, "customer.phone"),
        ["customer id with spaces"] = (() => Api.Post(Valid.Replace("c-1", "c 1", StringComparison.Ordinal)), 400, "customer.id"),
        ["missing email"] = (() => Api.Post(Valid.Replace(",\"email\":\"c1@example.com\"", "", StringComparison.Ordinal)), 400, "customer.email"),
        ["bad email"] = (() => Api.Post(Valid.Replace("c1@example.com", "not-an-email", StringComparison.Ordinal)), 400, "customer.email"),
        ["email as number"] = (() => Api.Post(Valid.Replace("\"c1@example.com\"", "42", StringComparison.Ordinal)), 400, "customer.email"),
        ["phone not E.164"] = (() => Api.Post(Valid.Replace("\"c1@example.com\"", "\"c1@example.com\",\"phone\":\"555-1234\"", StringComparison.Ordinal)), 400, "customer.phone"),
        ["phone as number"] = (() => Api.Post(Valid.Replace("\"c1@example.com\"", "\"c1@example.com\",\"phone\":14155550123", StringComparison.Ordinal)), 400, "customer.phone"),
        ["unknown customer field"] = (() => Api.Post(Valid.Replace("\"c1@example.com\"", "\"c1@example.com\",\"vip\":true", StringComparison.Ordinal)), 400, "customer.vip"),
        ["missing items"] = (() => Api.Post("{\"customer\":{\"id\":\"c-1\",\"email\":\"c1@example.com\"}}"), 400, "items"),
        ["items not array"] = (() => Api.Post(Valid.Replace("[{\"sku\":\"WIDGET-1\",\"quantity\":1}]", "{}", StringComparison.Ordinal)), 400, "items"),
        ["no items"] = (() => Api.Post(Valid.Replace("[{\"sku\":\"WIDGET-1\",\"quantity\":1}]", "[]", StringComparison.Ordinal)), 400, "items"),
        ["51 items"] = (() => Api.Post(Valid.Replace("[{\"sku\":\"WIDGET-1\",\"quantity\":1}]", "[" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"{{\"sku\":\"SKU-{i:000}\",\"quantity\":1}}")) + "]", StringComparison.Ordinal)), 400, "items"),
        ["item not object"] = (() => Api.Post(Valid.Replace("[{\"sku\":\"WIDGET-1\",\"quantity\":1}]", "[\"WIDGET-1\"]", StringComparison.Ordinal)), 400, "items[0]"),
        ["missing sku"] = (() => Api.Post(Valid.Replace("\"sku\":\"WIDGET-1\",", "", StringComparison.Ordinal)), 400, "items[0].sku"),
        ["lower-case sku"] = (() => Api.Post(Valid.Replace("WIDGET-1", "widget-1", StringComparison.Ordinal)), 400, "items[0].sku"),
        ["sku too short"] = (() => Api.Post(Valid.Replace("WIDGET-1", "AB", StringComparison.Ordinal)), 400, "items[0].sku"),
        ["sku with double hyphen"] = (() => Api.Post(Valid.Replace("WIDGET-1", "WIDGET--1", StringComparison.Ordinal)), 400, "items[0].sku"),
        ["missing quantity"] = (() => Api.Post(Valid.Replace(",\"quantity\":1", "", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity zero"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":0", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity negative"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":-3", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity 1001"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":1001", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity fraction"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":1.5", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity string"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":\"1\"", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["quantity huge"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":99999999999999999999", StringComparison.Ordinal)), 400, "items[0].quantity"),
        ["duplicate sku lines"] = (() => Api.Post(Valid.Replace("[{\"sku\":\"WIDGET-1\",\"quantity\":1}]", "[{\"sku\":\"WIDGET-1\",\"quantity\":1},{\"sku\":\"WIDGET-1\",\"quantity\":2}]", StringComparison.Ordinal)), 400, "items[1].sku"),
        ["unknown item field"] = (() => Api.Post(Valid.Replace("\"quantity\":1", "\"quantity\":1,\"qty\":2", StringComparison.Ordinal)), 400, "items[0].qty"),
        ["unknown top-level field"] = (() => Api.Post(Valid.Replace("{\"customer\"", "{\"coupon\":\"FREE\",\"customer\"", StringComparison.Ordinal)), 400, "coupon"),
        ["body over 64 KB"] = (() => Api.Post(Valid.Replace("c1@example.com", "c1@example.com\",\"pad\":\"" + new string('x', 70_000), StringComparison.Ordinal)), 413, "$"),
        ["no content type"] = (() => Api.Post(Valid, contentType: null), 415, "Content-Type"),
        ["text/plain"] = (() => Api.Post(Valid, contentType: "text/plain"), 415, "Content-Type"),
        ["form content type"] = (() => Api.Post(Valid, contentType: "application/x-www-form-urlencoded"), 415, "Content-Type"),
        ["latin-1 charset"] = (() => Api.Post(Valid, contentType: "application/json; charset=iso-8859-1"), 415, "Content-Type"),
        ["garbage content type"] = (() => Api.Post(Valid, contentType: "json???"), 415, "Content-Type"),
        ["bad base64 body"] = (() => { var r = Api.Post(Valid); r.IsBase64Encoded = true; r.Body = "%%%not-base64%%%"; return r; }, 400, "$"),
        ["idempotency key too long"] = (() => Api.Post(Valid, headers: new Dictionary<string, string> { ["Idempotency-Key"] = new string('k', 200) }), 400, "Idempotency-Key"),
        ["idempotency key with spaces"] = (() => Api.Post(Valid, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "a key" }), 400, "Idempotency-Key"),
        ["idempotency key with unclosed quote"] = (() => Api.Post(Valid, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "\"8e03978e-40d5" }), 400, "Idempotency-Key"),
        ["idempotency key with bad escape"] = (() => Api.Post(Valid, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "\"a\\qb\"" }), 400, "Idempotency-Key"),
        // Issue 7's examples: a JSON-escaped newline at the end of a SKU, a lone surrogate, a dot-atom violation.
        ["issue 7a: sku ending in escaped newline"] = (() => Api.Post(Issue7("c-1", "ada@example.com", "MUG-WHITE\\n")), 400, "items[0].sku"),
        ["issue 7b: lone surrogate customer id"] = (() => Api.Post(Issue7("\\ud800", "ada@example.com", "MUG-WHITE")), 400, "customer.id"),
        ["issue 7c: email with leading dot"] = (() => Api.Post(Issue7("c-1", ".ada@example.com", "MUG-WHITE")), 400, "customer.email"),
        ["customer id ending in escaped newline"] = (() => Api.Post(Issue7("c-1\\n", "ada@example.com", "MUG-WHITE")), 400, "customer.id"),
        ["email ending in escaped newline"] = (() => Api.Post(Issue7("c-1", "ada@example.com\\n", "MUG-WHITE")), 400, "customer.email"),
        ["sku with raw tab escape"] = (() => Api.Post(Issue7("c-1", "ada@example.com", "MUG\\tWHITE")), 400, "items[0].sku"),
        ["email with doubled dot"] = (() => Api.Post(Issue7("c-1", "ada..l@example.com", "MUG-WHITE")), 400, "customer.email"),
        ["email with numeric top-level domain"] = (() => Api.Post(Issue7("c-1", "ada@example.123", "MUG-WHITE")), 400, "customer.email"),
        ["email local part over 64"] = (() => Api.Post(Issue7("c-1", new string('a', 65) + "@example.com", "MUG-WHITE")), 400, "customer.email"),
        ["lone surrogate property name"] = (() => Api.Post(Valid.Replace("{\"customer\"", "{\"\\udc00\":1,\"customer\"", StringComparison.Ordinal)), 400, "$"),
        ["lone surrogate in sku"] = (() => Api.Post(Issue7("c-1", "ada@example.com", "MUG\\udfff")), 400, "items[0].sku"),
        ["base64 body with invalid UTF-8"] = (() => Base64Body([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), 400, "$"),
        ["base64 body with encoded surrogate"] = (() => Base64Body([.. Encoding.UTF8.GetBytes("{\"customer\":\""), 0xED, 0xA0, 0x80, .. Encoding.UTF8.GetBytes("\"}")]), 400, "$"),
        ["malformed order id"] = (() => Api.Get("not-a-uuid"), 400, "id"),
        ["order id with trailing newline"] = (() => Api.Get(Guid.NewGuid() + "\n"), 400, "id"),
        ["gzip content encoding"] = (() => Api.Post(Valid, headers: new Dictionary<string, string> { ["Content-Encoding"] = "gzip" }), 415, "Content-Encoding"),
        ["charset given twice"] = (() => Api.Post(Valid, contentType: "application/json; charset=utf-8; charset=iso-8859-1"), 415, "Content-Type"),
        ["byte order mark"] = (() => Api.Post("\uFEFF" + Valid), 400, "$"),
        ["unknown order id"] = (() => Api.Get(Guid.NewGuid().ToString()), 404, null),
        ["unknown order id, as a customer"] = (() => Api.Get(Guid.NewGuid().ToString(), Api.Customer("c-1")), 404, null),
        ["wrong method"] = (() => { var r = Api.Post(Valid); r.RequestContext.Http.Method = "PUT"; r.RouteKey = "$default"; return r; }, 405, null),
        ["unknown route"] = (() => { var r = Api.Get("x"); r.RawPath = "/customers"; r.PathParameters = null; r.RouteKey = "$default"; return r; }, 404, null),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static string Issue7(string customerId, string email, string sku) =>
        $"{{\"customer\":{{\"id\":\"{customerId}\",\"email\":\"{email}\"}},\"items\":[{{\"sku\":\"{sku}\",\"quantity\":1}}]}}";

    private static HttpApiRequest Base64Body(byte[] raw)
    {
        // A +json media type is JSON to the function but base64 to API Gateway.
        var request = Api.Post(null, contentType: "application/vnd.fanout.order+json");
        request.Body = Convert.ToBase64String(raw);
        request.IsBase64Encoded = true;
        return request;
    }

    [Theory]
    [InlineData("corr-a,corr-b")]
    [InlineData("<script>")]
    [InlineData("")]
    public async Task PostOrders_UnusableCorrelationId_Answers202WithAGeneratedIdThatTheOrderCarries(string correlationId)
    {
        // Issue 7e: X-Correlation-Id sent twice arrives comma-joined; a diagnostic header never refuses an order.
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;

        var response = await fanout.InvokeApiAsync(Api.Post(Issue7("corr-" + correlationId.Length, "ada@example.com", "MUG-WHITE"), headers: new Dictionary<string, string> { ["X-Correlation-Id"] = correlationId }), ct);

        Assert.True(response.StatusCode == 202, $"{response.StatusCode}: {response.Body}");
        var used = response.Headers["X-Correlation-Id"];
        Assert.True(Guid.TryParse(used, out _), used);
        var orderId = JsonDocument.Parse(response.Body!).RootElement.GetProperty("orderId").GetString()!;
        Assert.Equal(used, (await Api.GetOrderAsync(fanout, orderId, ct))!.CorrelationId);
    }

    [Fact]
    public async Task PostOrders_Base64EncodedOrder_IsDecodedAndAccepted()
    {
        // API Gateway base64-encodes a body whose media type is not text/*, application/json, /javascript or /xml.
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var request = Api.Post(Issue7("b64-1", "b64@example.com", "MUG-WHITE"), contentType: "application/vnd.fanout.order+json", base64: true);

        var response = await fanout.InvokeApiAsync(request, ct);

        Assert.True(response.StatusCode == 202, $"{response.StatusCode}: {response.Body}");
        var orderId = JsonDocument.Parse(response.Body!).RootElement.GetProperty("orderId").GetString()!;
        Assert.Equal("b64@example.com", (await Api.GetOrderAsync(fanout, orderId, ct))!.Customer.Email);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task PostOrGet_BadInput_AnswersProblemWithRightStatusAndField(string name)
    {
        var (request, status, field) = Cases[name];
        var response = await fixture.Fanout.InvokeApiAsync(request(), TestContext.Current.CancellationToken);
        AssertProblem(response, status, field);
    }

    [Fact]
    public async Task PostOrders_EveryBadInput_StoresAndPublishesNothing()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;

        // A probe queue subscribed to the topic with no filter sees every publish.
        var probeUrl = (await fanout.Sqs.CreateQueueAsync("probe-" + Guid.NewGuid().ToString("N")[..8], ct)).QueueUrl;
        var probeArn = (await fanout.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = probeUrl, AttributeNames = ["QueueArn"] }, ct)).QueueARN;
        await fanout.Sns.SubscribeAsync(fanout.Topology.TopicArn, "sqs", probeArn, new Dictionary<string, string> { ["RawMessageDelivery"] = "true" }, ct);
        var ordersBefore = (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count;

        foreach (var (name, (request, status, field)) in Cases)
        {
            var response = await fanout.InvokeApiAsync(request(), ct);
            Assert.True(response.StatusCode == status, $"{name}: expected {status}, got {response.StatusCode} {response.Body}");
        }

        Assert.Equal(ordersBefore, (await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix)).Count);

        // A sentinel order published after all of them: the probe must see it and nothing else.
        var sentinel = await Api.PlaceAsync(fanout, Valid.Replace("c-1", "sentinel", StringComparison.Ordinal), ct);
        var seen = new List<string>();
        await Eventually.WaitAsync(
            async () =>
            {
                var batch = await fanout.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = probeUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 }, ct);
                seen.AddRange((batch.Messages ?? []).Select(m => m.Body));
                return seen.Count;
            },
            count => count >= 1,
            TimeSpan.FromSeconds(20),
            "the sentinel's OrderPlaced on the probe queue");
        var extra = await fanout.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = probeUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 }, ct);
        seen.AddRange((extra.Messages ?? []).Select(m => m.Body));

        var only = Assert.Single(seen, body => body.Contains("\"type\":\"OrderPlaced\"", StringComparison.Ordinal));
        Assert.Contains(sentinel, only, StringComparison.Ordinal);
    }

    private static void AssertProblem(HttpApiResponse response, int status, string? field)
    {
        Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {response.Body}");
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        Assert.True(response.Headers.ContainsKey("X-Correlation-Id"));
        using var problem = JsonDocument.Parse(response.Body ?? "");
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
        if (field is not null)
        {
            var fields = problem.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
            Assert.Contains(field, fields);
            Assert.All(problem.RootElement.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString())));
        }
    }
}
