using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Tracing;
using Fanout.OrderIntake.Core;
using Fanout.Orders.Core;

namespace Fanout.OrderIntake;

/// <summary>Adapter: API Gateway HTTP API (payload 2.0) ⇄ <see cref="OrderService"/>. Owns HTTP concerns
/// only: routing, headers, status codes and problem documents.</summary>
/// <remarks>Every route sits behind the API's JWT authorizer, which has checked the token before the request gets
/// here; the handler reads the caller from <c>requestContext.authorizer.jwt.claims</c> and never sees the token. A
/// request without a caller is refused with <c>401</c> rather than served anonymously. Every answer carries
/// <c>Cache-Control: no-store</c> (RFC 9111 section 5.2.2.5): orders hold personal data and answers depend on who asks.</remarks>
public sealed class OrderIntakeFunction : ILambdaHandler
{
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>The W3C Trace Context request header (W3C Recommendation "Trace Context" §3.2) a caller may send to make
    /// the order part of its trace.</summary>
    public const string TraceParentHeader = "traceparent";
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string CacheControlHeader = "Cache-Control";
    public const string NoStore = "no-store";
    private const string ProblemJson = "application/problem+json";
    private const string CancelSuffix = "/cancel";

    /// <summary>The error text of a <c>POST /orders</c> without an <c>Idempotency-Key</c>.</summary>
    public const string MissingKeyMessage = "Idempotency-Key is required on POST /orders: send a fresh unique value (a UUID, say) with each new order, and the same value when retrying it.";
    private readonly OrderService _service;
    private readonly FanoutLogger _log;
    private readonly IReadOnlyList<string> _smsAllowedCountryCodes;

    /// <param name="smsAllowedCountryCodes">The E.164 calling codes a customer's phone may start with (settings:
    /// <c>FunctionSettings.SmsAllowedCountryCodes</c>).</param>
    public OrderIntakeFunction(OrderService service, FanoutLogger log, IReadOnlyList<string> smsAllowedCountryCodes)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(smsAllowedCountryCodes);
        _service = service;
        _log = log;
        _smsAllowedCountryCodes = smsAllowedCountryCodes;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        HttpApiRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.HttpApiRequest);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // A string the reader cannot decode (an unpaired surrogate in a header or the body) is the caller's
            // fault: answer 400 rather than fail the invocation, which API Gateway would turn into a 500.
            _log.Warn("The invocation payload cannot be read as an HTTP API request", ("error", ex.GetType().Name));
            request = null;
        }

        HttpApiResponse response;
        if (request is null)
        {
            var correlationId = Guid.NewGuid().ToString();
            response = Problem(400, "Invalid request", correlationId, "The invocation payload is not an HTTP API request that can be decoded (for example, a header or the body is not valid Unicode).");
            response.Headers[CorrelationHeader] = correlationId;
        }
        else
        {
            response = await HandleAsync(request, invocation.TraceId, cancellationToken);
        }

        return JsonSerializer.SerializeToUtf8Bytes(response, AwsShimsJsonContext.Default.HttpApiResponse);
    }

    public Task<HttpApiResponse> HandleAsync(HttpApiRequest request, CancellationToken cancellationToken) => HandleAsync(request, null, cancellationToken);

    /// <summary>Answers one request. The trace of the order starts here (API Gateway HTTP APIs do not trace): under a
    /// child of a valid <c>traceparent</c> request header, else in the X-Ray trace of the invocation
    /// (<paramref name="xRayTraceHeader"/>, <c>Lambda-Runtime-Trace-Id</c>), else in a new trace; every log line and every
    /// event published carries it. Ends with one EMF line of the DynamoDB capacity the request consumed (metrics
    /// <c>WriteUnits</c>, <c>ReadUnits</c>; properties <c>orderId</c> when the answer names one, <c>correlationId</c>,
    /// <c>traceparent</c>).</summary>
    public async Task<HttpApiResponse> HandleAsync(HttpApiRequest request, string? xRayTraceHeader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var suppliedTrace = request.GetHeader(TraceParentHeader);
        var trace = TraceContext.TryParse(suppliedTrace, out var callerTrace)
            ? callerTrace.Child()
            : TraceContext.FromXRayHeader(xRayTraceHeader) ?? TraceContext.NewRoot();
        using var traceScope = TraceScope.Begin(trace);
        using var capacityScope = CapacityTally.Begin(out var capacity);
        // A diagnostic header never refuses business: an unusable correlation id is replaced, and the reason logged.
        var suppliedCorrelation = request.GetHeader(CorrelationHeader);
        var correlationProblem = RequestHeaders.CorrelationIdProblem(suppliedCorrelation);
        var correlationId = suppliedCorrelation is not null && correlationProblem is null ? suppliedCorrelation : Guid.NewGuid().ToString();
        using var scope = CorrelationContext.Begin(correlationId);
        if (correlationProblem is not null)
        {
            // The value itself is not logged: it may hold anything, including text the log writer cannot encode.
            _log.Warn("X-Correlation-Id ignored; a new one was generated", ("reason", correlationProblem), ("length", suppliedCorrelation!.Length));
        }

        HttpApiResponse response;
        try
        {
            var caller = Caller.FromClaims(request.RequestContext.Authorizer?.Jwt?.Claims);
            response = caller is null ? Unauthorized(request, correlationId) : await RouteAsync(request, caller, correlationId, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            response = Problem(503, "Timed out", correlationId, "The request did not finish in time; retry it (with the same Idempotency-Key).");
        }
#pragma warning disable CA1031 // The API answers every failure with a problem document, never a bare 502.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Error("Unhandled error", ex, ("path", LoggedPath(request.RawPath)));
            response = Problem(500, "Internal error", correlationId, "Something went wrong; retry with the same Idempotency-Key.");
        }

        response.Headers[CorrelationHeader] = correlationId;
        _log.Info("HTTP request handled", ("method", request.RequestContext.Http.Method), ("path", LoggedPath(request.RawPath)), ("status", response.StatusCode));
        if (suppliedTrace is not null && callerTrace is null)
        {
            _log.Info("traceparent header ignored: not a W3C traceparent of version 00; a trace was started here", ("length", suppliedTrace.Length));
        }

        WriteCapacity(capacity, response, correlationId, trace);
        return response;
    }

    private void WriteCapacity(CapacityTally capacity, HttpApiResponse response, string correlationId, TraceContext trace)
    {
        ReadOnlySpan<MetricDatum> metrics =
        [
            new MetricDatum(FanoutMetrics.WriteUnits, FanoutMetrics.Count, capacity.WriteUnits),
            new MetricDatum(FanoutMetrics.ReadUnits, FanoutMetrics.Count, capacity.ReadUnits),
        ];
        var location = response.Headers.TryGetValue("Location", out var path) && path.StartsWith("/orders/", StringComparison.Ordinal) ? path["/orders/".Length..] : null;
        ReadOnlySpan<(string Key, string? Value)> properties =
        [
            ("orderId", location),
            ("correlationId", correlationId),
            (EventAttributes.TraceParent, trace.Value),
        ];
        _log.Metrics(null, metrics, properties);
    }

    /// <summary>The path as a log line may show it: <c>/orders</c>, <c>/orders/&lt;uuid&gt;</c> or
    /// <c>/orders/&lt;uuid&gt;/cancel</c> as sent; any other
    /// path is whatever the client typed (an e-mail address, say), so only its length is shown.</summary>
    internal static string LoggedPath(string rawPath)
    {
        var path = rawPath.TrimEnd('/');
        var isOrders = path == "/orders";
        var id = path.EndsWith(CancelSuffix, StringComparison.Ordinal) ? path[..^CancelSuffix.Length] : path;
        var isOrder = id.Length == "/orders/".Length + 36 && id.StartsWith("/orders/", StringComparison.Ordinal) && Guid.TryParseExact(id["/orders/".Length..], "D", out _);
        return isOrders || isOrder ? path : $"(other path, {rawPath.Length} characters)";
    }

    /// <summary>No signed-in caller: the route has no JWT authorizer (a deployment mistake) or the token had no
    /// <c>sub</c>. Answered like a missing token (RFC 6750 section 3) instead of serving an anonymous caller.</summary>
    private HttpApiResponse Unauthorized(HttpApiRequest request, string correlationId)
    {
        // Which part was missing, never a claim's value: claims may hold personal data.
        var jwt = request.RequestContext.Authorizer?.Jwt;
        _log.Warn(
            "No signed-in caller (is the route missing its JWT authorizer?); answered 401",
            ("authorizer", request.RequestContext.Authorizer is not null),
            ("claims", jwt?.Claims.Count ?? 0));
        var response = Problem(401, "Unauthorized", correlationId, "Sign in and send the access token as Authorization: Bearer <token>.");
        response.Headers["WWW-Authenticate"] = "Bearer";
        return response;
    }

    private Task<HttpApiResponse> RouteAsync(HttpApiRequest request, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        var method = request.RequestContext.Http.Method.ToUpperInvariant();
        var path = request.RawPath.TrimEnd('/');
        if (path == "/orders")
        {
            return method == "POST"
                ? PlaceAsync(request, caller, correlationId, cancellationToken)
                : Task.FromResult(MethodNotAllowed("POST", correlationId));
        }

        if (path.StartsWith("/orders/", StringComparison.Ordinal) && path.EndsWith(CancelSuffix, StringComparison.Ordinal) && path.Length > "/orders/".Length + CancelSuffix.Length)
        {
            var id = request.PathParameters is { } parameters && parameters.TryGetValue("id", out var fromRoute) ? fromRoute : Uri.UnescapeDataString(path["/orders/".Length..^CancelSuffix.Length]);
            return method == "POST"
                ? CancelAsync(id, caller, correlationId, cancellationToken)
                : Task.FromResult(MethodNotAllowed("POST", correlationId));
        }

        if (path.StartsWith("/orders/", StringComparison.Ordinal))
        {
            var id = request.PathParameters is { } parameters && parameters.TryGetValue("id", out var fromRoute) ? fromRoute : Uri.UnescapeDataString(path["/orders/".Length..]);
            return method == "GET"
                ? GetAsync(id, caller, correlationId, cancellationToken)
                : Task.FromResult(MethodNotAllowed("GET", correlationId));
        }

        return Task.FromResult(Problem(404, "Not found", correlationId, $"No route for {method} {request.RawPath}."));
    }

    private async Task<HttpApiResponse> PlaceAsync(HttpApiRequest request, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        var idempotencyKey = RequestHeaders.ParseIdempotencyKey(request.GetHeader(IdempotencyHeader));
        if (!idempotencyKey.IsValid)
        {
            return Problem(400, "Invalid header", correlationId, errors: [new FieldError(IdempotencyHeader, idempotencyKey.Error!)]);
        }

        if (idempotencyKey.Key is null)
        {
            // Required, as draft-ietf-httpapi-idempotency-key-header section 2.7 allows a resource to make it: a retry
            // without a key cannot be told from a second order.
            return Problem(400, "Missing header", correlationId, errors: [new FieldError(IdempotencyHeader, MissingKeyMessage)]);
        }

        if (!TryDecodeBody(request, out var body))
        {
            return Problem(400, "Invalid order", correlationId, errors: [new FieldError("$", "The body is marked base64 but is not valid base64.")]);
        }

        // Size first (cheapest, and a 64 KB limit protects everything after it), then media type, then content.
        var check = body.Length > Contracts.Orders.OrderRules.MaxBodyBytes
            ? OrderRequestValidator.CheckBody(body)
            : OrderRequestValidator.CheckContentType(request.GetHeader("content-type"))
                ?? OrderRequestValidator.CheckContentEncoding(request.GetHeader("content-encoding"))
                ?? OrderRequestValidator.CheckBody(body, _smsAllowedCountryCodes);
        if (!check.IsValid)
        {
            _log.Info("Order rejected", ("status", check.Status), ("errors", check.Errors.Count));
            return Problem(check.Status, check.Title, correlationId, errors: [.. check.Errors]);
        }

        var result = await _service.PlaceAsync(check.Command!, caller, idempotencyKey.Key, correlationId, cancellationToken);
        switch (result.Status)
        {
            case PlaceOrderStatus.Forbidden:
                _log.Info("Order refused: the caller may not place it", ("operator", caller.IsOperator));
                return Problem(403, "Forbidden", correlationId, result.Refusal);
            case PlaceOrderStatus.KeyConflict:
                return Problem(409, "Idempotency key reused", correlationId, "This Idempotency-Key was already used with a different request body.");
            case PlaceOrderStatus.InProgress:
                var busy = Problem(409, "Request in progress", correlationId, "A request with this Idempotency-Key is being processed; retry it after the Retry-After delay.");
                busy.Headers["Retry-After"] = "1";
                return busy;
        }

        if (result.PublishError is { } publishError)
        {
            // Only the exception type: its message may quote the envelope, which holds personal data.
            _log.Warn("OrderPlaced not published inline; its outbox entry is durable and the relay publishes it", ("orderId", result.OrderId), ("error", publishError.GetType().Name));
        }

        _log.Info(result.Status == PlaceOrderStatus.Replayed ? "Order replayed for idempotency key" : "Order accepted", ("orderId", result.OrderId));
        var accepted = Json(202, JsonSerializer.Serialize(new OrderAccepted { OrderId = result.OrderId! }, OrderIntakeJsonContext.Default.OrderAccepted));
        accepted.Headers["Location"] = "/orders/" + result.OrderId;
        if (result.Status == PlaceOrderStatus.Replayed)
        {
            accepted.Headers["Idempotent-Replayed"] = "true";
        }

        return accepted;
    }

    private async Task<HttpApiResponse> CancelAsync(string id, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        if (InvalidOrderId(id, correlationId, out var orderId) is { } invalid)
        {
            return invalid;
        }

        var result = await _service.CancelAsync(orderId, caller, correlationId, cancellationToken);
        switch (result.Status)
        {
            case CancelOrderStatus.NotFound:
                return Problem(404, "Order not found", correlationId, $"There is no order {orderId}.");
            case CancelOrderStatus.NotCancellable:
                var conflict = Problem(409, "Order cannot be cancelled", correlationId, $"Order {orderId} is {result.CurrentStatus}; only a PENDING or COMPLETED order can be cancelled.");
                conflict.Body = JsonSerializer.Serialize(
                    new ProblemDetails { Title = "Order cannot be cancelled", Status = 409, Detail = $"Order {orderId} is {result.CurrentStatus}; only a PENDING or COMPLETED order can be cancelled.", OrderId = orderId, CorrelationId = correlationId },
                    OrderIntakeJsonContext.Default.ProblemDetails);
                return conflict;
        }

        if (result.PublishError is { } publishError)
        {
            _log.Warn("OrderCancelled not published inline; its outbox entry is durable and the relay publishes it", ("orderId", orderId), ("error", publishError.GetType().Name));
        }

        _log.Info(result.Status == CancelOrderStatus.Accepted ? "Cancellation accepted" : "Cancellation already accepted", ("orderId", orderId));
        var accepted = Json(202, JsonSerializer.Serialize(new OrderAccepted { OrderId = orderId, Status = OrderStatuses.Cancelling }, OrderIntakeJsonContext.Default.OrderAccepted));
        accepted.Headers["Location"] = "/orders/" + orderId;
        return accepted;
    }

    /// <summary>Guid.TryParseExact trims white space, so "&lt;uuid&gt;\n" would parse, miss the table and answer 404 with
    /// the newline echoed back: a UUID in "D" form is exactly 36 characters, and the parsed value is the key.</summary>
    private static HttpApiResponse? InvalidOrderId(string id, string correlationId, out string orderId)
    {
        if (id.Length != 36 || !Guid.TryParseExact(id, "D", out var guid))
        {
            orderId = "";
            return Problem(400, "Invalid order id", correlationId, errors: [new FieldError("id", "An order id is a UUID such as 0192f0c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f.")]);
        }

        orderId = guid.ToString("D");
        return null;
    }

    private async Task<HttpApiResponse> GetAsync(string id, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        if (InvalidOrderId(id, correlationId, out var orderId) is { } invalid)
        {
            return invalid;
        }

        // Someone else's order gets the very answer a missing one gets, so order ids cannot be probed.
        var view = await _service.GetAsync(orderId, caller, cancellationToken);
        return view is null
            ? Problem(404, "Order not found", correlationId, $"There is no order {orderId}.")
            : Json(200, JsonSerializer.Serialize(view, OrderIntakeJsonContext.Default.OrderView));
    }

    private static bool TryDecodeBody(HttpApiRequest request, out ReadOnlyMemory<byte> body)
    {
        if (request.Body is null)
        {
            body = ReadOnlyMemory<byte>.Empty;
            return true;
        }

        if (!request.IsBase64Encoded)
        {
            body = Encoding.UTF8.GetBytes(request.Body);
            return true;
        }

        var buffer = new byte[(request.Body.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(request.Body, buffer, out var written))
        {
            body = buffer.AsMemory(0, written);
            return true;
        }

        body = ReadOnlyMemory<byte>.Empty;
        return false;
    }

    private static HttpApiResponse MethodNotAllowed(string allowed, string correlationId)
    {
        var response = Problem(405, "Method not allowed", correlationId, $"Use {allowed}.");
        response.Headers["Allow"] = allowed;
        return response;
    }

    private static HttpApiResponse Json(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", [CacheControlHeader] = NoStore },
        Body = body,
    };

    private static HttpApiResponse Problem(int status, string title, string correlationId, string? detail = null, List<FieldError>? errors = null)
    {
        var problem = new ProblemDetails { Title = title, Status = status, Detail = detail, Errors = errors, CorrelationId = correlationId };
        return new HttpApiResponse
        {
            StatusCode = status,
            Headers = new Dictionary<string, string> { ["Content-Type"] = ProblemJson, [CacheControlHeader] = NoStore },
            Body = JsonSerializer.Serialize(problem, OrderIntakeJsonContext.Default.ProblemDetails),
        };
    }
}
