using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fanout.Contracts.Json;
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

/// <summary>Reads and checks CloudEvents arriving from a queue, by the rules the published schemas in
/// <c>schemas/events/</c> state: the two are one contract, and <c>EventContractAgreementTests</c> proves they accept
/// and refuse the same envelopes. Every refusal is a <see cref="PoisonMessageException"/> with every reason found.</summary>
/// <remarks>
/// <para>The body must be I-JSON (RFC 7493): well-formed UTF-16 throughout (no unpaired surrogate, in values or
/// member names) and no member name twice, so no two readers can see different values for one name.</para>
/// <para>The envelope is open to CloudEvents extension attributes (lower-case names; string, integer or boolean
/// values), for forward compatibility; every payload object is closed, as its schema says.</para>
/// <para>No string anywhere in the envelope may hold a control character, and every pattern anchors at the true
/// end of the string (see <see cref="EventRules"/>).</para>
/// </remarks>
public static class EventParser
{
    private const string JsonContentType = "application/json";
    private const string SkuRule = "must be 3 to 32 upper-case letters or digits in hyphen-separated groups";

    private static readonly JsonDocumentOptions _iJson = new() { AllowDuplicateProperties = false };

    private static readonly string[] _envelopeAttributes =
        ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "correlationid", "traceparent", "data"];

    /// <summary>Parses and checks the envelope only (the attributes every event type shares); the caller picks the
    /// payload by <see cref="RawCloudEvent.Type"/> and calls <see cref="Bind{T}"/>, which checks the rest.</summary>
    /// <exception cref="PoisonMessageException">The body is not I-JSON, not an object, or breaks an envelope rule.</exception>
    public static RawCloudEvent ParseEnvelope(string? body)
    {
        if (body is null)
        {
            throw new PoisonMessageException("The message has no body.");
        }

        var unpaired = EventRules.IndexOfUnpairedSurrogate(body);
        if (unpaired >= 0)
        {
            throw new PoisonMessageException($"The message body is not well-formed UTF-16: an unpaired surrogate at character {unpaired}.");
        }

        try
        {
            using var document = JsonDocument.Parse(body, _iJson);
            RequireWellFormedText(document.RootElement);
            CheckEnvelope(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"The message body is not a CloudEvent JSON object: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // The duplicate-name check decodes every member name while parsing, and an unpaired surrogate in one
            // fails there, before any path is known: find it again without that check, to name where it is.
            throw new PoisonMessageException($"The message body is not a CloudEvent JSON object: {FindIllFormedText(body) ?? ex.Message}", ex);
        }

        try
        {
            // Every attribute was checked above, so this cannot fail; the catch only keeps the promise that a
            // message is either an envelope or poison.
            return JsonSerializer.Deserialize(body, ContractsJsonContext.Default.RawCloudEvent)
                ?? throw new PoisonMessageException("The message body is JSON null, not a CloudEvent.");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"The message body is not a CloudEvent JSON object: {ex.Message}", ex);
        }
    }

    /// <summary>Checks the type-specific envelope attributes (<c>source</c>, <c>subject</c>, <c>datacontenttype</c>)
    /// and the payload of an envelope already known to be of type <typeparamref name="T"/>, then binds the payload.</summary>
    /// <exception cref="PoisonMessageException">The envelope is not a <typeparamref name="T"/> event or breaks its schema.</exception>
    public static ParsedEvent<T> Bind<T>(RawCloudEvent envelope, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (envelope.Data.ValueKind != JsonValueKind.Object)
        {
            throw new PoisonMessageException($"{envelope.Type} {envelope.Id}: data must be a JSON object.");
        }

        try
        {
            RequireWellFormedText(envelope.Data, "data");
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException($"{envelope.Type} {envelope.Id}: {ex.Message}", ex);
        }

        if (TypeOf(typeof(T)) is { } expectedType)
        {
            if (!string.Equals(envelope.Type, expectedType, StringComparison.Ordinal))
            {
                throw new PoisonMessageException($"expected a {expectedType} event, got {JsonChecks.Quote(envelope.Type ?? "")}");
            }

            var problems = CheckTypedEnvelope(envelope, expectedType);
            if (problems.Count > 0)
            {
                throw new PoisonMessageException($"{expectedType} {envelope.Id} breaks its schema: {string.Join("; ", problems)}.");
            }
        }

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

        return new ParsedEvent<T>(envelope.Id!, envelope.Type!, envelope.CorrelationId!, data, HashPayload(envelope.Data));
    }

    /// <summary>Parses a body that must hold an event of the given type.</summary>
    public static ParsedEvent<T> Parse<T>(string? body, string expectedType, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var envelope = ParseEnvelope(body);
        if (!string.Equals(envelope.Type, expectedType, StringComparison.Ordinal))
        {
            throw new PoisonMessageException($"expected a {expectedType} event, got {JsonChecks.Quote(envelope.Type ?? "")}");
        }

        return Bind(envelope, typeInfo);
    }

    /// <summary>Lower-case hex SHA-256 of the payload's raw JSON text.</summary>
    public static string HashPayload(JsonElement data) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(data.GetRawText())));

    private static string? TypeOf(Type payload) =>
        payload == typeof(OrderPlaced) ? EventTypes.OrderPlaced
        : payload == typeof(SmsSent) ? EventTypes.SmsSent
        : payload == typeof(EmailSent) ? EventTypes.EmailSent
        : payload == typeof(InventoryReserved) ? EventTypes.InventoryReserved
        : payload == typeof(InventoryRejected) ? EventTypes.InventoryRejected
        : payload == typeof(OrderCancelled) ? EventTypes.OrderCancelled
        : payload == typeof(InventoryReleased) ? EventTypes.InventoryReleased
        : null;

    private static string? FindIllFormedText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            RequireWellFormedText(document.RootElement);
            return null;
        }
        catch (JsonException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Throws a <see cref="JsonException"/> naming the first string or member name that is not well-formed
    /// UTF-16; System.Text.Json would otherwise throw an <see cref="InvalidOperationException"/> on reading it.</summary>
    /// <param name="at">The path of <paramref name="root"/> in the body ("" for the body itself).</param>
    private static void RequireWellFormedText(JsonElement root, string at = "")
    {
        if (JsonTextScan.Find(root, duplicates: false) is [var (problem, relative), ..])
        {
            var path = relative.Length == 0 ? at : JsonChecks.Join(at, relative);
            throw new JsonException(problem == JsonTextProblem.IllFormedName
                ? $"a member name in {(path.Length == 0 ? "the envelope" : path)} is not well-formed UTF-16 (an unpaired surrogate)"
                : $"{(path.Length == 0 ? "the body" : path)} is not well-formed UTF-16 (an unpaired surrogate)");
        }
    }

    private static void CheckEnvelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PoisonMessageException($"The message body is {JsonChecks.Kind(root)}, not a CloudEvent JSON object.");
        }

        var checks = new JsonChecks();
        checks.String(root, "", "specversion", true, v => v == CloudEvent<object>.SpecVersion10, "must be \"1.0\"");
        checks.String(root, "", "id", true, EventRules.IsEventId, "must be a lower-case UUID version 8 (EventIds.For)");
        checks.String(root, "", "source", true, EventRules.IsSource, "must be 1 to 256 printable ASCII characters");
        checks.String(root, "", "type", true, EventRules.IsType, "must be a letter then up to 127 letters, digits or dots");
        checks.String(root, "", "subject", false, EventRules.IsOrderId, "must be a lower-case UUID (the order id)");
        checks.String(root, "", "time", true, EventRules.IsTimestamp, "must be an RFC 3339 date-time such as 2026-03-14T09:26:53Z");
        checks.String(root, "", "datacontenttype", false, v => v == JsonContentType, "must be \"application/json\"");
        checks.String(root, "", "correlationid", true, EventRules.IsCorrelationId, "must be 1 to 128 letters, digits, '.', '_', ':' or '-'");
        checks.String(root, "", "traceparent", false, EventRules.IsTraceParent, "must be a W3C traceparent of version 00 (00-<32 hex>-<16 hex>-<2 hex>, lower case, ids not all zero)");
        if (checks.Member(root, "", "data", true, out var data) && data.ValueKind != JsonValueKind.Object)
        {
            checks.Add($"data must be a JSON object (got {JsonChecks.Kind(data)})");
        }

        foreach (var attribute in root.EnumerateObject())
        {
            if (!_envelopeAttributes.Contains(attribute.Name))
            {
                CheckExtension(checks, attribute);
            }
        }

        if (checks.Problems.Count > 0)
        {
            throw new PoisonMessageException("Invalid CloudEvent envelope: " + string.Join("; ", checks.Problems) + ".");
        }
    }

    /// <summary>CloudEvents 1.0 extension attributes: a lower-case name and a string, integer or boolean value.</summary>
    private static void CheckExtension(JsonChecks checks, JsonProperty attribute)
    {
        if (!EventRules.IsAttributeName(attribute.Name))
        {
            checks.Add($"attribute name {JsonChecks.Quote(attribute.Name)} is not 1 to 20 lower-case letters or digits (CloudEvents 1.0)");
            return;
        }

        var value = attribute.Value;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                checks.String(value, attribute.Name, _ => true, "");
                break;
            case JsonValueKind.Number when IntegralNumberConverter.ReadWholeNumber(value) is null:
                checks.Add($"{attribute.Name} must be a 32-bit integer when it is a number (got {value.GetRawText()})");
                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                break;
            default:
                checks.Add($"{attribute.Name} must be a string, an integer or a boolean (got {JsonChecks.Kind(value)})");
                break;
        }
    }

    private static List<string> CheckTypedEnvelope(RawCloudEvent envelope, string type)
    {
        var checks = new JsonChecks();
        var source = EventSources.For(type);
        if (!string.Equals(envelope.Source, source, StringComparison.Ordinal))
        {
            checks.Add($"source must be \"{source}\" for {type} (got {JsonChecks.Quote(envelope.Source ?? "")})");
        }

        if (!EventRules.IsOrderId(envelope.Subject))
        {
            checks.Add(envelope.Subject is null ? "subject is missing" : "subject must be a lower-case UUID (the order id)");
        }

        if (!string.Equals(envelope.DataContentType, JsonContentType, StringComparison.Ordinal))
        {
            checks.Add(envelope.DataContentType is null ? "datacontenttype is missing" : "datacontenttype must be \"application/json\"");
        }

        var data = envelope.Data;
        switch (type)
        {
            case EventTypes.OrderPlaced:
                CheckOrderPlaced(checks, data);
                break;
            case EventTypes.SmsSent:
                CheckSmsSent(checks, data);
                break;
            case EventTypes.EmailSent:
                checks.ClosedObject(data, "data", "orderId", "notification", "providerMessageId");
                CheckOrderId(checks, data);
                CheckNotification(checks, data);
                CheckProviderMessageId(checks, data, required: true);
                break;
            case EventTypes.InventoryReserved:
                checks.ClosedObject(data, "data", "orderId", "items");
                CheckOrderId(checks, data);
                CheckLines(checks, data, OrderRules.MinItems);
                break;
            case EventTypes.OrderCancelled:
                CheckOrderCancelled(checks, data);
                break;
            case EventTypes.InventoryReleased:
                checks.ClosedObject(data, "data", "orderId", "items");
                CheckOrderId(checks, data);
                // Empty when nothing was held: the order was rejected, or its cancellation arrived first.
                CheckLines(checks, data, 0);
                break;
            default:
                CheckInventoryRejected(checks, data);
                break;
        }

        return [.. checks.Problems];
    }

    private static void CheckOrderPlaced(JsonChecks checks, JsonElement data)
    {
        checks.ClosedObject(data, "data", "orderId", "customer", "items", "placedAt");
        CheckOrderId(checks, data);
        CheckCustomer(checks, data);
        CheckLines(checks, data, OrderRules.MinItems);
        checks.String(data, "data", "placedAt", true, EventRules.IsTimestamp, "must be an RFC 3339 date-time such as 2026-03-14T09:26:53Z");
    }

    private static void CheckOrderCancelled(JsonChecks checks, JsonElement data)
    {
        checks.ClosedObject(data, "data", "orderId", "customer", "cancelledAt", "cancelledBy");
        CheckOrderId(checks, data);
        CheckCustomer(checks, data);
        checks.String(data, "data", "cancelledAt", true, EventRules.IsTimestamp, "must be an RFC 3339 date-time such as 2026-03-14T09:26:53Z");
        checks.String(data, "data", "cancelledBy", true, v => v is CancellationRequesters.Customer or CancellationRequesters.Operator, "must be customer or operator");
    }

    /// <summary>The customer as the order was placed (OrderPlaced, OrderCancelled, InventoryRejected carry the same object).</summary>
    private static void CheckCustomer(JsonChecks checks, JsonElement data)
    {
        if (checks.Member(data, "data", "customer", true, out var customer) && checks.ClosedObject(customer, "data.customer", "id", "email", "phone"))
        {
            // Personal data: a poison reason lands in logs and failure records, so these values are never quoted.
            checks.String(customer, "data.customer", "id", true, OrderRules.IsValidCustomerId, "must be 1 to 64 letters, digits, '.', '_' or '-'", personal: true);
            checks.String(customer, "data.customer", "email", true, OrderRules.IsValidEmail, "must be an e-mail address of at most 254 characters", personal: true);
            checks.String(customer, "data.customer", "phone", false, OrderRules.IsValidPhone, "must be E.164, e.g. +14155550123", personal: true);
        }
    }

    private static void CheckNotification(JsonChecks checks, JsonElement data) =>
        checks.String(data, "data", "notification", true, v => NotificationKinds.All.Contains(v), "must be ORDER_RECEIVED, ORDER_NOT_FULFILLED or ORDER_CANCELLED");

    private static void CheckSmsSent(JsonChecks checks, JsonElement data)
    {
        checks.ClosedObject(data, "data", "orderId", "notification", "delivery", "providerMessageId");
        CheckOrderId(checks, data);
        CheckNotification(checks, data);
        var delivery = checks.String(data, "data", "delivery", true, v => v is SmsDelivery.Sent or SmsDelivery.Skipped, "must be SENT or SKIPPED");
        if (delivery == SmsDelivery.Sent)
        {
            CheckProviderMessageId(checks, data, required: true);
        }
        else if (delivery == SmsDelivery.Skipped && data.TryGetProperty("providerMessageId", out _))
        {
            checks.Add("data.providerMessageId must be absent when delivery is SKIPPED (nothing was sent)");
        }
    }

    private static void CheckInventoryRejected(JsonChecks checks, JsonElement data)
    {
        checks.ClosedObject(data, "data", "orderId", "reason", "customer", "unavailableSkus");
        CheckOrderId(checks, data);
        CheckCustomer(checks, data);
        checks.String(data, "data", "reason", true, v => v == RejectionReasons.InsufficientStock, "must be INSUFFICIENT_STOCK");
        if (checks.Array(data, "data", "unavailableSkus", OrderRules.MinItems, OrderRules.MaxItems) is { } skus)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < skus.Length; i++)
            {
                var at = JsonChecks.Index("data.unavailableSkus", i);
                if (checks.String(skus[i], at, OrderRules.IsValidSku, SkuRule) is { } sku && !seen.Add(sku))
                {
                    checks.Add($"{at} repeats {JsonChecks.Quote(sku)} (the SKUs are unique)");
                }
            }
        }
    }

    private static void CheckOrderId(JsonChecks checks, JsonElement data) =>
        checks.String(data, "data", "orderId", true, EventRules.IsOrderId, "must be a lower-case UUID");

    private static void CheckProviderMessageId(JsonChecks checks, JsonElement data, bool required) =>
        checks.String(data, "data", "providerMessageId", required, EventRules.IsProviderMessageId, "must be 1 to 256 printable ASCII characters");

    /// <param name="minItems">1 for an order or a reservation; 0 for a release, which may give back nothing.</param>
    private static void CheckLines(JsonChecks checks, JsonElement data, int minItems)
    {
        if (checks.Array(data, "data", "items", minItems, OrderRules.MaxItems) is not { } lines)
        {
            return;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var at = JsonChecks.Index("data.items", i);
            if (checks.ClosedObject(lines[i], at, "sku", "quantity"))
            {
                checks.String(lines[i], at, "sku", true, OrderRules.IsValidSku, SkuRule);
                checks.WholeNumber(lines[i], at, "quantity", OrderRules.MinQuantity, OrderRules.MaxQuantity);
            }
        }
    }
}
