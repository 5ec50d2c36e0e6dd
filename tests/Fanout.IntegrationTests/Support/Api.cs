using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.OrderIntake.Core;

namespace Fanout.IntegrationTests.Support;

/// <summary>A signed-in caller as API Gateway's JWT authorizer passes it on: the token's <c>sub</c> and its
/// <c>cognito:groups</c>.</summary>
public sealed record ApiCaller(string Subject, params string[] Groups)
{
    /// <summary>The claims of <c>requestContext.authorizer.jwt</c>, rendered as API Gateway renders them.</summary>
    public Dictionary<string, string> Claims()
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sub"] = Subject,
            ["client_id"] = "fanout-tests",
            ["token_use"] = "access",
            ["scope"] = "aws.cognito.signin.user.admin",
        };
        if (Groups.Length > 0)
        {
            claims["cognito:groups"] = "[" + string.Join(' ', Groups) + "]";
        }

        return claims;
    }
}

/// <summary>Builds API Gateway HTTP API (payload 2.0) requests the way API Gateway delivers them, signed in: every
/// request carries the <c>requestContext.authorizer.jwt</c> block of a token the authorizer accepted. The default
/// caller is <see cref="Operator"/>, who may name any customer, so tests keep choosing customer ids freely.</summary>
public static class Api
{
    /// <summary>An operator test identity (member of <see cref="OrderApiTopology.OperatorsGroup"/>).</summary>
    public static readonly ApiCaller Operator = new("it-operator", OrderApiTopology.OperatorsGroup);

    /// <summary>A plain customer whose <c>sub</c> is <paramref name="subject"/>.</summary>
    public static ApiCaller Customer(string subject) => new(subject);

    /// <summary>A POST /orders. <c>Idempotency-Key</c> is required, so a fresh one is sent unless
    /// <paramref name="headers"/> names one, or <paramref name="withoutKey"/> asks for none.</summary>
    public static HttpApiRequest Post(string? body, string? contentType = "application/json", IDictionary<string, string>? headers = null, bool base64 = false, ApiCaller? caller = null, bool withoutKey = false)
    {
        var all = new Dictionary<string, string> { ["host"] = "api.example.com", ["user-agent"] = "fanout-tests" };
        if (!withoutKey)
        {
            all["idempotency-key"] = Guid.NewGuid().ToString();
        }

        if (contentType is not null)
        {
            all["content-type"] = contentType;
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            all[name.ToLowerInvariant()] = value;
        }

        return new HttpApiRequest
        {
            RouteKey = "POST /orders",
            RawPath = "/orders",
            Headers = all,
            Body = body is null ? null : base64 ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body)) : body,
            IsBase64Encoded = base64,
            RequestContext = Context("POST", "/orders", "POST /orders", caller ?? Operator),
        };
    }

    public static HttpApiRequest Get(string orderId, ApiCaller? caller = null) => new()
    {
        RouteKey = "GET /orders/{id}",
        RawPath = "/orders/" + orderId,
        Headers = new Dictionary<string, string> { ["host"] = "api.example.com" },
        PathParameters = new Dictionary<string, string> { ["id"] = orderId },
        RequestContext = Context("GET", "/orders/" + orderId, "GET /orders/{id}", caller ?? Operator),
    };

    public static HttpApiRequest Cancel(string orderId, ApiCaller? caller = null) => new()
    {
        RouteKey = "POST /orders/{id}/cancel",
        RawPath = "/orders/" + orderId + "/cancel",
        Headers = new Dictionary<string, string> { ["host"] = "api.example.com" },
        PathParameters = new Dictionary<string, string> { ["id"] = orderId },
        RequestContext = Context("POST", "/orders/" + orderId + "/cancel", "POST /orders/{id}/cancel", caller ?? Operator),
    };

    /// <summary>The id of the order an idempotency key sent by <paramref name="caller"/> (default: <see cref="Operator"/>)
    /// names on the UTC day of <paramref name="at"/>.</summary>
    public static string OrderIdFor(string idempotencyKey, DateTimeOffset at, ApiCaller? caller = null) =>
        Fanout.Orders.Core.OrderIds.ForKey(OrderService.ScopeIdempotencyKey((caller ?? Operator).Subject, idempotencyKey), Fanout.Orders.Core.OrderIds.DayOf(at));

    /// <param name="customerId">The customer named in the body, or null to leave <c>customer.id</c> out (the order is
    /// then the caller's own).</param>
    public static string OrderJson(string? customerId, string? phone, params (string Sku, int Quantity)[] lines)
    {
        var items = string.Join(",", lines.Select(l => $"{{\"sku\":\"{l.Sku}\",\"quantity\":{l.Quantity}}}"));
        var phonePart = phone is null ? "" : $",\"phone\":\"{phone}\"";
        var idPart = customerId is null ? "" : $"\"id\":\"{customerId}\",";
        return $"{{\"customer\":{{{idPart}\"email\":\"{customerId ?? "me"}@example.com\"{phonePart}}},\"items\":[{items}]}}";
    }

    public static async Task<string> PlaceAsync(LocalFanout fanout, string body, CancellationToken cancellationToken, string? idempotencyKey = null, ApiCaller? caller = null)
    {
        var headers = idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        var response = await fanout.InvokeApiAsync(Post(body, headers: headers, caller: caller), cancellationToken);
        Assert.True(response.StatusCode == 202, $"POST /orders answered {response.StatusCode}: {response.Body}");
        using var json = JsonDocument.Parse(response.Body!);
        return json.RootElement.GetProperty("orderId").GetString()!;
    }

    public static async Task<OrderView?> GetOrderAsync(LocalFanout fanout, string orderId, CancellationToken cancellationToken, ApiCaller? caller = null)
    {
        var response = await fanout.InvokeApiAsync(Get(orderId, caller), cancellationToken);
        return response.StatusCode == 404 ? null : JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderView);
    }

    private static HttpApiRequestContext Context(string method, string path, string routeKey, ApiCaller caller) => new()
    {
        Authorizer = new HttpApiAuthorizerDescription { Jwt = new HttpApiJwtDescription { Claims = caller.Claims() } },
        AccountId = "123456789012",
        ApiId = "local",
        DomainName = "api.example.com",
        DomainPrefix = "api",
        RequestId = Guid.NewGuid().ToString(),
        RouteKey = routeKey,
        Stage = "$default",
        TimeEpoch = 0,
        Http = new HttpApiHttpDescription { Method = method, Path = path, Protocol = "HTTP/1.1", SourceIp = "127.0.0.1", UserAgent = "fanout-tests" },
    };
}
