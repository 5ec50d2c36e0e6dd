using System.Text.Json;

namespace Fanout.Cli.Local;

/// <summary>Reads a stock file: <c>{"stock": {"SKU": units, ...}}</c> (see config/demo-stock.json).</summary>
public static class StockFile
{
    public static async Task<IReadOnlyList<(string Sku, int Units)>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Stock file {path} does not exist.");
        }

        await using var stream = File.OpenRead(path);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        if (!document.RootElement.TryGetProperty("stock", out var stock) || stock.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException($"Stock file {path} needs a \"stock\" object of SKU → units.");
        }

        var result = new List<(string, int)>();
        foreach (var entry in stock.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var units) || units < 0)
            {
                throw new InvalidOperationException($"Stock file {path}: \"{entry.Name}\" must be a whole number of units, at least 0.");
            }

            result.Add((entry.Name, units));
        }

        return result;
    }
}
