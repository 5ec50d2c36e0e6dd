using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Api;

/// <summary>The answer to <c>POST /orders</c>.</summary>
internal sealed record PostOrderResult(HttpStatusCode Status, string? OrderId, string? Location, bool Replayed, string? CorrelationId, ProblemDetails? Problem, string Body)
{
    public bool Accepted => Status == HttpStatusCode.Accepted && OrderId is not null;
}

/// <summary>The answer to <c>GET /orders/{id}</c>: the order, or the problem (404 when unknown).</summary>
internal sealed record GetOrderResult(HttpStatusCode Status, OrderView? Order, ProblemDetails? Problem);

/// <summary>A client of the order API, local or deployed. It shares the server's JSON contract
/// (<see cref="OrderIntakeJsonContext"/>), so client and API cannot disagree on field names.</summary>
internal sealed class OrderApiClient
{
    public const string PendingStatus = "PENDING";
    private const string IdempotencyHeader = "Idempotency-Key";
    private const string CorrelationHeader = "X-Correlation-Id";
    private readonly HttpClient _http;

    public OrderApiClient(HttpClient http, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        _http = http;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public Uri OrdersUrl => new(BaseUrl, "orders");

    public Uri OrderUrl(string orderId) => new(BaseUrl, "orders/" + Uri.EscapeDataString(orderId));

    public async Task<PostOrderResult> PlaceAsync(PlaceOrderCommand order, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        using var request = new HttpRequestMessage(HttpMethod.Post, OrdersUrl)
        {
            Content = new StringContent(JsonSerializer.Serialize(order, OrderIntakeJsonContext.Default.PlaceOrderCommand), Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation(IdempotencyHeader, idempotencyKey);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? orderId = null;
        ProblemDetails? problem = null;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            orderId = TryDeserialize(body, OrderIntakeJsonContext.Default.OrderAccepted)?.OrderId;
        }
        else
        {
            problem = TryDeserialize(body, OrderIntakeJsonContext.Default.ProblemDetails);
            orderId = problem?.OrderId;
        }

        return new PostOrderResult(
            response.StatusCode,
            string.IsNullOrEmpty(orderId) ? null : orderId,
            response.Headers.Location?.OriginalString,
            Header(response.Headers, "Idempotent-Replayed") == "true",
            Header(response.Headers, CorrelationHeader),
            problem,
            body);
    }

    public async Task<GetOrderResult> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(OrderUrl(orderId), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? new GetOrderResult(response.StatusCode, TryDeserialize(body, OrderIntakeJsonContext.Default.OrderView), null)
            : new GetOrderResult(response.StatusCode, null, TryDeserialize(body, OrderIntakeJsonContext.Default.ProblemDetails));
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static T? TryDeserialize<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            // A gateway error page or a proxy's HTML is not the API's JSON; the caller reports the status.
            return null;
        }
    }
}
