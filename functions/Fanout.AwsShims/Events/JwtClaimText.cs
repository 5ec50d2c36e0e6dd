using System.Text.Json;

namespace Fanout.AwsShims.Events;

/// <summary>How API Gateway's HTTP API JWT authorizer writes a token's claims into
/// <c>requestContext.authorizer.jwt.claims</c> (payload 2.0): every value is a string. Numbers and booleans are their
/// JSON text (<c>"exp": "1787996002"</c>), an array is its items separated by single spaces inside brackets
/// (<c>"cognito:groups": "[operators support]"</c>), an object is its JSON text, and a null-valued claim is left out.
/// This is the form observed in events delivered by AWS (API Gateway does not document it); the local API server
/// renders with <see cref="Render"/> and the order handler reads lists back with <see cref="ParseList"/>.</summary>
public static class JwtClaimText
{
    /// <summary>The string API Gateway delivers for one claim value, or null for a JSON null (the claim is omitted).</summary>
    public static string? Render(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.Array => "[" + string.Join(' ', value.EnumerateArray().Select(item => Render(item) ?? "null")) + "]",
        _ => value.GetRawText(),
    };

    /// <summary>The items of a list claim as delivered: <c>"[a b]"</c> gives <c>a</c> and <c>b</c>; a plain string
    /// (an issuer that writes one group as a string) gives itself; null or <c>"[]"</c> gives nothing.</summary>
    public static IReadOnlyList<string> ParseList(string? rendered)
    {
        if (string.IsNullOrEmpty(rendered))
        {
            return [];
        }

        var inner = rendered.Length >= 2 && rendered[0] == '[' && rendered[^1] == ']' ? rendered[1..^1] : rendered;
        return inner.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
