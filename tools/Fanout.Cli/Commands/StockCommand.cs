using System.CommandLine;
using System.Globalization;
using Fanout.Cli.Api;
using Fanout.Cli.Local;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Orders;
using Fanout.Contracts.Topology;
using Fanout.Inventory;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout stock set|show</c>: inventory levels, through <see cref="StockAdmin"/> (the one way to change them).</summary>
internal static class StockCommand
{
    public static Command Create()
    {
        var command = new Command("stock", "Set or show inventory levels.");
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Show());
        return command;
    }

    private static TargetOptions Target() => TargetOptions.For(TargetNeeds.Table);

    private static Command Set()
    {
        var target = Target();
        var sku = new Argument<string?>("sku") { Description = "The SKU, e.g. MUG-WHITE", Arity = ArgumentArity.ZeroOrOne };
        var units = new Argument<int?>("units") { Description = "Available units (overwrites the current level)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<FileInfo?>("--file") { Description = "Set every SKU of a stock file ({\"stock\":{\"SKU\":units}}), e.g. " + DemoCatalog.StockFile, HelpName = "path" };
        var command = new Command("set", "Set a SKU's available units, or every SKU of a --file.") { sku, units, file };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var levels = await LevelsAsync(parse.GetValue(sku), parse.GetValue(units), parse.GetValue(file), ct);
            var (admin, resolved, aws) = await OpenAsync(target, parse, ct);
            using (aws)
            {
                foreach (var (name, count) in levels)
                {
                    await admin.SetAsync(name, count, ct);
                }

                CliConsole.Out.Write(StockTable(levels.Select(l => (l.Sku, (int?)l.Units)), $"stock set · {resolved.Description}"));
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Show()
    {
        var target = Target();
        var sku = new Argument<string?>("sku") { Description = "One SKU (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("show", "Show available units of one SKU or of all.") { sku };
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var one = parse.GetValue(sku);
            if (one is not null && !OrderRules.IsValidSku(one))
            {
                throw new UsageException($"'{one}' is not a valid SKU ({OrderRules.SkuPatternText}).");
            }

            var (admin, resolved, aws) = await OpenAsync(target, parse, ct);
            using (aws)
            {
                if (one is not null)
                {
                    var available = await admin.GetAsync(one, ct);
                    CliConsole.Out.Write(StockTable([(one, available)], $"stock · {resolved.Description}"));
                    return available is null ? ExitCodes.Failed : ExitCodes.Ok;
                }

                var all = await admin.ListAsync(ct);
                if (all.Count == 0)
                {
                    CliConsole.Out.MarkupLine($"No stock recorded ({Markup.Escape(resolved.Description)}). Seed it with `fanout stock set --file {DemoCatalog.StockFile}`.");
                    return ExitCodes.Ok;
                }

                CliConsole.Out.Write(StockTable(all.Select(s => (s.Sku, (int?)s.Available)), $"stock · {resolved.Description}"));
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    /// <summary>What to write: one SKU or a whole file, checked before anything is written.</summary>
    internal static async Task<IReadOnlyList<(string Sku, int Units)>> LevelsAsync(string? sku, int? units, FileInfo? file, CancellationToken cancellationToken)
    {
        if (file is not null)
        {
            if (sku is not null || units is not null)
            {
                throw new UsageException("Give either <sku> <units> or --file, not both.");
            }

            if (!file.Exists)
            {
                throw new UsageException($"No stock file at {file.FullName}.");
            }

            IReadOnlyList<(string Sku, int Units)> levels;
            try
            {
                levels = await StockFile.LoadAsync(file.FullName, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException)
            {
                throw new UsageException(ex.Message, ex);
            }

            // All or nothing: a typo in one SKU must not leave the table half updated.
            var invalid = levels.Where(l => !OrderRules.IsValidSku(l.Sku)).Select(l => l.Sku).ToList();
            if (invalid.Count > 0)
            {
                throw new UsageException($"{file.Name}: not valid SKUs ({OrderRules.SkuPatternText}): {string.Join(", ", invalid)}. Nothing was written.");
            }

            if (levels.Count == 0)
            {
                throw new UsageException($"{file.Name} lists no SKUs.");
            }

            return levels;
        }

        if (sku is null || units is null)
        {
            throw new UsageException("Give <sku> <units> (e.g. `fanout stock set MUG-WHITE 100`) or --file <path>.");
        }

        if (!OrderRules.IsValidSku(sku))
        {
            throw new UsageException($"'{sku}' is not a valid SKU ({OrderRules.SkuPatternText}).");
        }

        if (units < 0)
        {
            throw new UsageException("units must be 0 or more.");
        }

        return [(sku, units.Value)];
    }

    private static async Task<(StockAdmin Admin, ResolvedTarget Target, AwsClients Aws)> OpenAsync(TargetOptions target, ParseResult parse, CancellationToken ct)
    {
        var resolved = await target.ResolveAsync(parse, ct, tableId: FanoutTopology.InventoryTable.Id);
        var aws = resolved.CreateAwsClients();
        return (new StockAdmin(aws.DynamoDb, resolved.RequireTable(), TimeProvider.System), resolved, aws);
    }

    private static Rows StockTable(IEnumerable<(string Sku, int? Available)> rows, string title)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("SKU");
        table.AddColumn(new TableColumn("Available").RightAligned());
        foreach (var (sku, available) in rows)
        {
            table.AddRow(Markup.Escape(sku), available is { } value ? value.ToString(CultureInfo.InvariantCulture) : "[grey]unknown SKU[/]");
        }

        return new Rows(new Markup("[grey]" + Markup.Escape(title) + "[/]"), table);
    }
}
