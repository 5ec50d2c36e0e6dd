using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fanout.Contracts.Topology;
using Fanout.Harness.Identity;
using Fanout.IntegrationTests.Support;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Microsoft.IdentityModel.JsonWebTokens;
using Xunit.Sdk;
using Xunit.v3;

namespace Fanout.IntegrationTests.Auth;

/// <summary>A user this class created on cognito-local, signed in once: the access token, the <c>sub</c> read from it,
/// and the phone number the user's orders carry.</summary>
public sealed record SignedInUser(string Label, LocalCredentials Credentials, string AccessToken, string? Phone)
{
    /// <summary>The token's <c>sub</c> (RFC 7519 section 4.1.2): the customer id the order API uses.</summary>
    public string Subject { get; } = new JsonWebToken(AccessToken).Subject;

    public string Email => Credentials.Email;

    public string Authorization => "Bearer " + AccessToken;

    /// <summary>Free of the address, the phone and the token, so no assertion message shows them.</summary>
    public override string ToString() => Label;
}

/// <summary><see cref="SignedInFixture"/> plus two customers and an operator created on cognito-local for this class,
/// stock for their orders, a copy of everything the process writes to the console (the API server's only outlet,
/// were it ever to write), and a record of the orders the tests placed for the log scan.</summary>
public sealed class CustomerAccessFixture : SignedInFixture
{
    /// <summary>The SKU every order here buys; stocked well beyond what the class orders.</summary>
    public const string Sku = "ACCESS-MUG";

    private readonly StringWriter _console = new();
    private TextWriter? _originalOut;
    private TextWriter? _originalError;

    public SignedInUser CustomerA { get; private set; } = null!;

    public SignedInUser CustomerB { get; private set; } = null!;

    public SignedInUser Operator { get; private set; } = null!;

    /// <summary>Every order id the tests got back, for the log scan's proof that it read the run's log.</summary>
    public ConcurrentBag<string> OrderIds { get; } = [];

    /// <summary>The tests that finished their checks; the log scan needs all of them to have run first.</summary>
    public ConcurrentDictionary<string, bool> Finished { get; } = new(StringComparer.Ordinal);

    /// <summary>Everything written to <see cref="Console.Out"/> and <see cref="Console.Error"/> during the class.</summary>
    public string ConsoleOutput
    {
        get
        {
            lock (_console)
            {
                return _console.ToString();
            }
        }
    }

    public override async ValueTask InitializeAsync()
    {
        // Collections run one at a time (xunit.runner.json), so the console belongs to this class while it runs.
        _originalOut = Console.Out;
        _originalError = Console.Error;
        Console.SetOut(new TeeWriter(_originalOut, _console));
        Console.SetError(new TeeWriter(_originalError, _console));
        await base.InitializeAsync();
        var ct = TestContext.Current.CancellationToken;
        await Fanout.Stock.SetAsync(Sku, 1000, ct);
        CustomerA = await CreateAsync("customer A", "ada.customer-access@example.com", "+14155550123", isOperator: false);
        CustomerB = await CreateAsync("customer B", "grace.customer-access@example.com", "+14155550188", isOperator: false);
        Operator = await CreateAsync("the operator", "lin.operator-access@example.com", null, isOperator: true);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_originalOut is not null)
        {
            Console.SetOut(_originalOut);
        }

        if (_originalError is not null)
        {
            Console.SetError(_originalError);
        }

        await base.DisposeAsync();
        await _console.DisposeAsync();
    }

    private async Task<SignedInUser> CreateAsync(string label, string email, string? phone, bool isOperator)
    {
        var credentials = await Identity.CreateUserAsync(email, isOperator, TestContext.Current.CancellationToken);
        return new SignedInUser(label, credentials, await TokenAsync(credentials), phone);
    }

    /// <summary>Copies each write to the console it replaced and to the capture.</summary>
    private sealed class TeeWriter(TextWriter console, StringWriter capture) : TextWriter
    {
        public override Encoding Encoding => console.Encoding;

        public override void Write(char value)
        {
            lock (capture)
            {
                capture.Write(value);
                console.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (capture)
            {
                capture.Write(value);
                console.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (capture)
            {
                capture.WriteLine(value);
                console.WriteLine(value);
            }
        }

        public override void Flush() => console.Flush();
    }
}

/// <summary>Marks the test a <see cref="RunsLastOrderer"/> runs after every other test of its class.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RunsLastAttribute : Attribute;

/// <summary>Keeps xunit's default method order but moves methods marked <see cref="RunsLastAttribute"/> to the end,
/// so a check over the whole class's run sees everything the other tests did.</summary>
public sealed class RunsLastOrderer : ITestMethodOrderer
{
    public IReadOnlyCollection<TTestMethod?> OrderTestMethods<TTestMethod>(IReadOnlyCollection<TTestMethod?> testMethods)
        where TTestMethod : notnull, ITestMethod
    {
        var ordered = DefaultTestMethodOrderer.Instance.OrderTestMethods(testMethods);
        return [.. ordered.OrderBy(m => RunsLast(m))];
    }

    private static bool RunsLast(ITestMethod? testMethod) =>
        testMethod is IXunitTestMethod { Method: var method } && method.IsDefined(typeof(RunsLastAttribute), inherit: false);
}

/// <summary>Who may do what, end to end over HTTP: access tokens that the real cognito-local issued to users this class
/// created, the local API server's JWT authorizer, the real OrderIntake handler, store, topic and consumers. Ends
/// with a scan of everything logged during the run for the users' personal data and secrets.</summary>
[Trait("Category", "Integration")]
[TestMethodOrderer(typeof(RunsLastOrderer))]
public sealed partial class CustomerAccessTests(CustomerAccessFixture fixture) : IClassFixture<CustomerAccessFixture>
{
    /// <summary>A UK mobile number from Ofcom's drama range: outside the default SMS calling codes (+1).</summary>
    private const string UkPhone = "+447700900123";
    private static readonly TimeSpan _completionTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PostOrder_CustomerWithoutCustomerId_CompletesAsTheTokensSubject()
    {
        var a = fixture.CustomerA;

        using var placed = await PostAsync(a, OrderJson(null, a));

        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var orderId = await OrderIdAsync(placed);
        // Watched as the operator, so a wrong owner shows as a wrong id below rather than as a 404 timeout.
        var view = await Eventually.WaitAsync(
            () => GetViewAsync(fixture.Operator, orderId),
            v => v is { Status: not "PENDING" },
            _completionTimeout,
            "A's order to finish");
        Assert.Equal("COMPLETED", view!.Status);
        Assert.Equal(a.Subject, view.Customer.Id);
        Assert.Equal(a.Subject, (await GetViewAsync(a, orderId))?.Customer.Id);
        Assert.Equal(a.Email, view.Customer.Email);
        Assert.Equal("SENT", view.Services["sms"]);
        Assert.Equal("SENT", view.Services["email"]);
        Assert.Equal(a.Subject, await StoredCustomerIdAsync(orderId));
        Finish();
    }

    [Fact]
    public async Task GetOrder_AnotherCustomersOrder_IsTheMissingOrderAnswerWhileOwnerAndOperatorRead()
    {
        var (a, b) = (fixture.CustomerA, fixture.CustomerB);
        using var placed = await PostAsync(a, OrderJson(null, a));
        var orderId = await OrderIdAsync(placed);
        var absentId = Guid.NewGuid().ToString("D");

        using var asB = await GetAsync(b, orderId);
        using var absent = await GetAsync(b, absentId);
        using var asOwner = await GetAsync(a, orderId);
        using var asOperator = await GetAsync(fixture.Operator, orderId);

        Assert.Equal(HttpStatusCode.NotFound, asB.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        Assert.Equal("no-store", asB.Headers.CacheControl?.ToString());
        Assert.Equal(absent.Content.Headers.ContentType?.ToString(), asB.Content.Headers.ContentType?.ToString());
        var hidden = await WithoutCorrelationIdAsync(asB);
        var missing = (await WithoutCorrelationIdAsync(absent)).Replace(absentId, orderId, StringComparison.Ordinal);
        Assert.Equal(missing, hidden);

        Assert.Equal(HttpStatusCode.OK, asOwner.StatusCode);
        Assert.Equal("no-store", asOwner.Headers.CacheControl?.ToString());
        Assert.Equal(a.Subject, (await ViewAsync(asOwner)).Customer.Id);
        Assert.Equal(HttpStatusCode.OK, asOperator.StatusCode);
        Assert.Equal(orderId, (await ViewAsync(asOperator)).OrderId);
        Finish();
    }

    [Fact]
    public async Task PostOrder_CustomerIdOfAnotherCustomer_Is403ForACustomerAnd202ForAnOperator()
    {
        var (a, b) = (fixture.CustomerA, fixture.CustomerB);
        const string key = "access-names-b";

        using var refused = await PostAsync(a, OrderJson(b.Subject, a), key);
        using var onBehalf = await PostAsync(fixture.Operator, OrderJson(b.Subject, b));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)))
        {
            Assert.Equal("Forbidden", problem.RootElement.GetProperty("title").GetString());
            Assert.Equal(403, problem.RootElement.GetProperty("status").GetInt32());
        }

        Assert.Empty(await Inspect.ItemsAsync(fixture.Fanout, FanoutTopology.OrdersTable, Fanout.Orders.DynamoOrderStore.OrderPrefix + Api.OrderIdFor(key, TimeProvider.System.GetUtcNow(), Api.Customer(a.Subject))));
        Assert.Equal(HttpStatusCode.Accepted, onBehalf.StatusCode);
        var orderId = await OrderIdAsync(onBehalf);
        using var asB = await GetAsync(b, orderId);
        Assert.Equal(HttpStatusCode.OK, asB.StatusCode);
        Assert.Equal(b.Subject, (await ViewAsync(asB)).Customer.Id);
        Finish();
    }

    [Fact]
    public async Task PostOrder_OneIdempotencyKeyFromTwoCustomers_MakesTwoOrdersAndReplaysForTheSameCustomer()
    {
        var (a, b) = (fixture.CustomerA, fixture.CustomerB);
        const string key = "access-shared-key";

        using var fromA = await PostAsync(a, OrderJson(null, a), key);
        using var fromB = await PostAsync(b, OrderJson(null, b), key);
        using var againFromA = await PostAsync(a, OrderJson(null, a), key);

        Assert.Equal(HttpStatusCode.Accepted, fromA.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, fromB.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, againFromA.StatusCode);
        var (orderA, orderB, replayed) = (await OrderIdAsync(fromA), await OrderIdAsync(fromB), await OrderIdAsync(againFromA));
        Assert.NotEqual(orderA, orderB);
        Assert.False(fromB.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(orderA, replayed);
        Assert.Equal("true", Assert.Single(againFromA.Headers.GetValues("Idempotent-Replayed")));
        using var bReadsOwn = await GetAsync(b, orderB);
        Assert.Equal(b.Subject, (await ViewAsync(bReadsOwn)).Customer.Id);
        Finish();
    }

    [Fact]
    public async Task PostOrder_PhoneOutsideTheAllowedCallingCodes_Is400WithAFieldErrorOnCustomerPhone()
    {
        var a = fixture.CustomerA;

        using var response = await PostAsync(a, OrderJson(null, a, UkPhone));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var problem = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), OrderIntakeJsonContext.Default.ProblemDetails)!;
        Assert.Equal(400, problem.Status);
        var error = Assert.Single(problem.Errors!);
        Assert.Equal("customer.phone", error.Field);
        Assert.DoesNotContain(UkPhone, error.Message, StringComparison.Ordinal);
        Finish();
    }

    [Fact]
    [RunsLast]
    public async Task Logs_AfterEveryOtherTest_HoldTheOrderIdsAndNoPersonalDataTokensOrPasswords()
    {
        var others = typeof(CustomerAccessTests).GetMethods()
            .Where(m => m.IsDefined(typeof(FactAttribute), inherit: false) && !m.IsDefined(typeof(RunsLastAttribute), inherit: false))
            .Select(m => m.Name)
            .ToList();
        Assert.True(others.All(fixture.Finished.ContainsKey), "The scan reads the log of the whole class: every other test of it must have run and passed first.");
        // Every order fanned out and every consumer done, so the scan also covers what the consumers log.
        foreach (var orderId in fixture.OrderIds)
        {
            await Eventually.WaitAsync(() => GetViewAsync(fixture.Operator, orderId), v => v is { Status: not "PENDING" }, _completionTimeout, "an order to finish");
        }

        await Eventually.WaitAsync(() => Inspect.AllQueuesEmptyAsync(fixture.Fanout), empty => empty, _completionTimeout, "every queue to drain");
        var raw = string.Join("\n", fixture.FunctionLog, fixture.HarnessLog, fixture.ConsoleOutput);
        // The functions write JSON, whose encoder turns '+' into \u002B: scan the decoded text as well.
        var logged = raw + "\n" + JsonEscape().Replace(raw, m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());

        Assert.False(string.IsNullOrWhiteSpace(fixture.FunctionLog));
        Assert.NotEmpty(fixture.OrderIds);
        Assert.All(fixture.OrderIds, id => Assert.Contains(id, logged, StringComparison.Ordinal));
        // The services that hold the addresses and numbers are among the writers scanned.
        Assert.Contains("\"service\":\"sms\"", fixture.FunctionLog, StringComparison.Ordinal);
        Assert.Contains("\"service\":\"email\"", fixture.FunctionLog, StringComparison.Ordinal);
        var users = new[] { fixture.CustomerA, fixture.CustomerB, fixture.Operator };
        var secrets = new List<(string What, string Value)> { ("a rejected phone number", UkPhone), ("a rejected phone number without +", UkPhone[1..]) };
        foreach (var user in users)
        {
            secrets.Add(($"{user}: e-mail address", user.Email));
            secrets.Add(($"{user}: password", user.Credentials.Password));
            secrets.Add(($"{user}: access token", user.AccessToken));
            var parts = user.AccessToken.Split('.');
            secrets.Add(($"{user}: access token payload", parts[1]));
            secrets.Add(($"{user}: access token signature", parts[2]));
            if (user.Phone is { } phone)
            {
                secrets.Add(($"{user}: phone number", phone));
                secrets.Add(($"{user}: phone number without +", phone[1..]));
            }
        }

        // Only the descriptions of what was found, never the values: a failure message must not print the secret.
        var found = secrets.Where(s => logged.Contains(s.Value, StringComparison.OrdinalIgnoreCase)).Select(s => s.What).ToList();
        Assert.True(found.Count == 0, "The log holds " + string.Join("; ", found) + ".");
    }

    private static string OrderJson(string? customerId, SignedInUser contact, string? phone = null)
    {
        var customer = new JsonObject { ["email"] = contact.Email };
        if (customerId is not null)
        {
            customer["id"] = customerId;
        }

        if ((phone ?? contact.Phone) is { } number)
        {
            customer["phone"] = number;
        }

        var order = new JsonObject
        {
            ["customer"] = customer,
            ["items"] = new JsonArray(new JsonObject { ["sku"] = CustomerAccessFixture.Sku, ["quantity"] = 1 }),
        };
        return order.ToJsonString();
    }

    private Task<HttpResponseMessage> PostAsync(SignedInUser caller, string json, string? idempotencyKey = null) =>
        fixture.SendAsync(HttpMethod.Post, "/orders", caller.Authorization, json, idempotencyKey: idempotencyKey ?? Guid.NewGuid().ToString());

    private Task<HttpResponseMessage> GetAsync(SignedInUser caller, string orderId) =>
        fixture.SendAsync(HttpMethod.Get, "/orders/" + orderId, caller.Authorization);

    private async Task<OrderView?> GetViewAsync(SignedInUser caller, string orderId)
    {
        using var response = await GetAsync(caller, orderId);
        return response.StatusCode == HttpStatusCode.OK ? await ViewAsync(response) : null;
    }

    private async Task<string> OrderIdAsync(HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var json = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var orderId = json.RootElement.GetProperty("orderId").GetString()!;
        fixture.OrderIds.Add(orderId);
        return orderId;
    }

    private static async Task<OrderView> ViewAsync(HttpResponseMessage ok)
    {
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        return JsonSerializer.Deserialize(await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), OrderIntakeJsonContext.Default.OrderView)!;
    }

    /// <summary>The body with <c>correlationId</c> (different on every answer) removed, re-serialized.</summary>
    private static async Task<string> WithoutCorrelationIdAsync(HttpResponseMessage response)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.True(body.Remove("correlationId"));
        return body.ToJsonString();
    }

    /// <summary>The customer id in the <c>OrderPlaced</c> data stored with the order.</summary>
    private async Task<string?> StoredCustomerIdAsync(string orderId)
    {
        var item = Assert.Single(await Inspect.ItemsAsync(fixture.Fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix + orderId));
        using var data = JsonDocument.Parse(item["data"].S);
        return data.RootElement.GetProperty("customer").GetProperty("id").GetString();
    }

    [GeneratedRegex(@"\\u([0-9A-Fa-f]{4})")]
    private static partial Regex JsonEscape();

    private void Finish([System.Runtime.CompilerServices.CallerMemberName] string test = "") => fixture.Finished[test] = true;
}
