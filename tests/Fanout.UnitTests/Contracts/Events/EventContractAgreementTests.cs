using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Fanout.Contracts.Events;
using Fanout.UnitTests.TestEvents;
using Json.Schema;
using SchemaDocument = Json.Schema.JsonSchema;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>One contract, two checkers: the published schemas (schemas/events) and the consumers' parser must accept
/// and refuse the same envelopes. Thousands of generated envelopes of every type, valid and deliberately broken,
/// are put to both. CsCheck prints the seed of a failing run; pass it as <c>seed:</c> to replay it.</summary>
/// <remarks>
/// The schema side is JsonSchema.Net, which follows the draft-07 text (NJsonSchema, used by EventSchemaTests for the
/// schemas' shape, refuses 2.0 for "integer" although the draft says the value, not the spelling, counts). Before the
/// schema is consulted the text must be I-JSON (RFC 7493: no duplicate names, no unpaired surrogates, no number beyond
/// an IEEE 754 double), as the schemas' descriptions require and as a schema keyword cannot express.
/// </remarks>
[Trait("Category", "Unit")]
public sealed class EventContractAgreementTests
{
    // Written into the tree as plain text, swapped for an escaped lone surrogate in the final JSON text (a JsonNode
    // cannot hold one: the writer refuses ill-formed UTF-16).
    private const string LoneSurrogateMark = "LONESURROGATEMARK";

    private const string DuplicateMark = "DUPLICATEMARK";

    private static readonly Lazy<Dictionary<string, SchemaDocument>> _schemas = new(() => EventTypes.All.ToDictionary(
        type => type,
        type => SchemaDocument.FromFile(Path.Combine(AppContext.BaseDirectory, "schemas", "events", type + ".schema.json"))));

    private static readonly string[] _specials =
    [
        "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"", "\"00-00000000000000000000000000000000-00f067aa0ba902b7-01\"",
        "\"\"", "\" \"", "null", "true", "false", "0", "-1", "1", "-0", "1000", "1001", "2.5", "2.0", "2e0", "2E+0", "20e-1", "1e3",
        "1e400", "-1e400", "99999999999999999999", "2147483648", "[]", "{}", "[\"MUG-01\"]", "\"x\"", "\"MAYBE\"", "\"SENT\"", "\"SKIPPED\"",
        "\"INSUFFICIENT_STOCK\"", "\"ORDER_RECEIVED\"", "\"ORDER_CANCELLED\"", "\"customer\"", "\"operator\"", "\"1.0\"", "\"urn:fanout:sms\"", "\"urn:fanout:orders\"", "\"SmsSent\"", "\"OrderPlaced\"", "\"application/xml\"",
        "\"application/json\"", "\"2026-02-30T00:00:00Z\"", "\"2024-02-29T00:00:00Z\"", "\"2100-02-29T00:00:00Z\"", "\"2026-03-14\"",
        "\"2026-03-14T09:26:53\"", "\"2026-03-14t09:26:53z\"", "\"2026-03-14T23:59:60Z\"", "\"2026-03-14T09:26:53+14:01\"",
        "\"2026-03-14T09:26:53.1234567890Z\"", "\"1899-12-31T23:59:59Z\"", "\"0195A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B\"",
        "\"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\"", "\"a..b@example.com\"", "\"ada@example\"", "\"+0123456789\"", "\"+14155550123\"",
        "\"mug-01\"", "\"AB\"", "\"-MUG\"", "\"has space\"", "\"tab\\there\"", "\"nul\\u0000\"", "\"del\\u007f\"", "\"nel\\u0085\"",
        "\"" + LoneSurrogateMark + "\"", "\"\\ud83d\\ude00\"", "\"" + new string('A', 257) + "\"",
    ];

    private static readonly string[] _memberNames = ["extra", "Extra", "traceparent", "partitionkey", "x_y", "a\n", "aaaaaaaaaaaaaaaaaaaaa", "data2", LoneSurrogateMark];

    private static readonly string[] _appendices = ["\n", "\r\n", " ", "\u0000", "\u001f", "\u007f", "\u0085", "\t", LoneSurrogateMark, "x", "-"];

    private enum Op
    {
        Remove,
        Replace,
        Append,
        Prepend,
        Respell,
        AddMember,
        DuplicateMember,
        Truncate,
        Count,
    }

    [Fact]
    public void Parser_AndSchema_AgreeOnEveryGeneratedEnvelope()
    {
        var accepted = 0;
        var refused = 0;

        _cases.Sample(
            c =>
            {
                var schema = SchemaAccepts(c.Type, c.Json, out var schemaReason);
                var parser = ParserAccepts(c.Type, c.Json, out var parserReason);
                Assert.True(
                    schema == parser,
                    $"Schema {(schema ? "accepts" : "refuses")} but parser {(parser ? "accepts" : "refuses")} ({c.Mutations}).\n" +
                    $"schema: {schemaReason}\nparser: {parserReason}\n{c.Json}");
                Interlocked.Increment(ref schema ? ref accepted : ref refused);
            },
            iter: 4000,
            print: c => c.Type + " after [" + c.Mutations + "]: " + c.Json);

        // Both outcomes must be common, or the test would prove nothing about one of them.
        Assert.InRange(accepted, 600, 4000);
        Assert.InRange(refused, 600, 4000);
    }

    [Theory]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].quantity", "2.0", true)]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].quantity", "2e0", true)]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].quantity", "20e-1", true)]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].quantity", "2.5", false)]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].quantity", "1e400", false)]
    [InlineData(EventTypes.OrderPlaced, "correlationid", "\"corr-1\\n\"", false)]
    [InlineData(EventTypes.OrderPlaced, "data.items[0].sku", "\"MUG-01\\n\"", false)]
    [InlineData(EventTypes.OrderPlaced, "data.customer.email", "\"a..b@example.com\"", false)]
    [InlineData(EventTypes.OrderPlaced, "time", "\"2026-02-30T00:00:00Z\"", false)]
    [InlineData(EventTypes.OrderPlaced, "traceparent", "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"", true)]
    [InlineData(EventTypes.OrderPlaced, "Traceparent", "\"x\"", false)]
    [InlineData(EventTypes.SmsSent, "data.providerMessageId", "\"sms-1\\u0000\"", false)]
    [InlineData(EventTypes.EmailSent, "data.providerMessageId", "\"" + LoneSurrogateMark + "\"", false)]
    [InlineData(EventTypes.EmailSent, "data.notification", "\"ORDER_SHIPPED\"", false)]
    [InlineData(EventTypes.SmsSent, "data.notification", "\"ORDER_CANCELLED\"", true)]
    [InlineData(EventTypes.SmsSent, "data.notification", "\"ORDER_CANCELLED\\n\"", false)]
    [InlineData(EventTypes.OrderCancelled, "data.cancelledBy", "\"operator\"", true)]
    [InlineData(EventTypes.OrderCancelled, "data.cancelledBy", "\"Operator\"", false)]
    [InlineData(EventTypes.OrderCancelled, "data.cancelledAt", "\"2026-02-30T00:00:00Z\"", false)]
    [InlineData(EventTypes.OrderCancelled, "data.customer.phone", "\"+0123456789\"", false)]
    [InlineData(EventTypes.InventoryReleased, "data.items", "[]", true)]
    [InlineData(EventTypes.InventoryReleased, "data.items[0].quantity", "0", false)]
    [InlineData(EventTypes.InventoryRejected, "data.customer.email", "\"ada@example\"", false)]
    public void Parser_AndSchema_AgreeOnTheIssuesExamples(string type, string path, string json, bool expected)
    {
        var body = Sample(type).WithRaw(path, json.Replace(LoneSurrogateMark, "LS", StringComparison.Ordinal)).Build()
            .Replace("\"LS\"", "\"\\ud800\"", StringComparison.Ordinal);

        Assert.Equal(expected, SchemaAccepts(type, body, out var schemaReason));
        Assert.Equal(expected, ParserAccepts(type, body, out var parserReason));
        Assert.Equal(expected, schemaReason.Length == 0 && parserReason.Length == 0);
    }

    private static CloudEventBuilder Sample(string type) => type switch
    {
        EventTypes.OrderPlaced => CloudEventBuilder.OrderPlaced(),
        EventTypes.SmsSent => CloudEventBuilder.SmsSent(),
        EventTypes.EmailSent => CloudEventBuilder.EmailSent(),
        EventTypes.InventoryReserved => CloudEventBuilder.InventoryReserved(),
        EventTypes.OrderCancelled => CloudEventBuilder.OrderCancelled(),
        EventTypes.InventoryReleased => CloudEventBuilder.InventoryReleased(("MUG-01", 1)),
        _ => CloudEventBuilder.InventoryRejected(),
    };

    /// <summary>The schema's verdict on an I-JSON document; text that is not I-JSON is refused before any schema.</summary>
    internal static bool SchemaAccepts(string type, string json, out string reason)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            reason = "not I-JSON: " + ex.Message;
            return false;
        }
        catch (InvalidOperationException ex)
        {
            reason = "not I-JSON (a member name with an unpaired surrogate): " + ex.Message;
            return false;
        }

        using (document)
        {
            if (!WellFormed(document.RootElement))
            {
                reason = "not I-JSON: an unpaired surrogate, or a number beyond an IEEE 754 double";
                return false;
            }

            var results = _schemas.Value[type].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            reason = results.IsValid ? "" : string.Join("; ", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
            return results.IsValid;
        }
    }

    internal static bool ParserAccepts(string type, string json, out string reason)
    {
        try
        {
            _ = type switch
            {
                EventTypes.OrderPlaced => (object)EventParser.Parse(json, type, ContractsJsonContext.Default.OrderPlaced),
                EventTypes.SmsSent => EventParser.Parse(json, type, ContractsJsonContext.Default.SmsSent),
                EventTypes.EmailSent => EventParser.Parse(json, type, ContractsJsonContext.Default.EmailSent),
                EventTypes.InventoryReserved => EventParser.Parse(json, type, ContractsJsonContext.Default.InventoryReserved),
                EventTypes.OrderCancelled => EventParser.Parse(json, type, ContractsJsonContext.Default.OrderCancelled),
                EventTypes.InventoryReleased => EventParser.Parse(json, type, ContractsJsonContext.Default.InventoryReleased),
                _ => EventParser.Parse(json, type, ContractsJsonContext.Default.InventoryRejected),
            };
            reason = "";
            return true;
        }
        catch (PoisonMessageException ex)
        {
            reason = ex.Message;
            return false;
        }

        // Any other exception type escapes and fails the test: a bad message must be poison, never a crash.
    }

    private static bool WellFormed(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    return element.EnumerateObject().All(p => p.Name is not null && WellFormed(p.Value));
                case JsonValueKind.Array:
                    return element.EnumerateArray().All(WellFormed);
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Number:
                    // RFC 7493 section 2.2; JsonSchema.Net cannot compare such numbers (uniqueItems throws).
                    return element.TryGetDouble(out var number) && double.IsFinite(number);
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // ---- Generators -------------------------------------------------------------------------------------------

    internal sealed record Case(string Type, string Json, string Mutations);

    private sealed record Mutation(Op Op, int Target, int Choice);

    private static Gen<string> Chars(string chars, int min, int max) => Gen.String[Gen.Char[chars], min, max];

    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private static readonly Gen<string> _orderId = Gen.Guid.Select(g => g.ToString());

    private static readonly Gen<string> _eventId = Gen.Guid.Select(g => EventIds.For(g.ToString(), "gen", "x"));

    private static readonly Gen<string> _correlationId = Chars("abcXYZ019._:-", 1, 128);

    private static readonly Gen<string> _sku = Gen.Select(Chars(Upper, 1, 10), Chars(Upper, 1, 10), Gen.Bool, (a, b, two) => two ? a + "-" + b : a + b + "XY");

    /// <summary>A whole number from 1 to 1000 in one of the spellings JSON allows (2, 2.0, 2e0, 20e-1).</summary>
    private static readonly Gen<JsonNode> _quantity = Gen.Select(Gen.Int[1, 1000], Gen.Int[0, 9], (n, spelling) => JsonNode.Parse(spelling switch
    {
        7 => n.ToString(CultureInfo.InvariantCulture) + ".0",
        8 => n.ToString(CultureInfo.InvariantCulture) + "e0",
        9 => (n * 10).ToString(CultureInfo.InvariantCulture) + "e-1",
        _ => n.ToString(CultureInfo.InvariantCulture),
    })!);

    private static readonly Gen<JsonObject> _line = Gen.Select(_sku, _quantity, (sku, quantity) => new JsonObject { ["sku"] = sku, ["quantity"] = quantity });

    private static readonly Gen<string> _timestamp = Gen.Select(Gen.Long[new DateTime(1950, 1, 1).Ticks, new DateTime(2090, 1, 1).Ticks], Gen.Int[-56, 56], Gen.Int[0, 3], (ticks, quarters, form) =>
    {
        var time = new DateTimeOffset(ticks, TimeSpan.FromMinutes(15 * quarters));
        return form switch
        {
            0 => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            1 => time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            _ => JsonSerializer.Serialize(time, ContractsJsonContext.Default.DateTimeOffset).Trim('"'),
        };
    });

    private static readonly Gen<string> _providerMessageId = Chars("!#%+-./09:=?@AZ_az~", 1, 60);

    private static readonly Gen<JsonObject> _customer = Gen.Select(Chars("abAB09._-", 1, 64), Chars("abz09+_-", 1, 12), Gen.Bool, Gen.Int[0, 999_999_999], (id, local, hasPhone, digits) =>
    {
        var person = new JsonObject { ["id"] = id, ["email"] = local + ".x@example.com" };
        if (hasPhone)
        {
            person["phone"] = "+44" + digits.ToString("D10", CultureInfo.InvariantCulture);
        }

        return person;
    });

    private static readonly Gen<JsonObject> _orderPlacedData = Gen.Select(
        _orderId,
        _customer,
        _line.Array[1, 6],
        _timestamp,
        (orderId, person, lines, placedAt) =>
            new JsonObject { ["orderId"] = orderId, ["customer"] = person, ["items"] = new JsonArray([.. lines]), ["placedAt"] = placedAt });

    private static readonly Gen<string> _notification = Gen.Int[0, NotificationKinds.All.Count - 1].Select(i => NotificationKinds.All[i]);

    private static readonly Gen<(string Type, JsonObject Data)> _payload = Gen.OneOf(
        _orderPlacedData.Select(d => (EventTypes.OrderPlaced, d)),
        Gen.Select(_orderId, _notification, Gen.Bool, _providerMessageId, (orderId, kind, sent, providerId) => (EventTypes.SmsSent, sent
            ? new JsonObject { ["orderId"] = orderId, ["notification"] = kind, ["delivery"] = SmsDelivery.Sent, ["providerMessageId"] = providerId }
            : new JsonObject { ["orderId"] = orderId, ["notification"] = kind, ["delivery"] = SmsDelivery.Skipped })),
        Gen.Select(_orderId, _notification, _providerMessageId, (orderId, kind, providerId) => (EventTypes.EmailSent, new JsonObject { ["orderId"] = orderId, ["notification"] = kind, ["providerMessageId"] = providerId })),
        Gen.Select(_orderId, _customer, _timestamp, Gen.Bool, (orderId, person, cancelledAt, byOperator) => (EventTypes.OrderCancelled, new JsonObject
        {
            ["orderId"] = orderId,
            ["customer"] = person,
            ["cancelledAt"] = cancelledAt,
            ["cancelledBy"] = byOperator ? CancellationRequesters.Operator : CancellationRequesters.Customer,
        })),
        Gen.Select(_orderId, _line.Array[0, 4], (orderId, lines) => (EventTypes.InventoryReleased, new JsonObject { ["orderId"] = orderId, ["items"] = new JsonArray([.. lines]) })),
        Gen.Select(_orderId, _line.Array[1, 5], (orderId, lines) => (EventTypes.InventoryReserved, new JsonObject { ["orderId"] = orderId, ["items"] = new JsonArray([.. lines]) })),
        Gen.Select(_orderId, _customer, _sku.Array[1, 5], (orderId, person, skus) => (EventTypes.InventoryRejected, new JsonObject
        {
            ["orderId"] = orderId,
            ["reason"] = RejectionReasons.InsufficientStock,
            ["customer"] = person,
            ["unavailableSkus"] = new JsonArray([.. skus.Distinct(StringComparer.Ordinal).Select(s => (JsonNode?)s)]),
        })));

    private static readonly Gen<JsonObject> _envelope = Gen.Select(
        _payload,
        Gen.Select(_eventId, _orderId, _correlationId, _timestamp),
        Gen.Int[0, 3],
        (payload, attributes, extensions) =>
        {
            var (id, subject, correlationId, time) = attributes;
            var envelope = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = id,
                ["source"] = EventSources.For(payload.Type),
                ["type"] = payload.Type,
                ["subject"] = subject,
                ["time"] = time,
                ["datacontenttype"] = "application/json",
                ["correlationid"] = correlationId,
                ["data"] = payload.Data,
            };
            if (extensions > 0)
            {
                envelope["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            }

            if (extensions > 1)
            {
                envelope["sequence"] = extensions;
            }

            if (extensions > 2)
            {
                envelope["sampled"] = true;
            }

            return envelope;
        });

    private static readonly Gen<Case> _cases = Gen.Select(
        _envelope,
        Gen.Select(Gen.Int[0, (int)Op.Count - 1], Gen.Int[0, 10_000], Gen.Int[0, 10_000], (op, target, choice) => new Mutation((Op)op, target, choice)).Array[0, 2],
        (envelope, mutations) =>
        {
            var type = (string)envelope["type"]!;
            var applied = new List<string>();
            var json = envelope.ToJsonString();
            foreach (var mutation in mutations)
            {
                json = Apply(json, mutation, applied);
            }

            return new Case(type, json.Replace(LoneSurrogateMark, "\\ud800", StringComparison.Ordinal), applied.Count == 0 ? "unchanged" : string.Join(", ", applied));
        });

    /// <summary>Applies one mutation to the JSON text; tree edits go through <see cref="JsonNode"/>, spelling edits
    /// (duplicate names, cut text) on the text itself.</summary>
    private static string Apply(string json, Mutation mutation, List<string> applied)
    {
        JsonNode? root;
        try
        {
            using (JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false }))
            {
            }

            root = JsonNode.Parse(json);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return json; // An earlier mutation already made the text something a tree cannot hold.
        }

        if (root is not JsonObject)
        {
            return json;
        }

        var targets = new List<(JsonNode Parent, string? Name, int Index, string Path)>();
        Collect(root, "", targets);
        var (parent, name, index, path) = targets[mutation.Target % targets.Count];
        var current = name is null ? parent.AsArray()[index] : parent.AsObject()[name];
        switch (mutation.Op)
        {
            case Op.Remove:
                if (name is null)
                {
                    parent.AsArray().RemoveAt(index);
                }
                else
                {
                    parent.AsObject().Remove(name);
                }

                applied.Add("remove " + path);
                break;
            case Op.Replace:
                var special = _specials[mutation.Choice % _specials.Length];
                Set(parent, name, index, JsonNode.Parse(special));
                applied.Add($"{path} = {special}");
                break;
            case Op.Append or Op.Prepend when current is JsonValue value && value.GetValueKind() == JsonValueKind.String:
                var extra = _appendices[mutation.Choice % _appendices.Length];
                var text = value.GetValue<string>();
                Set(parent, name, index, mutation.Op == Op.Append ? text + extra : extra + text);
                applied.Add($"{mutation.Op.ToString().ToLowerInvariant()} {JsonSerializer.Serialize(extra)} to {path}");
                break;
            case Op.Respell when current is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.ToJsonString().All(char.IsAsciiDigit):
                var raw = value.ToJsonString();
                var respelled = (mutation.Choice % 6) switch
                {
                    0 => raw + ".0",
                    1 => raw + "e0",
                    2 => raw + ".5",
                    3 => "-" + raw,
                    4 => raw + "e400",
                    _ => "1" + raw,
                };
                Set(parent, name, index, JsonNode.Parse(respelled));
                applied.Add($"{path} = {respelled}");
                break;
            case Op.AddMember:
                var container = current as JsonObject ?? parent as JsonObject ?? root.AsObject();
                var member = _memberNames[mutation.Choice % _memberNames.Length];
                var memberValue = _specials[mutation.Choice / _memberNames.Length % _specials.Length];
                if (!container.ContainsKey(member))
                {
                    container[member] = JsonNode.Parse(memberValue);
                    applied.Add($"add {JsonSerializer.Serialize(member)}: {memberValue} near {path}");
                }

                break;
            case Op.DuplicateMember when name is not null:
                // "name": value becomes "name": value, "name": value, in the same object.
                var repeated = current?.ToJsonString() ?? "null";
                parent.AsObject()[name] = DuplicateMark;
                applied.Add("duplicate " + path);
                return root.ToJsonString().Replace("\"" + DuplicateMark + "\"", repeated + "," + JsonSerializer.Serialize(name) + ":" + repeated, StringComparison.Ordinal);
            case Op.Truncate:
                applied.Add("truncate");
                return json[..(mutation.Choice % json.Length)];
            default:
                return json;
        }

        return root.ToJsonString();
    }

    private static void Set(JsonNode parent, string? name, int index, JsonNode? value)
    {
        if (name is null)
        {
            parent.AsArray()[index] = value;
        }
        else
        {
            parent.AsObject()[name] = value;
        }
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode Parent, string? Name, int Index, string Path)> targets)
    {
        if (node is JsonObject obj)
        {
            foreach (var (key, child) in obj.ToList())
            {
                var at = path.Length == 0 ? key : path + "." + key;
                targets.Add((obj, key, -1, at));
                if (child is not null)
                {
                    Collect(child, at, targets);
                }
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                var at = $"{path}[{i}]";
                targets.Add((array, null, i, at));
                if (array[i] is { } child)
                {
                    Collect(child, at, targets);
                }
            }
        }
    }
}
