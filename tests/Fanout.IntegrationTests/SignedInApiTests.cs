using System.Text.Json;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests;

/// <summary>Keeps every line the functions log during the class's run.</summary>
public sealed class LogCapturingFixture : FanoutFixture
{
    private readonly StringWriter _log = new();
    private TextWriter? _synchronized;

    /// <summary>Everything logged so far.</summary>
    public string Logged
    {
        get
        {
            // TextWriter.Synchronized locks the wrapper itself on every write.
            var gate = _synchronized ?? _log;
            lock (gate)
            {
                return _log.ToString();
            }
        }
    }

    protected override LocalFanoutOptions Options => base.Options with { FunctionLog = _synchronized ??= TextWriter.Synchronized(_log) };
}

/// <summary>Who may do what, on the real store, topic and consumers, with requests carrying the authorizer block
/// API Gateway's JWT authorizer writes.</summary>
[Trait("Category", "Integration")]
public sealed class SignedInApiTests(LogCapturingFixture fixture) : IClassFixture<LogCapturingFixture>
{
    private const string EmailA = "ada.signed-in@example.com";
    private const string PhoneA = "+14155550142";
    private const string EmailB = "grace.signed-in@example.com";
    private const string PhoneB = "+14155550177";

    [Fact]
    public async Task Orders_TwoCustomersAndAnOperator_EachSeesWhatTheyMayAndNothingPersonalIsLogged()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("SIGNED-1", 10, ct);
        var customerA = Api.Customer("cust-signed-a");
        var customerB = Api.Customer("cust-signed-b");

        var orderA = await Api.PlaceAsync(fanout, Body(null, EmailA, PhoneA), ct, caller: customerA);
        var orderB = await Api.PlaceAsync(fanout, Body(null, EmailB, PhoneB), ct, caller: customerB);

        var done = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderA, ct, customerA), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), "A's order to finish");
        Assert.Equal("cust-signed-a", done!.Customer.Id);
        Assert.Equal("SENT", done.Services["sms"]);
        Assert.Equal("SENT", done.Services["email"]);
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderB, ct, customerB), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), "B's order to finish");

        // A reading B's order gets the missing-order answer; an operator reads it.
        var hidden = await fanout.InvokeApiAsync(Api.Get(orderB, customerA), ct);
        Assert.Equal(404, hidden.StatusCode);
        Assert.Equal("no-store", hidden.Headers["Cache-Control"]);
        Assert.DoesNotContain(EmailB, hidden.Body, StringComparison.Ordinal);
        Assert.Equal("Order not found", Title(hidden));
        var asOperator = await Api.GetOrderAsync(fanout, orderB, ct, Api.Operator);
        Assert.Equal(EmailB, asOperator!.Customer.Email);

        // A naming B as the customer is refused; nothing is stored for it.
        var forbidden = await fanout.InvokeApiAsync(Api.Post(Body("cust-signed-b", EmailA, PhoneA), caller: customerA), ct);
        Assert.Equal(403, forbidden.StatusCode);
        Assert.Equal("Forbidden", Title(forbidden));

        var logged = fixture.Logged;
        Assert.Contains(orderA, logged, StringComparison.Ordinal);
        foreach (var personal in new[] { EmailA, EmailB, PhoneA, PhoneB, PhoneA[1..], PhoneB[1..] })
        {
            Assert.DoesNotContain(personal, logged, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task PostOrders_OneKeyFromTwoCustomers_MakesTwoOrdersAndTheSameCustomerReplays()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("SIGNED-2", 10, ct);
        var body = Api.OrderJson(null, null, ("SIGNED-2", 1));
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "key-two-customers" };

        var first = await fanout.InvokeApiAsync(Api.Post(body, headers: headers, caller: Api.Customer("cust-key-a")), ct);
        var second = await fanout.InvokeApiAsync(Api.Post(body, headers: headers, caller: Api.Customer("cust-key-b")), ct);
        var replay = await fanout.InvokeApiAsync(Api.Post(body, headers: headers, caller: Api.Customer("cust-key-a")), ct);

        Assert.Equal(202, first.StatusCode);
        Assert.Equal(202, second.StatusCode);
        Assert.NotEqual(OrderId(first), OrderId(second));
        Assert.False(second.Headers.ContainsKey("Idempotent-Replayed"));
        Assert.Equal("true", replay.Headers["Idempotent-Replayed"]);
        Assert.Equal(OrderId(first), OrderId(replay));
        // Each customer's scoped key names its own order id.
        var now = TimeProvider.System.GetUtcNow();
        Assert.Equal(Api.OrderIdFor("key-two-customers", now, Api.Customer("cust-key-a")), OrderId(first));
        Assert.Equal(Api.OrderIdFor("key-two-customers", now, Api.Customer("cust-key-b")), OrderId(second));
    }

    [Fact]
    public async Task PostOrders_NoAuthorizerBlock_Answers401AndStoresNothing()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var request = Api.Post(Api.OrderJson("cust-anon", null, ("SIGNED-3", 1)));
        request.RequestContext.Authorizer = null;

        var response = await fanout.InvokeApiAsync(request, ct);

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("Bearer", response.Headers["WWW-Authenticate"]);
        Assert.DoesNotContain(await Inspect.ItemsAsync(fanout, Fanout.Contracts.Topology.FanoutTopology.OrdersTable, "ORDER#"), i => i["data"].S.Contains("cust-anon", StringComparison.Ordinal));
    }

    private static string Body(string? customerId, string email, string phone)
    {
        var id = customerId is null ? "" : $"\"id\":\"{customerId}\",";
        return $"{{\"customer\":{{{id}\"email\":\"{email}\",\"phone\":\"{phone}\"}},\"items\":[{{\"sku\":\"SIGNED-1\",\"quantity\":1}}]}}";
    }

    private static string OrderId(Fanout.AwsShims.Events.HttpApiResponse response)
    {
        using var json = JsonDocument.Parse(response.Body!);
        return json.RootElement.GetProperty("orderId").GetString()!;
    }

    private static string Title(Fanout.AwsShims.Events.HttpApiResponse response)
    {
        using var json = JsonDocument.Parse(response.Body!);
        return json.RootElement.GetProperty("title").GetString()!;
    }
}
