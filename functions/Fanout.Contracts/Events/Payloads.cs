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

/// <summary><c>SmsSent</c>: the SMS service finished with an order (sent, or skipped for want of a phone).</summary>
public sealed class SmsSent
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

    [JsonPropertyName("delivery")]
    public string Delivery { get; set; } = SmsDelivery.Sent;

    [JsonPropertyName("providerMessageId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ProviderMessageId { get; set; }
}

/// <summary><c>EmailSent</c>: the order confirmation e-mail was handed to the provider.</summary>
public sealed class EmailSent
{
    [JsonPropertyName("orderId")]
    public string OrderId { get; set; } = "";

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

    /// <summary>The SKUs that lacked stock (or are unknown to the inventory).</summary>
    [JsonPropertyName("unavailableSkus")]
    public List<string> UnavailableSkus { get; set; } = [];
}

public static class RejectionReasons
{
    public const string InsufficientStock = "INSUFFICIENT_STOCK";
}
