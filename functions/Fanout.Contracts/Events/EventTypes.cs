namespace Fanout.Contracts.Events;

/// <summary>The fact types on the <c>order-events</c> topic: past-tense statements of what happened,
/// never commands. Each is also the SNS message attribute <c>type</c> that filter policies match.</summary>
public static class EventTypes
{
    public const string OrderPlaced = "OrderPlaced";
    public const string SmsSent = "SmsSent";
    public const string EmailSent = "EmailSent";
    public const string InventoryReserved = "InventoryReserved";
    public const string InventoryRejected = "InventoryRejected";

    /// <summary>The order service accepted a cancellation: the order is <c>CANCELLING</c> until inventory says what it gave back.</summary>
    public const string OrderCancelled = "OrderCancelled";

    /// <summary>Inventory gave back what it held for a cancelled order (possibly nothing).</summary>
    public const string InventoryReleased = "InventoryReleased";

    public static IReadOnlyList<string> All { get; } = [OrderPlaced, SmsSent, EmailSent, InventoryReserved, InventoryRejected, OrderCancelled, InventoryReleased];
}

/// <summary>SNS message attribute names every published event carries.</summary>
public static class EventAttributes
{
    public const string Type = "type";
    public const string CorrelationId = "correlationId";

    /// <summary>The W3C Trace Context <c>traceparent</c> (version 00: <c>00-&lt;32 hex trace id&gt;-&lt;16 hex parent id&gt;-&lt;2 hex flags&gt;</c>,
    /// W3C Recommendation "Trace Context" §3.2) of the hop that published the event; the same name as the CloudEvents
    /// distributed-tracing extension attribute.</summary>
    public const string TraceParent = "traceparent";
}

/// <summary>The <c>source</c> URIs of the CloudEvents each service emits.</summary>
public static class EventSources
{
    public const string Orders = "urn:fanout:orders";
    public const string Sms = "urn:fanout:sms";
    public const string Email = "urn:fanout:email";
    public const string Inventory = "urn:fanout:inventory";

    /// <summary>The one source that publishes <paramref name="type"/>, or null for a type not in <see cref="EventTypes.All"/>.</summary>
    public static string? For(string? type) => type switch
    {
        EventTypes.OrderPlaced or EventTypes.OrderCancelled => Orders,
        EventTypes.SmsSent => Sms,
        EventTypes.EmailSent => Email,
        EventTypes.InventoryReserved or EventTypes.InventoryRejected or EventTypes.InventoryReleased => Inventory,
        _ => null,
    };
}
