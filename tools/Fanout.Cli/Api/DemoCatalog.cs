using Fanout.Contracts.Orders;
using Fanout.Harness;

namespace Fanout.Cli.Api;

/// <summary>The SKUs demo and load orders use: those of <c>config/demo-stock.json</c> (what <c>fanout up</c> seeds)
/// when the CLI runs inside the repository, else a built-in few that a deployed stack must be stocked with.
/// Reading the same file `fanout up` seeds keeps generated orders on SKUs that exist.</summary>
internal sealed class DemoCatalog
{
    public const string StockFile = "config/demo-stock.json";
    public static readonly IReadOnlyList<string> BuiltInSkus = ["TSHIRT-RED-M", "MUG-WHITE", "POSTER-A2"];

    private DemoCatalog(IReadOnlyList<string> skus, string source)
    {
        Skus = skus;
        Source = source;
    }

    public IReadOnlyList<string> Skus { get; }

    /// <summary>Where the SKUs came from, for the operator.</summary>
    public string Source { get; }

    public static async Task<DemoCatalog> LoadAsync(CancellationToken cancellationToken)
    {
        string root;
        try
        {
            root = RepositoryLayout.FindRoot();
        }
        catch (InvalidOperationException)
        {
            return new DemoCatalog(BuiltInSkus, "built-in demo SKUs");
        }

        var path = Path.Combine(root, StockFile);
        if (!File.Exists(path))
        {
            return new DemoCatalog(BuiltInSkus, "built-in demo SKUs");
        }

        var skus = (await Local.StockFile.LoadAsync(path, cancellationToken)).Select(s => s.Sku).Where(OrderRules.IsValidSku).ToList();
        return skus.Count > 0 ? new DemoCatalog(skus, StockFile) : new DemoCatalog(BuiltInSkus, "built-in demo SKUs");
    }
}
