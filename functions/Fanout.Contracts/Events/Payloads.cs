using System.Text.Json.Serialization;

namespace Fanout.Contracts.Events;

/// <summary><c>OrderPlaced</c>: the order service accepted and stored an order.</summary>
public sealed class OrderPlaced
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("customer")]
    public CustomerInfo Customer { get; set; } = new();

    [JsonPropertyName("items")]
    public List<OrderLine> Items { get; set; } = [];

    [JsonPropertyName("placedAt")]
    public DateTimeOffset PlacedAt { get; set; }
}

public sealed class CustomerInfo
{
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    [JsonPropertyName("email")]
    public string Email { get; set; } = "";

    [JsonPropertyName("phone")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Phone { get; set; }
}

public sealed class OrderLine
{
    [JsonPropertyName("sku")]
    public string Sku { get; set; } = "";

    /// <summary>1 to 1000. Any JSON number whose value is whole reads as that number (<c>2.0</c> is 2), as the
    /// schemas' "integer" means; see <see cref="IntegralNumberConverter"/>.</summary>
    [JsonPropertyName("quantity")]
    [JsonConverter(typeof(IntegralNumberConverter))]
    public int Quantity { get; set; }
}

/// <summary>How an SMS outcome ended.</summary>
public static class SmsDelivery
{
    public const string Sent = "SENT";

    /// <summary>The customer gave no phone number, so no SMS was due.</summary>
    public const string Skipped = "SKIPPED";
}

/// <summary>Which notification a customer was sent: one per fact that concerns them.</summary>
public static class NotificationKinds
{
    /// <summary>For <c>OrderPlaced</c>: "we received your order".</summary>
    public const string OrderReceived = "ORDER_RECEIVED";

    /// <summary>For <c>InventoryRejected</c>: "we could not fulfil your order".</summary>
    public const string OrderNotFulfilled = "ORDER_NOT_FULFILLED";

    /// <summary>For <c>OrderCancelled</c>: "your order is cancelled".</summary>
    public const string OrderCancelled = "ORDER_CANCELLED";

    public static IReadOnlyList<string> All { get; } = [OrderReceived, OrderNotFulfilled, OrderCancelled];

    /// <summary>The notification a fact of <paramref name="eventType"/> calls for, or null when it calls for none.</summary>
    public static string? For(string? eventType) => eventType switch
    {
        EventTypes.OrderPlaced => OrderReceived,
        EventTypes.InventoryRejected => OrderNotFulfilled,
        EventTypes.OrderCancelled => OrderCancelled,
        _ => null,
    };
}

/// <summary><c>SmsSent</c>: the SMS service finished with one notification of an order (sent, or skipped for want
/// of a phone).</summary>
public sealed class SmsSent
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    /// <summary>One of <see cref="NotificationKinds"/>.</summary>
    [JsonPropertyName("notification")]
    public string Notification { get; set; } = NotificationKinds.OrderReceived;

    [JsonPropertyName("delivery")]
    public string Delivery { get; set; } = SmsDelivery.Sent;

    [JsonPropertyName("providerMessageId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ProviderMessageId { get; set; }
}

/// <summary><c>EmailSent</c>: one notification e-mail of an order was handed to the provider.</summary>
public sealed class EmailSent
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    /// <summary>One of <see cref="NotificationKinds"/>.</summary>
    [JsonPropertyName("notification")]
    public string Notification { get; set; } = NotificationKinds.OrderReceived;

    [JsonPropertyName("providerMessageId")]
    public string ProviderMessageId { get; set; } = "";
}

/// <summary><c>InventoryReserved</c>: stock for every line was reserved in one transaction.</summary>
public sealed class InventoryReserved
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("items")]
    public List<OrderLine> Items { get; set; } = [];
}

/// <summary><c>InventoryRejected</c>: at least one line could not be reserved; nothing was reserved.</summary>
public sealed class InventoryRejected
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("reason")]
    public string Reason { get; set; } = RejectionReasons.InsufficientStock;

    /// <summary>Whom to tell, copied from the order's <c>OrderPlaced</c> (event-carried state: the notifiers read
    /// no other service's table).</summary>
    [JsonPropertyName("customer")]
    public CustomerInfo Customer { get; set; } = new();

    /// <summary>The SKUs that lacked stock (or are unknown to the inventory).</summary>
    [JsonPropertyName("unavailableSkus")]
    public List<string> UnavailableSkus { get; set; } = [];
}

public static class RejectionReasons
{
    public const string InsufficientStock = "INSUFFICIENT_STOCK";
}

/// <summary>Who asked for a cancellation.</summary>
public static class CancellationRequesters
{
    public const string Customer = "customer";
    public const string Operator = "operator";
}

/// <summary><c>OrderCancelled</c>: the order service accepted a cancellation of an order that was not already
/// rejected or cancelled. Inventory compensates; the notifiers tell the customer.</summary>
public sealed class OrderCancelled
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    /// <summary>Whom to tell, as the order was placed.</summary>
    [JsonPropertyName("customer")]
    public CustomerInfo Customer { get; set; } = new();

    [JsonPropertyName("cancelledAt")]
    public DateTimeOffset CancelledAt { get; set; }

    /// <summary>One of <see cref="CancellationRequesters"/>.</summary>
    [JsonPropertyName("cancelledBy")]
    public string CancelledBy { get; set; } = CancellationRequesters.Customer;
}

/// <summary><c>InventoryReleased</c>: inventory gave back exactly what it held for a cancelled order, in one
/// transaction with its idempotency record. <see cref="Items"/> is empty when nothing was held (the order was
/// rejected, or the cancellation arrived before the order itself).</summary>
public sealed class InventoryReleased
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("items")]
    public List<OrderLine> Items { get; set; } = [];
}
