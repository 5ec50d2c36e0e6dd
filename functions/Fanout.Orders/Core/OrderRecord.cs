namespace Fanout.Orders.Core;

/// <summary>The per-service statuses an order shows.</summary>
public static class ServiceStatus
{
    public const string Pending = "PENDING";
    public const string Sent = "SENT";
    public const string Skipped = "SKIPPED";
    public const string Reserved = "RESERVED";
    public const string Rejected = "REJECTED";

    /// <summary>Inventory gave back what it held for a cancelled order (possibly nothing).</summary>
    public const string Released = "RELEASED";
}

/// <summary>The order's own status, as <c>GET /orders/{id}</c> shows it.</summary>
public static class OrderStatuses
{
    /// <summary>Placed; some service has not reported its outcome yet.</summary>
    public const string Pending = "PENDING";

    /// <summary>Every service reported, and inventory reserved the stock.</summary>
    public const string Completed = "COMPLETED";

    /// <summary>Every service reported, and inventory could not reserve the stock.</summary>
    public const string Rejected = "REJECTED";

    /// <summary>A cancellation was accepted; inventory has not yet said what it gave back.</summary>
    public const string Cancelling = "CANCELLING";

    /// <summary>Cancelled, and inventory gave back whatever it held.</summary>
    public const string Cancelled = "CANCELLED";
}

/// <summary>The services whose outcomes an order tracks (also the status attribute names).</summary>
public static class TrackedServices
{
    public const string Sms = "sms";
    public const string Email = "email";
    public const string Inventory = "inventory";

    public static IReadOnlyList<string> All { get; } = [Sms, Email, Inventory];
}

/// <summary>An order as the order service stores it.</summary>
/// <param name="EventJson">The exact <c>OrderPlaced</c> envelope, so a re-publish sends identical bytes.</param>
/// <param name="RequestHash">SHA-256 of the canonical request: decides "same body" for an idempotency key.</param>
/// <param name="PublishedAt">When <c>OrderPlaced</c> was published; null while a publish is still owed.</param>
public sealed record OrderRecord(
    string OrderId,
    string EventJson,
    string CorrelationId,
    string RequestHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt,
    IReadOnlyDictionary<string, string> Statuses);

public enum CreateOrderStatus
{
    Created,

    /// <summary>The idempotency key was used before with the same request: here is that order.</summary>
    ExistingForKey,

    /// <summary>The idempotency key was used before with a different request.</summary>
    KeyConflict,

    /// <summary>A concurrent request with the same idempotency key is being written (DynamoDB cancelled the
    /// transaction with <c>TransactionConflict</c>); its outcome is not known yet.</summary>
    InProgress,
}

public sealed record CreateOrderResult(CreateOrderStatus Status, OrderRecord? Order);

public enum ApplyOutcomeStatus
{
    Applied,
    Duplicate,
    OrderMissing,

    /// <summary>The service already has a different final status: a second, contradicting outcome.</summary>
    Conflict,
}

/// <summary>The order service's storage. Every write is conditional; nothing is ever blindly overwritten.</summary>
public interface IOrderStore
{
    /// <param name="idempotencyKey">The key that names this request, or null; callers scope it (one namespace per
    /// customer) before passing it, the store compares it as an opaque string.</param>
    Task<CreateOrderResult> CreateAsync(OrderRecord order, string? idempotencyKey, CancellationToken cancellationToken);

    Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken);

    Task MarkPublishedAsync(string orderId, DateTimeOffset publishedAt, CancellationToken cancellationToken);

    Task<ApplyOutcomeStatus> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken);
}
