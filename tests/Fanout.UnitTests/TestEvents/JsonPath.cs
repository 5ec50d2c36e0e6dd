using System.Globalization;
using System.Text.Json.Nodes;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Edits a JSON tree by a dotted path with array indexes, e.g. <c>data.items[0].quantity</c>.</summary>
internal static class JsonPath
{
    public static void Set(JsonNode root, string path, JsonNode? value)
    {
        var (parent, key, index) = Resolve(root, path);
        if (index is { } i)
        {
            parent.AsArray()[i] = value;
        }
        else
        {
            parent.AsObject()[key!] = value;
        }
    }

    public static void Remove(JsonNode root, string path)
    {
        var (parent, key, index) = Resolve(root, path);
        if (index is { } i)
        {
            parent.AsArray().RemoveAt(i);
        }
        else if (!parent.AsObject().Remove(key!))
        {
            throw new ArgumentException($"Nothing at '{path}' to remove.", nameof(path));
        }
    }

    /// <summary>Parses a JSON literal such as <c>1.5</c>, <c>"5"</c> or <c>null</c> (null gives a JSON null).</summary>
    public static JsonNode? Literal(string json) => JsonNode.Parse(json);

    private static (JsonNode Parent, string? Key, int? Index) Resolve(JsonNode root, string path)
    {
        var steps = new List<object>();
        foreach (var segment in path.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            if (bracket < 0)
            {
                steps.Add(segment);
                continue;
            }

            if (bracket > 0)
            {
                steps.Add(segment[..bracket]);
            }

            foreach (var part in segment[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
            {
                steps.Add(int.Parse(part.TrimEnd(']'), CultureInfo.InvariantCulture));
            }
        }

        var node = root;
        for (var i = 0; i < steps.Count - 1; i++)
        {
            node = (steps[i] is int index ? node.AsArray()[index] : node.AsObject()[(string)steps[i]])
                ?? throw new ArgumentException($"'{path}' runs through a null or missing node.", nameof(path));
        }

        return steps[^1] is int last ? (node, null, last) : (node, (string)steps[^1], null);
    }
}
