using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fanout.Contracts.Events;

/// <summary>Collects what is wrong with a JSON tree, one readable reason per problem, named by its path
/// (<c>data.items[0].quantity</c>). Values are quoted JSON-escaped and cut short, so a reason is safe to log; a
/// personal value (an e-mail address, a phone number, a customer id) is never quoted, only its length given.</summary>
internal sealed class JsonChecks
{
    private const int QuoteLimit = 64;
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public void Add(string problem) => _problems.Add(problem);

    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    /// <summary>A JSON string literal for <paramref name="text"/>, escaped and at most 64 characters of it.</summary>
    public static string Quote(string text) =>
        "\"" + JsonEncodedText.Encode(text.Length > QuoteLimit ? text[..QuoteLimit] + "…" : text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    /// <summary>How a reason shows a value: quoted, or for personal data only its length, e.g. <c>12 characters, not shown</c>.</summary>
    public static string Shown(string text, bool personal) =>
        personal ? text.Length.ToString(CultureInfo.InvariantCulture) + " characters, not shown" : Quote(text);

    /// <summary>Checks that <paramref name="value"/> is an object holding no member outside <paramref name="members"/>.</summary>
    /// <returns>False when it is not an object at all.</returns>
    public bool ClosedObject(JsonElement value, string path, params ReadOnlySpan<string> members)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Add($"{path} must be a JSON object (got {Kind(value)})");
            return false;
        }

        foreach (var member in value.EnumerateObject())
        {
            if (!members.Contains(member.Name))
            {
                Add($"{Join(path, member.Name)} is not part of the contract (payload objects are closed)");
            }
        }

        return true;
    }

    /// <summary>The member <paramref name="name"/> of <paramref name="parent"/>, reported missing when required.</summary>
    public bool Member(JsonElement parent, string path, string name, bool required, out JsonElement value)
    {
        if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out value))
        {
            return true;
        }

        if (required)
        {
            Add($"{Join(path, name)} is missing");
        }

        value = default;
        return false;
    }

    /// <summary>A string member free of control characters that satisfies <paramref name="rule"/>.</summary>
    /// <param name="personal">True for personal data: a reason then says how long the value is, not what it is.</param>
    /// <returns>The string, or null when it is absent or broken (then a reason was added, if it was required).</returns>
    public string? String(JsonElement parent, string path, string name, bool required, Func<string, bool> rule, string ruleText, bool personal = false)
    {
        if (!Member(parent, path, name, required, out var value))
        {
            return null;
        }

        return String(value, Join(path, name), rule, ruleText, personal);
    }

    /// <summary>The same checks for a value already in hand, e.g. an array item.</summary>
    public string? String(JsonElement value, string at, Func<string, bool> rule, string ruleText, bool personal = false)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            Add($"{at} must be a string (got {Kind(value)})");
            return null;
        }

        var text = value.GetString()!;

        // Checked before the rule: some shared rules (OrderRules) end their patterns in $, which lets one trailing
        // "\n" through; a control character anywhere is refused here first, so none reaches them.
        if (EventRules.HasControlCharacter(text))
        {
            Add($"{at} holds a control character (got {Shown(text, personal)})");
            return null;
        }

        if (!rule(text))
        {
            Add($"{at} {ruleText} (got {Shown(text, personal)})");
            return null;
        }

        return text;
    }

    /// <summary>A JSON number whose value is whole (2, 2.0, 2e0) and within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? WholeNumber(JsonElement parent, string path, string name, int min, int max)
    {
        if (!Member(parent, path, name, required: true, out var value))
        {
            return null;
        }

        var at = Join(path, name);
        if (IntegralNumberConverter.ReadWholeNumber(value) is { } number && number >= min && number <= max)
        {
            return number;
        }

        Add($"{at} must be a whole number from {min} to {max} (got {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : Kind(value))})");
        return null;
    }

    /// <summary>An array member with <paramref name="min"/> to <paramref name="max"/> items.</summary>
    public JsonElement[]? Array(JsonElement parent, string path, string name, int min, int max)
    {
        if (!Member(parent, path, name, required: true, out var value))
        {
            return null;
        }

        var at = Join(path, name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            Add($"{at} must be an array (got {Kind(value)})");
            return null;
        }

        var length = value.GetArrayLength();
        if (length < min || length > max)
        {
            Add($"{at} must hold {min} to {max} items (got {length})");
            return null;
        }

        return [.. value.EnumerateArray()];
    }

    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };
}
