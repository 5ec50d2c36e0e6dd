using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fanout.Contracts.Orders;

namespace Fanout.Contracts.Events;

/// <summary>A message that can never be processed: broken JSON, a missing field, an unknown type. Consumers
/// report it failed so redrive moves it to the DLQ instead of retrying it forever.</summary>
public sealed class PoisonMessageException : Exception
{
    public PoisonMessageException()
    {
    }

    public PoisonMessageException(string message)
        : base(message)
    {
    }

    public PoisonMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An inbound event whose envelope and payload passed every check.</summary>
/// <param name="Id">The CloudEvent id: the idempotency key.</param>
/// <param name="PayloadHash">SHA-256 of the raw <c>data</c> JSON: the same id with another payload is poison.</param>
public sealed record ParsedEvent<T>(string Id, string Type, string CorrelationId, T Data, string PayloadHash);

/// <summary>Reads and checks CloudEvents arriving from a queue. Unknown fields are ignored (forward
/// compatibility); missing or malformed required ones make the message poison.</summary>
public static class EventParser
{
    /// <summary>Parses the envelope only; the caller picks the payload by <see cref="RawCloudEvent.Type"/>.</summary>
    public static RawCloudEvent ParseEnvelope(string body)
    {
        RawCloudEvent? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(body, ContractsJsonContext.Default.RawCloudEvent);
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"The message body is not a CloudEvent JSON object: {ex.Message}", ex);
        }

        if (envelope is null)
        {
            throw new PoisonMessageException("The message body is JSON null, not a CloudEvent.");
        }

        Require(envelope.SpecVersion == CloudEvent<object>.SpecVersion10, $"specversion must be \"1.0\" (got \"{envelope.SpecVersion}\")");
        Require(!string.IsNullOrWhiteSpace(envelope.Id), "id is missing");
        Require(!string.IsNullOrWhiteSpace(envelope.Source), "source is missing");
        Require(!string.IsNullOrWhiteSpace(envelope.Type), "type is missing");
        Require(envelope.Time is not null, "time is missing");
        Require(!string.IsNullOrWhiteSpace(envelope.CorrelationId), "correlationid is missing");
        Require(envelope.Data.ValueKind == JsonValueKind.Object, "data must be a JSON object");
        return envelope;
    }

    /// <summary>Binds and checks the payload of an envelope already known to be of type <typeparamref name="T"/>.</summary>
    public static ParsedEvent<T> Bind<T>(RawCloudEvent envelope, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(typeInfo);
        T? data;
        try
        {
            data = envelope.Data.Deserialize(typeInfo);
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"data does not match {envelope.Type}: {ex.Message}", ex);
        }

        if (data is null)
        {
            throw new PoisonMessageException("data is null");
        }

        var problems = data switch
        {
            OrderPlaced placed => Check(placed),
            SmsSent sms => CheckOutcome(sms.OrderId, sms.Delivery is SmsDelivery.Sent or SmsDelivery.Skipped ? null : "delivery must be SENT or SKIPPED"),
            EmailSent email => CheckOutcome(email.OrderId, null),
            InventoryReserved reserved => CheckOutcome(reserved.OrderId, null),
            InventoryRejected rejected => CheckOutcome(rejected.OrderId, null),
            _ => [],
        };
        if (problems.Count > 0)
        {
            throw new PoisonMessageException($"{envelope.Type} {envelope.Id} breaks its schema: {string.Join("; ", problems)}");
        }

        return new ParsedEvent<T>(envelope.Id!, envelope.Type!, envelope.CorrelationId!, data, HashPayload(envelope.Data));
    }

    /// <summary>Parses a body that must hold an event of the given type.</summary>
    public static ParsedEvent<T> Parse<T>(string body, string expectedType, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var envelope = ParseEnvelope(body);
        if (!string.Equals(envelope.Type, expectedType, StringComparison.Ordinal))
        {
            throw new PoisonMessageException($"expected a {expectedType} event, got \"{envelope.Type}\"");
        }

        return Bind(envelope, typeInfo);
    }

    /// <summary>Lower-case hex SHA-256 of the payload's raw JSON text.</summary>
    public static string HashPayload(JsonElement data) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(data.GetRawText())));

    private static List<string> Check(OrderPlaced placed)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(placed.OrderId))
        {
            problems.Add("orderId is missing");
        }

        if (!OrderRules.IsValidEmail(placed.Customer?.Email))
        {
            problems.Add("customer.email is missing or invalid");
        }

        if (placed.Customer?.Phone is not null && !OrderRules.IsValidPhone(placed.Customer.Phone))
        {
            problems.Add("customer.phone is not E.164");
        }

        if (placed.Items is null || placed.Items.Count is < OrderRules.MinItems or > OrderRules.MaxItems)
        {
            problems.Add($"items must hold {OrderRules.MinItems} to {OrderRules.MaxItems} lines");
        }
        else if (placed.Items.Exists(line => line is null || !OrderRules.IsValidSku(line.Sku) || !OrderRules.IsValidQuantity(line.Quantity)))
        {
            problems.Add("every item needs a valid sku and a quantity from 1 to 1000");
        }

        return problems;
    }

    private static List<string> CheckOutcome(string orderId, string? extra)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(orderId))
        {
            problems.Add("orderId is missing");
        }

        if (extra is not null)
        {
            problems.Add(extra);
        }

        return problems;
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new PoisonMessageException("Invalid CloudEvent envelope: " + problem + ".");
        }
    }
}
