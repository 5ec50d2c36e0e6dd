using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.Harness;
using Fanout.OrderIntake.Core;

namespace Fanout.IntegrationTests.Support;

/// <summary>Builds API Gateway HTTP API (payload 2.0) requests the way API Gateway delivers them.</summary>
public static class Api
{
    public static HttpApiRequest Post(string? body, string? contentType = "application/json", IDictionary<string, string>? headers = null, bool base64 = false)
    {
        var all = new Dictionary<string, string> { ["host"] = "api.example.com", ["user-agent"] = "fanout-tests" };
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
            RequestContext = Context("POST", "/orders", "POST /orders"),
        };
    }

    public static HttpApiRequest Get(string orderId) => new()
    {
        RouteKey = "GET /orders/{id}",
        RawPath = "/orders/" + orderId,
        Headers = new Dictionary<string, string> { ["host"] = "api.example.com" },
        PathParameters = new Dictionary<string, string> { ["id"] = orderId },
        RequestContext = Context("GET", "/orders/" + orderId, "GET /orders/{id}"),
    };

    public static string OrderJson(string customerId, string? phone, params (string Sku, int Quantity)[] lines)
    {
        var items = string.Join(",", lines.Select(l => $"{{\"sku\":\"{l.Sku}\",\"quantity\":{l.Quantity}}}"));
        var phonePart = phone is null ? "" : $",\"phone\":\"{phone}\"";
        return $"{{\"customer\":{{\"id\":\"{customerId}\",\"email\":\"{customerId}@example.com\"{phonePart}}},\"items\":[{items}]}}";
    }

    public static async Task<string> PlaceAsync(LocalFanout fanout, string body, CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        var headers = idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        var response = await fanout.InvokeApiAsync(Post(body, headers: headers), cancellationToken);
        Assert.True(response.StatusCode == 202, $"POST /orders answered {response.StatusCode}: {response.Body}");
        using var json = JsonDocument.Parse(response.Body!);
        return json.RootElement.GetProperty("orderId").GetString()!;
    }

    public static async Task<OrderView?> GetOrderAsync(LocalFanout fanout, string orderId, CancellationToken cancellationToken)
    {
        var response = await fanout.InvokeApiAsync(Get(orderId), cancellationToken);
        return response.StatusCode == 404 ? null : JsonSerializer.Deserialize(response.Body!, OrderIntakeJsonContext.Default.OrderView);
    }

    private static HttpApiRequestContext Context(string method, string path, string routeKey) => new()
    {
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
