using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Contracts.Events;

/// <summary>Reads a JSON number whose value is a whole number into an <see cref="int"/>, whatever its spelling:
/// <c>2</c>, <c>2.0</c>, <c>2e0</c> and <c>20e-1</c> all read as 2; <c>2.5</c>, <c>1e400</c>, strings and
/// values outside <see cref="int"/> are a <see cref="JsonException"/>. Writes plain integers.</summary>
/// <remarks>JSON Schema (draft 6 and later, "integer") judges the number's value, not its spelling, so the
/// published schemas accept <c>2.0</c> for an integer and no schema keyword can refuse it. The consumers follow
/// the schema rather than System.Text.Json's stricter reading, so one contract has one meaning. The value is judged
/// from the number's text, digit by digit: a <see cref="decimal"/> (or a double) rounds past 28 significant digits,
/// which would read <c>6.99999999999999999999999999999</c> as 7.</remarks>
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

        var text = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
        return WholeValue(text) ?? throw new JsonException("Expected a whole number within the range of a 32-bit integer.");
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

        return WholeValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));
    }

    /// <summary>The value of a JSON number (RFC 8259 section 6 grammar, already checked by the reader) when it is a
    /// whole number within <see cref="int"/>, else null. Exact: the number is ±digits × 10^scale, with no rounding.</summary>
    private static int? WholeValue(ReadOnlySpan<byte> number)
    {
        var negative = number[0] == (byte)'-';
        if (negative)
        {
            number = number[1..];
        }

        var e = number.IndexOfAny((byte)'e', (byte)'E');
        var scale = e < 0 ? 0 : Exponent(number[(e + 1)..]);
        var mantissa = e < 0 ? number : number[..e];
        var dot = mantissa.IndexOf((byte)'.');
        var digits = dot < 0 ? mantissa.ToArray() : [.. mantissa[..dot], .. mantissa[(dot + 1)..]];
        if (dot >= 0)
        {
            scale -= mantissa.Length - dot - 1;
        }

        var significant = digits.AsSpan().TrimStart((byte)'0');
        var trimmed = significant.TrimEnd((byte)'0');
        if (trimmed.IsEmpty)
        {
            return 0;
        }

        scale += significant.Length - trimmed.Length;

        // A fraction digit that is not zero, or more than 10 digits before the point: not a whole int.
        if (scale < 0 || trimmed.Length + scale > 10)
        {
            return null;
        }

        long value = 0;
        foreach (var digit in trimmed)
        {
            value = (value * 10) + (digit - '0');
        }

        for (var i = 0; i < scale; i++)
        {
            value *= 10;
        }

        value = negative ? -value : value;
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : null;
    }

    /// <summary>The exponent's value, clamped to ±1e9 (far beyond what can still give a 32-bit whole number).</summary>
    private static long Exponent(ReadOnlySpan<byte> text)
    {
        var negative = text[0] == (byte)'-';
        if (text[0] is (byte)'-' or (byte)'+')
        {
            text = text[1..];
        }

        long exponent = 0;
        foreach (var digit in text)
        {
            exponent = Math.Min((exponent * 10) + (digit - '0'), 1_000_000_000);
        }

        return negative ? -exponent : exponent;
    }
}
