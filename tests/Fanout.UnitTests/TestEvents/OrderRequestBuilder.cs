using System.Text.Json.Nodes;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Builds <c>POST /orders</c> bodies: a valid order by default, then one deliberate change per test.</summary>
internal sealed class OrderRequestBuilder
{
    private readonly JsonObject _root = new()
    {
        ["customer"] = new JsonObject
        {
            ["id"] = "cust-42",
            ["email"] = "ada@example.com",
            ["phone"] = "+14155550123",
        },
        ["items"] = new JsonArray(Line("TSHIRT-RED-M", 2), Line("MUG-01", 1)),
    };

    public static OrderRequestBuilder ValidOrder() => new();

    public static JsonObject Line(string sku, int quantity) => new() { ["sku"] = sku, ["quantity"] = quantity };

    /// <summary>Sets a field by path (e.g. <c>customer.email</c>, <c>items[0].quantity</c>); a null value writes JSON null.</summary>
    public OrderRequestBuilder With(string path, JsonNode? value)
    {
        JsonPath.Set(_root, path, value);
        return this;
    }

    /// <summary>Sets a field to a raw JSON literal, e.g. <c>1.5</c> or <c>"5"</c>.</summary>
    public OrderRequestBuilder WithRaw(string path, string json) => With(path, JsonPath.Literal(json));

    public OrderRequestBuilder Without(string path)
    {
        JsonPath.Remove(_root, path);
        return this;
    }

    public OrderRequestBuilder WithItems(params JsonNode?[] items)
    {
        _root["items"] = new JsonArray(items);
        return this;
    }

    public OrderRequestBuilder WithItemCount(int count) =>
        WithItems([.. Enumerable.Range(1, count).Select(i => (JsonNode?)Line($"SKU-{i}", 1))]);

    public string Build() => _root.ToJsonString();
}
