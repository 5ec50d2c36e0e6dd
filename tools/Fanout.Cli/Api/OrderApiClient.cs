using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Cli.SignIn;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Api;

/// <summary>The answer to <c>POST /orders</c>.</summary>
/// <param name="IdempotencyKey">The <c>Idempotency-Key</c> the request carried (given, or a new UUID).</param>
internal sealed record PostOrderResult(HttpStatusCode Status, string? OrderId, string? Location, bool Replayed, string? CorrelationId, ProblemDetails? Problem, string Body, string IdempotencyKey = "")
{
    public bool Accepted => Status == HttpStatusCode.Accepted && OrderId is not null;
}

/// <summary>The answer to <c>GET /orders/{id}</c>: the order, or the problem (404 when unknown).</summary>
internal sealed record GetOrderResult(HttpStatusCode Status, OrderView? Order, ProblemDetails? Problem);

/// <summary>The answer to <c>POST /orders/{id}/cancel</c>: 202 with the order's new status (<c>CANCELLING</c>),
/// 404 (not this caller's order, or none), 409 (already <c>REJECTED</c> or <c>CANCELLED</c>) or another problem.</summary>
/// <param name="OrderStatus">The <c>status</c> field of a JSON answer, when it has one.</param>
internal sealed record CancelOrderResult(HttpStatusCode Status, string? OrderStatus, ProblemDetails? Problem, string Body)
{
    public bool Accepted => Status == HttpStatusCode.Accepted;
}

/// <summary>A client of the order API, local or deployed. It shares the server's JSON contract
/// (<see cref="OrderIntakeJsonContext"/>), so client and API cannot disagree on field names. Every request carries
/// <c>Authorization: Bearer &lt;token&gt;</c> (RFC 6750 §2.1) from its token source, asked per request so a renewed
/// token is picked up.</summary>
internal sealed class OrderApiClient
{
    public const string PendingStatus = "PENDING";
    private const string IdempotencyHeader = "Idempotency-Key";
    private const string CorrelationHeader = "X-Correlation-Id";
    private readonly HttpClient _http;
    private readonly IAccessTokenSource? _token;

    /// <param name="token">Where the bearer token comes from; null sends none (the API then answers 401).</param>
    public OrderApiClient(HttpClient http, Uri baseUrl, IAccessTokenSource? token = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        _http = http;
        BaseUrl = baseUrl;
        _token = token;
    }

    public Uri BaseUrl { get; }

    public Uri OrdersUrl => new(BaseUrl, "orders");

    public Uri OrderUrl(string orderId) => new(BaseUrl, "orders/" + Uri.EscapeDataString(orderId));

    public Uri CancelUrl(string orderId) => new(BaseUrl, "orders/" + Uri.EscapeDataString(orderId) + "/cancel");

    /// <summary>POSTs the order. The API requires an <c>Idempotency-Key</c> (400 without one), so every request
    /// carries one: <paramref name="idempotencyKey"/> when given (resending it returns the first answer), else a new
    /// random UUID, reported back in <see cref="PostOrderResult.IdempotencyKey"/>.</summary>
    public async Task<PostOrderResult> PlaceAsync(PlaceOrderCommand order, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? Guid.NewGuid().ToString() : idempotencyKey;
        using var request = new HttpRequestMessage(HttpMethod.Post, OrdersUrl)
        {
            Content = new StringContent(Body(order), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(IdempotencyHeader, key);

        await AuthorizeAsync(request, cancellationToken);

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
            body,
            key);
    }

    /// <summary>Asks for a cancellation (<c>POST /orders/{id}/cancel</c>, no body). The API answers 202 and the
    /// order becomes <c>CANCELLING</c>, then <c>CANCELLED</c> once inventory released what it held.</summary>
    public async Task<CancelOrderResult> CancelAsync(string orderId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        using var request = new HttpRequestMessage(HttpMethod.Post, CancelUrl(orderId));
        await AuthorizeAsync(request, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return new CancelOrderResult(response.StatusCode, StatusField(body), null, body);
        }

        return new CancelOrderResult(response.StatusCode, null, TryDeserialize(body, OrderIntakeJsonContext.Default.ProblemDetails), body);
    }

    public async Task<GetOrderResult> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, OrderUrl(orderId));
        await AuthorizeAsync(request, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? new GetOrderResult(response.StatusCode, TryDeserialize(body, OrderIntakeJsonContext.Default.OrderView), null)
            : new GetOrderResult(response.StatusCode, null, TryDeserialize(body, OrderIntakeJsonContext.Default.ProblemDetails));
    }

    /// <summary>Turns the API's 401 (API Gateway's JWT authorizer: <c>{"message":"Unauthorized"}</c>) into a message
    /// that says what to do, for commands where a refused token ends the command.</summary>
    /// <exception cref="SignInException"><paramref name="status"/> is 401.</exception>
    public void EnsureAuthorized(HttpStatusCode status)
    {
        if (status == HttpStatusCode.Unauthorized)
        {
            throw new SignInException(
                $"The API at {BaseUrl} answered 401 Unauthorized: " + (_token is null ? "no access token was sent." : $"it did not accept the access token of {_token.Description} (expired, or not issued for this API).")
                + " Sign in again (`scripts/fanout token`), or drop --token to let the command sign in by itself.");
        }
    }

    /// <summary>The POST body. Without a customer id the body has no <c>customer.id</c> at all: the API then takes
    /// the customer from the token's <c>sub</c>, whereas an empty id would count as naming another customer.</summary>
    internal static string Body(PlaceOrderCommand order)
    {
        var json = JsonSerializer.Serialize(order, OrderIntakeJsonContext.Default.PlaceOrderCommand);
        if (!string.IsNullOrEmpty(order.Customer?.Id))
        {
            return json;
        }

        var node = JsonNode.Parse(json)!.AsObject();
        if (node["customer"] is JsonObject customer)
        {
            customer.Remove("id");
        }

        return node.ToJsonString();
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _token.GetAsync(cancellationToken));
        }
    }

    private static string? StatusField(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(string.IsNullOrWhiteSpace(body) ? "null" : body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.String
                ? status.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
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
