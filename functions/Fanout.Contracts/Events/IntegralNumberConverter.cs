using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Contracts.Events;

/// <summary>Reads a JSON number whose value is a whole number into an <see cref="int"/>, whatever its spelling:
/// <c>2</c>, <c>2.0</c>, <c>2e0</c> and <c>20e-1</c> all read as 2; <c>2.5</c>, <c>1e400</c>, strings and
/// values outside <see cref="int"/> are a <see cref="JsonException"/>. Writes plain integers.</summary>
/// <remarks>JSON Schema (draft 6 and later, "integer") judges the number's value, not its spelling, so the
/// published schemas accept <c>2.0</c> for an integer and no schema keyword can refuse it. The consumers follow
/// the schema rather than System.Text.Json's stricter reading, so one contract has one meaning. The value is read
/// as a <see cref="decimal"/>: exact for every number of up to 28 significant digits, unlike a double.</remarks>
public sealed class IntegralNumberConverter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException($"Expected a JSON number, got {reader.TokenType}.");
        }

        if (reader.TryGetInt32(out var whole))
        {
            return whole;
        }

        if (reader.TryGetDecimal(out var value) && value == decimal.Truncate(value) && value is >= int.MinValue and <= int.MaxValue)
        {
            return (int)value;
        }

        throw new JsonException("Expected a whole number within the range of a 32-bit integer.");
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value);
    }

    /// <summary>The same rule for a number already parsed into a <see cref="JsonElement"/>.</summary>
    /// <returns>The whole number, or null when the element is not a number or not a whole number within <see cref="int"/>.</returns>
    public static int? ReadWholeNumber(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        if (element.TryGetInt32(out var whole))
        {
            return whole;
        }

        return element.TryGetDecimal(out var value) && value == decimal.Truncate(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : null;
    }
}
