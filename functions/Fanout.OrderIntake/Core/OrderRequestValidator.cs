using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Unicode;
using Fanout.Contracts.Events;
using Fanout.Contracts.Json;
using Fanout.Contracts.Orders;

namespace Fanout.OrderIntake.Core;

/// <summary>The verdict on a request body: a command, or the status and every field error.</summary>
public sealed record RequestCheck(PlaceOrderCommand? Command, int Status, string Title, IReadOnlyList<FieldError> Errors)
{
    public bool IsValid => Command is not null;

    public static RequestCheck Valid(PlaceOrderCommand command) => new(command, 200, "", []);

    public static RequestCheck Invalid(int status, string title, params FieldError[] errors) => new(null, status, title, errors);
}

/// <summary>Checks an order request completely and reports every violation at once, each with its field.</summary>
public static class OrderRequestValidator
{
    // Built per call (a small struct, so it costs nothing) rather than held in static fields: a value fixed by a
    // static initializer is out of reach of mutation testing, which switches mutants on after types are initialized.
    private static JsonDocumentOptions DocumentOptions => new()
    {
        MaxDepth = 16,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        // Duplicates are found by JsonTextScan instead: the parser's own check throws InvalidOperationException on a
        // property name that is not valid UTF-16, before anything could say which field it was.
        AllowDuplicateProperties = true,
    };

    /// <summary>415 unless the media type is JSON (<c>application/json</c> or a <c>+json</c> suffix) in UTF-8.</summary>
    public static RequestCheck? CheckContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Type", "The Content-Type header is required and must be application/json."));
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Type", $"'{contentType}' is not a valid media type."));
        }

        var media = parsed.MediaType.ToLowerInvariant();
        // A +json suffix needs a subtype name in front of it (RFC 6838 section 4.2): "application/+json" names nothing.
        if (media != "application/json" && !(media.StartsWith("application/", StringComparison.Ordinal) && media.EndsWith("+json", StringComparison.Ordinal) && media.Length > "application/+json".Length))
        {
            return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Type", $"'{parsed.MediaType}' is not supported; send application/json."));
        }

        // RFC 6838 section 4.3: a parameter given twice is an error. "charset=utf-8; charset=latin1" would otherwise
        // be judged by whichever one the parser happens to keep.
        if (parsed.Parameters.Select(p => p.Name.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Count() != parsed.Parameters.Count)
        {
            return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Type", $"'{contentType}' repeats a parameter; send each at most once."));
        }

        if (parsed.CharSet is { } charset && !charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Type", $"charset '{charset}' is not supported; send UTF-8."));
        }

        return null;
    }

    /// <summary>415 unless the body is sent as is: no <c>Content-Encoding</c>, an empty one, or only <c>identity</c>. API Gateway's
    /// HTTP API does not decompress request bodies, so a gzip body would otherwise be judged as broken JSON
    /// (RFC 9110 section 15.5.16: 415 covers an unsupported content coding as well as a media type).</summary>
    public static RequestCheck? CheckContentEncoding(string? contentEncoding)
    {
        if (contentEncoding is null || contentEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).All(c => c.Equals("identity", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        return RequestCheck.Invalid(415, "Unsupported media type", new FieldError("Content-Encoding", $"Content-Encoding '{contentEncoding}' is not supported; send the body uncompressed."));
    }

    /// <summary>Validates a UTF-8 JSON body with the default SMS calling codes
    /// (<see cref="Contracts.Topology.OrderApiTopology.DefaultSmsAllowedCountryCodes"/>).</summary>
    public static RequestCheck CheckBody(ReadOnlyMemory<byte> body) => CheckBody(body, Contracts.Topology.OrderApiTopology.DefaultSmsAllowedCountryCodes);

    /// <summary>Validates a UTF-8 JSON body already known to be within the size limit.</summary>
    /// <param name="smsAllowedCountryCodes">The E.164 calling codes (e.g. <c>+1</c>) a <c>customer.phone</c> may start
    /// with; a number elsewhere is a field error, since the order's SMS could not be sent there.</param>
    /// <remarks>A valid command's <c>Customer.Id</c> is empty when the body leaves <c>customer.id</c> out (or sets it
    /// to null): an empty string is never a valid id, so it cannot be confused with one.</remarks>
    public static RequestCheck CheckBody(ReadOnlyMemory<byte> body, IReadOnlyList<string> smsAllowedCountryCodes)
    {
        ArgumentNullException.ThrowIfNull(smsAllowedCountryCodes);
        if (body.Length > OrderRules.MaxBodyBytes)
        {
            return RequestCheck.Invalid(413, "Payload too large", new FieldError("$", $"The body is {body.Length} bytes; the limit is {OrderRules.MaxBodyBytes}."));
        }

        if (body.IsEmpty || body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return RequestCheck.Invalid(400, "Invalid order", new FieldError("$", "The body is empty; send an order as JSON."));
        }

        // JsonDocument checks the grammar, not the bytes inside strings: invalid UTF-8 (possible only in a
        // base64 body) would surface later as an exception when a string is read.
        if (!Utf8.IsValid(body.Span))
        {
            return RequestCheck.Invalid(400, "Malformed JSON", new FieldError("$", "The body is not valid UTF-8."));
        }

        // RFC 8259 section 8.1: JSON text must not begin with a byte order mark. Said plainly, since the parser's
        // own complaint ("byte 1") does not tell the client that the bytes they cannot see are the problem.
        if (body.Span.StartsWith("\uFEFF"u8))
        {
            return RequestCheck.Invalid(400, "Malformed JSON", new FieldError("$", "The body starts with a byte order mark (EF BB BF); send UTF-8 JSON without one."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            return RequestCheck.Invalid(400, "Malformed JSON", new FieldError("$", "The body is not valid JSON" + where + "."));
        }

        using (document)
        {
            var errors = new List<FieldError>();
            var duplicates = new List<string>();
            foreach (var (problem, path) in JsonTextScan.Find(document.RootElement, duplicates: true))
            {
                var at = path.Length == 0 ? "$" : path;
                switch (problem)
                {
                    case JsonTextProblem.DuplicateName:
                        duplicates.Add($"Property '{path}' appears more than once.");
                        break;
                    case JsonTextProblem.IllFormedName:
                        errors.Add(new FieldError(at, "A property name is not valid Unicode (it holds an unpaired surrogate escape)."));
                        break;
                    default:
                        errors.Add(new FieldError(at, $"{(path.Length == 0 ? "The body" : path)} is not valid Unicode (it holds an unpaired surrogate escape)."));
                        break;
                }
            }

            if (duplicates.Count > 0)
            {
                // Without this, the last value would silently win: a different order than the client saw.
                return new RequestCheck(null, 400, "Malformed JSON", [new FieldError("$", string.Join(" ", duplicates))]);
            }

            if (errors.Count > 0)
            {
                return new RequestCheck(null, 400, "Invalid order", errors);
            }

            var command = Read(document.RootElement, smsAllowedCountryCodes, errors);
            return errors.Count == 0 ? RequestCheck.Valid(command) : new RequestCheck(null, 400, "Invalid order", errors);
        }
    }

    private static PlaceOrderCommand Read(JsonElement root, IReadOnlyList<string> smsAllowedCountryCodes, List<FieldError> errors)
    {
        var command = new PlaceOrderCommand();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("$", $"The body must be a JSON object, not {Describe(root)}."));
            return command;
        }

        RejectUnknown(root, ["customer", "items"], "", errors);

        if (!root.TryGetProperty("customer", out var customer) || customer.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("customer", "customer is required."));
        }
        else if (customer.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("customer", $"customer must be an object, not {Describe(customer)}."));
        }
        else
        {
            RejectUnknown(customer, ["id", "email", "phone"], "customer.", errors);
            // Optional: the signed-in caller is the customer; only operators have reason to name one.
            if (customer.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null)
            {
                command.Customer.Id = RequiredString(customer, "id", "customer.id", errors, OrderRules.IsValidCustomerId, "must be 1 to 64 letters, digits, '.', '_' or '-' when given (leave it out to order for yourself)");
            }

            command.Customer.Email = RequiredString(customer, "email", "customer.email", errors, OrderRules.IsValidEmail, "must be an address such as ada@example.com: at most 254 characters, a local part of at most 64 without leading, trailing or doubled dots, and a domain of dot-separated labels (letters, digits, inner hyphens) whose last label is not all digits");
            if (customer.TryGetProperty("phone", out var phone) && phone.ValueKind != JsonValueKind.Null)
            {
                if (phone.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new FieldError("customer.phone", $"customer.phone must be a string, not {Describe(phone)}."));
                }
                else if (!OrderRules.IsValidPhone(phone.GetString()))
                {
                    errors.Add(new FieldError("customer.phone", "customer.phone must be an E.164 number such as +14155550123."));
                }
                else if (!OrderRules.HasCallingCode(phone.GetString()!, smsAllowedCountryCodes))
                {
                    errors.Add(new FieldError("customer.phone", $"customer.phone must start with a calling code SMS may go to: {string.Join(", ", smsAllowedCountryCodes)}."));
                }
                else
                {
                    command.Customer.Phone = phone.GetString();
                }
            }
        }

        if (!root.TryGetProperty("items", out var items) || items.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError("items", "items is required."));
            return command;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new FieldError("items", $"items must be an array, not {Describe(items)}."));
            return command;
        }

        var count = items.GetArrayLength();
        if (count is < OrderRules.MinItems or > OrderRules.MaxItems)
        {
            // Too few means none, so there is nothing more to check; too many are not checked one by one.
            errors.Add(new FieldError("items", $"items must hold {OrderRules.MinItems} to {OrderRules.MaxItems} lines (got {count})."));
            return command;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"items[{index}]";
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new FieldError(path, $"{path} must be an object, not {Describe(item)}."));
                continue;
            }

            RejectUnknown(item, ["sku", "quantity"], path + ".", errors);
            var sku = RequiredString(item, "sku", path + ".sku", errors, OrderRules.IsValidSku, "must be 3 to 32 upper-case letters or digits in hyphen-separated groups, e.g. TSHIRT-RED-M");
            if (sku.Length > 0 && !seen.Add(sku))
            {
                errors.Add(new FieldError(path + ".sku", $"SKU {sku} appears on more than one line; put the total quantity on one line."));
            }

            var quantity = 0;
            if (!item.TryGetProperty("quantity", out var rawQuantity) || rawQuantity.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new FieldError(path + ".quantity", "quantity is required."));
            }
            else if (rawQuantity.ValueKind != JsonValueKind.Number || !rawQuantity.TryGetInt32(out quantity))
            {
                errors.Add(new FieldError(path + ".quantity", $"quantity must be an integer written without a fraction or exponent (2, not 2.0), from {OrderRules.MinQuantity} to {OrderRules.MaxQuantity}."));
            }
            else if (!OrderRules.IsValidQuantity(quantity))
            {
                errors.Add(new FieldError(path + ".quantity", $"quantity must be from {OrderRules.MinQuantity} to {OrderRules.MaxQuantity} (got {quantity})."));
            }

            command.Items.Add(new OrderLine { Sku = sku, Quantity = quantity });
        }

        return command;
    }

    private static string RequiredString(JsonElement parent, string name, string path, List<FieldError> errors, Func<string, bool> rule, string ruleText)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new FieldError(path, $"{path} is required."));
            return "";
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(path, $"{path} must be a string, not {Describe(value)}."));
            return "";
        }

        var text = value.GetString()!;
        if (!rule(text))
        {
            errors.Add(new FieldError(path, $"{path} {ruleText}."));
            return "";
        }

        return text;
    }

    /// <param name="known">The field names the object may hold (a collection expression: built on the stack).</param>
    private static void RejectUnknown(JsonElement element, ReadOnlySpan<string> known, string prefix, List<FieldError> errors)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                errors.Add(new FieldError(prefix + property.Name, $"Unknown field '{prefix}{property.Name}'."));
            }
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
