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

    /// <summary>The status computed from per-service statuses alone (no stored lifecycle): <see cref="Pending"/>
    /// while any service is <see cref="ServiceStatus.Pending"/>; then <see cref="Rejected"/> when inventory
    /// rejected, else <see cref="Completed"/>.</summary>
    public static string Of(IReadOnlyDictionary<string, string> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Values.Any(s => s == ServiceStatus.Pending))
        {
            return Pending;
        }

        return statuses.TryGetValue(TrackedServices.Inventory, out var inventory) && inventory == ServiceStatus.Rejected ? Rejected : Completed;
    }

    /// <summary>True for a status the order never leaves on its own: <see cref="Completed"/>, <see cref="Rejected"/>
    /// or <see cref="Cancelled"/> (a completed order may still be cancelled, by request).</summary>
    public static bool IsSettled(string status) => status is Completed or Rejected or Cancelled;
}

/// <summary>The open-orders markers of an order item (<see cref="Contracts.Topology.ReconcilerSpec"/>).</summary>
public static class OpenOrders
{
    /// <summary>The shard number of <paramref name="orderId"/>: 32-bit FNV-1a of its UTF-8 bytes, modulo
    /// <see cref="Contracts.Topology.ReconcilerSpec.OpenShards"/> (stable across processes, unlike
    /// <c>string.GetHashCode</c>).</summary>
    public static int ShardOf(string orderId)
    {
        ArgumentNullException.ThrowIfNull(orderId);
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(orderId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % Contracts.Topology.ReconcilerSpec.OpenShards);
    }

    /// <summary>The index partition key value: <c>OPEN#&lt;shard&gt;</c>.</summary>
    public static string ShardKey(int shard) => "OPEN#" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The index sort key value: UTC, ISO-8601 with seven fraction digits and <c>Z</c>, so that text order is
    /// time order.</summary>
    public static string Since(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
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
/// <param name="Statuses">Per-service statuses (<see cref="TrackedServices"/> → <see cref="ServiceStatus"/>).</param>
public sealed record OrderRecord(
    string OrderId,
    string EventJson,
    string CorrelationId,
    string RequestHash,
    DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string> Statuses)
{
    /// <summary>The stored lifecycle: null until a cancellation is accepted, then
    /// <see cref="OrderStatuses.Cancelling"/>, then <see cref="OrderStatuses.Cancelled"/>.</summary>
    public string? Lifecycle { get; init; }

    /// <summary>The exact <c>OrderCancelled</c> envelope, stored with the cancellation; null before one.</summary>
    public string? CancelEventJson { get; init; }

    /// <summary>When the order last became open (placed, or asked to cancel), while it is <c>PENDING</c> or
    /// <c>CANCELLING</c>; null once it is settled (the open-orders index forgot it).</summary>
    public DateTimeOffset? OpenSince { get; init; }

    /// <summary>When each service's outcome was applied (service → server time, UTC); a service is absent until
    /// its first outcome is applied, and <c>RELEASED</c> replaces the time of the outcome it follows.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> AppliedAt { get; init; } = EmptyTimes;

    /// <summary>When the last service stopped being <see cref="ServiceStatus.Pending"/> (server time, UTC); null
    /// while any service is pending.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The event ids of the outcomes applied so far (each is applied once).</summary>
    public IReadOnlySet<string> AppliedEvents { get; init; } = EmptyIds;

    /// <summary>The status <c>GET /orders/{id}</c> shows, one of <see cref="OrderStatuses"/>: the stored lifecycle
    /// when there is one, otherwise computed from the services' statuses.</summary>
    public string Status => Lifecycle ?? OrderStatuses.Of(Statuses);

    /// <summary>True while no outcome has been applied: nothing proves yet that <c>OrderPlaced</c> reached the
    /// topic, so the order still owes it (the order item is its own outbox entry for that fact).</summary>
    public bool OwesPlaced => Lifecycle is null && AppliedEvents.Count == 0 && Statuses.Values.All(s => s == ServiceStatus.Pending);

    private static readonly IReadOnlyDictionary<string, DateTimeOffset> EmptyTimes = new Dictionary<string, DateTimeOffset>();
    private static readonly IReadOnlySet<string> EmptyIds = new HashSet<string>();
}

public enum CreateOrderStatus
{
    Created,

    /// <summary>The idempotency key was used before with the same request: here is that order.</summary>
    ExistingForKey,

    /// <summary>The idempotency key was used before with a different request.</summary>
    KeyConflict,

    /// <summary>The key's order could not be read back after a conditional failure; its outcome is not known yet
    /// (the client retries).</summary>
    InProgress,
}

public sealed record CreateOrderResult(CreateOrderStatus Status, OrderRecord? Order);

/// <summary>What applying an outcome came to.</summary>
/// <param name="CreatedAt">The order's <c>createdAt</c> (its <c>OrderPlaced</c> <c>time</c>); null when the order is missing.</param>
/// <param name="AppliedAt">The server time the outcome was applied; null unless <see cref="ApplyOutcomeStatus.Applied"/>.</param>
public sealed record ApplyOutcomeResult(ApplyOutcomeStatus Status, DateTimeOffset? CreatedAt = null, DateTimeOffset? AppliedAt = null);

public enum ApplyOutcomeStatus
{
    Applied,
    Duplicate,
    OrderMissing,

    /// <summary>The service already has a different final status: a second, contradicting outcome.</summary>
    Conflict,
}

/// <summary>An order still open (<c>PENDING</c> or <c>CANCELLING</c>) as the reconciler finds it in the sparse
/// <see cref="Contracts.Topology.ReconcilerSpec.OpenOrdersIndex"/> index.</summary>
/// <param name="Status"><see cref="OrderStatuses.Pending"/> or <see cref="OrderStatuses.Cancelling"/>.</param>
/// <param name="OpenSince">When it became open (placed, or asked to cancel), UTC.</param>
/// <param name="PendingEvent">The fact it may still owe the topic, as stored: <c>OrderPlaced</c> while
/// <c>PENDING</c>, <c>OrderCancelled</c> while <c>CANCELLING</c>. Consumers deduplicate by its id.</param>
/// <param name="OwesPlaced">True when the pending fact is an <c>OrderPlaced</c> the order item still holds as its
/// outbox entry (no outcome applied yet: <see cref="OrderRecord.OwesPlaced"/>).</param>
public sealed record OpenOrder(string OrderId, string Status, DateTimeOffset OpenSince, Fanout.Functions.Common.Publishing.OutgoingEvent PendingEvent, bool OwesPlaced = false);

/// <summary>The order service's storage. Every write is conditional; nothing is ever blindly overwritten.</summary>
public interface IOrderStore
{
    /// <summary>The outbox in the same table: the <c>OrderCancelled</c> entries written with
    /// <see cref="RequestCancelAsync"/> are published and deleted through it. (An order's <c>OrderPlaced</c> needs no
    /// entry of its own: the order item holds it until an outcome proves it delivered, <see cref="OrderRecord.OwesPlaced"/>.)</summary>
    Outbox.IOutbox Outbox { get; }

    /// <summary>Writes the order in one conditional write: the order item is also the outbox entry of its
    /// <c>OrderPlaced</c> (<see cref="OrderRecord.EventJson"/>) and the record of the idempotency key, whose id it
    /// derives from (<see cref="OrderIds"/>). The key is remembered 24 h from the order's <c>createdAt</c>.</summary>
    /// <param name="order">The new order, with id <c>OrderIds.ForKey(idempotencyKey, OrderIds.DayOf(order.CreatedAt))</c>.</param>
    /// <param name="idempotencyKey">The key that names this request; callers scope it (one namespace per customer)
    /// before passing it, the store compares it as an opaque string.</param>
    /// <returns><see cref="CreateOrderStatus.Created"/> with <paramref name="order"/> when this call wrote it;
    /// <see cref="CreateOrderStatus.ExistingForKey"/> with the order the key named within the last 24 h for the same
    /// request; <see cref="CreateOrderStatus.KeyConflict"/> for another request.</returns>
    Task<CreateOrderResult> CreateAsync(OrderRecord order, string idempotencyKey, CancellationToken cancellationToken);

    Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken);

    /// <summary>Marks <paramref name="seen"/> <c>CANCELLING</c> (storing <paramref name="cancelled"/>'s envelope and
    /// reopening it at <paramref name="at"/>) and writes the outbox entry, in one transaction, on condition that the
    /// order still has no lifecycle and the service statuses <paramref name="seen"/> shows.</summary>
    /// <returns>False when the order changed since <paramref name="seen"/> was read (read it again and decide again).</returns>
    Task<bool> RequestCancelAsync(OrderRecord seen, Outbox.OutboxEntry cancelled, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records a service's outcome once per event id with its server time (<c>appliedAt</c>) and settles the
    /// order exactly once: <c>completedAt</c> once no service is pending, <c>CANCELLING</c> with inventory
    /// <c>RELEASED</c> becomes <c>CANCELLED</c>, and a settled order leaves the open-orders index. Settling happens in
    /// the outcome's own write when the order as read shows this outcome settles it; when another service's outcome
    /// raced in instead, in one follow-up write by whichever outcome was written last.</summary>
    Task<ApplyOutcomeResult> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken);
}

/// <summary>Whether an outcome changes an order: the one rule both stores apply.</summary>
public static class OutcomeRules
{
    /// <summary>Decides outcome <paramref name="eventId"/> (<paramref name="service"/> → <paramref name="status"/>)
    /// against <paramref name="order"/> as it is: <see cref="ApplyOutcomeStatus.Duplicate"/> for an event already
    /// applied, a final status the service already has (under another event id), or an inventory outcome after
    /// <c>RELEASED</c>; <see cref="ApplyOutcomeStatus.Applied"/> from <c>PENDING</c>, and for <c>RELEASED</c> (a
    /// compensation, each one its own fact) from any status;
    /// <see cref="ApplyOutcomeStatus.Conflict"/> for a second, different final status.</summary>
    public static ApplyOutcomeStatus Decide(OrderRecord order, string eventId, string service, string status)
    {
        ArgumentNullException.ThrowIfNull(order);
        var was = order.Statuses.TryGetValue(service, out var current) ? current : ServiceStatus.Pending;
        if (order.AppliedEvents.Contains(eventId) || (was == status && status != ServiceStatus.Released))
        {
            return ApplyOutcomeStatus.Duplicate;
        }

        if (status == ServiceStatus.Released || was == ServiceStatus.Pending)
        {
            return ApplyOutcomeStatus.Applied;
        }

        return was == ServiceStatus.Released ? ApplyOutcomeStatus.Duplicate : ApplyOutcomeStatus.Conflict;
    }
}
