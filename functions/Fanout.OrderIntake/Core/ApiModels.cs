using System.Text.Json.Serialization;

namespace Fanout.OrderIntake.Core;

/// <summary>One violated rule, named by a JSON path such as <c>items[2].quantity</c>.</summary>
public sealed record FieldError(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("message")] string Message);

/// <summary>An RFC 9457 problem document (<c>application/problem+json</c>).</summary>
public sealed class ProblemDetails
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "about:blank";

    [JsonPropertyName("title")]
    public string Title { get; set; } = "";

    [JsonPropertyName("status")]
    public int Status { get; set; }

    [JsonPropertyName("detail")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; set; }

    [JsonPropertyName("errors")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<FieldError>? Errors { get; set; }

    [JsonPropertyName("orderId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OrderId { get; set; }

    [JsonPropertyName("correlationId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorrelationId { get; set; }
}

/// <summary>The answer to an accepted <c>POST /orders</c>.</summary>
public sealed class OrderAccepted
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("status")]
    public string Status { get; set; } = "ACCEPTED";
}

/// <summary>The answer to <c>GET /orders/{id}</c>.</summary>
public sealed class OrderView
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    /// <summary><c>PENDING</c> while any service is pending, then <c>COMPLETED</c> or <c>REJECTED</c> (no stock).</summary>
    [JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("customer")]
    public Contracts.Events.CustomerInfo Customer { get; set; } = new();

    [JsonPropertyName("items")]
    public List<Contracts.Events.OrderLine> Items { get; set; } = [];

    [JsonPropertyName("services")]
    public Dictionary<string, string> Services { get; set; } = [];

    [JsonPropertyName("correlationId")]
    public string CorrelationId { get; set; } = "";

    /// <summary>When each service's outcome was applied to the order (key: service name as in <see cref="Services"/>;
    /// value: RFC 3339 UTC from the order status function's clock). A service still pending has no entry.</summary>
    [JsonPropertyName("appliedAt")]
    public Dictionary<string, DateTimeOffset> AppliedAt { get; set; } = [];

    /// <summary>When the last outcome was applied and the order left <c>PENDING</c> (server clock, RFC 3339 UTC);
    /// absent while it is pending.</summary>
    [JsonPropertyName("completedAt")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A validated order request.</summary>
public sealed class PlaceOrderCommand
{
    [JsonPropertyName("customer")]
    public Contracts.Events.CustomerInfo Customer { get; set; } = new();

    [JsonPropertyName("items")]
    public List<Contracts.Events.OrderLine> Items { get; set; } = [];
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(OrderAccepted))]
[JsonSerializable(typeof(OrderView))]
[JsonSerializable(typeof(PlaceOrderCommand))]
public sealed partial class OrderIntakeJsonContext : JsonSerializerContext;
