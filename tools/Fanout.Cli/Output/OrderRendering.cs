using System.Globalization;
using Fanout.OrderIntake.Core;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Output;

/// <summary>How orders and API problems look on the terminal.</summary>
internal static class OrderRendering
{
    public static IRenderable OrderTable(OrderView order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Service");
        table.AddColumn("Status");
        foreach (var (service, status) in order.Services.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(service), Status(status));
        }

        table.AddEmptyRow();
        table.AddRow("[bold]order[/]", Status(order.Status));

        // Long values go on their own lines: inside a title or caption they would be wrapped to the table's width.
        return new Rows(
            new Markup("Order [bold]" + Markup.Escape(order.OrderId) + "[/]"),
            table,
            new Markup("[grey]" + Markup.Escape(
                $"created {order.CreatedAt.ToString("u", CultureInfo.InvariantCulture)} · "
                + string.Join(", ", order.Items.Select(i => $"{i.Sku} × {i.Quantity}"))
                + (order.CorrelationId.Length > 0 ? " · correlation " + order.CorrelationId : "")) + "[/]"));
    }

    public static string Status(string status) => status switch
    {
        "COMPLETED" or "SENT" or "RESERVED" or "SKIPPED" => "[green]" + Markup.Escape(status) + "[/]",
        "PENDING" or "CANCELLING" => "[yellow]" + Markup.Escape(status) + "[/]",
        "REJECTED" or "FAILED" => "[red]" + Markup.Escape(status) + "[/]",
        "CANCELLED" or "RELEASED" => "[blue]" + Markup.Escape(status) + "[/]",
        _ => Markup.Escape(status),
    };

    public static void WriteProblem(IAnsiConsole console, int status, ProblemDetails? problem, string body)
    {
        ArgumentNullException.ThrowIfNull(console);
        if (problem is null)
        {
            console.MarkupLine($"[red]HTTP {status}[/] " + Markup.Escape(body.Length > 300 ? body[..300] + "…" : body));
            return;
        }

        console.MarkupLine($"[red]HTTP {status} {Markup.Escape(problem.Title)}[/]" + (problem.Detail is { } detail ? ": " + Markup.Escape(detail) : ""));
        foreach (var error in problem.Errors ?? [])
        {
            console.MarkupLine($"  [red]•[/] {Markup.Escape(error.Field)}: {Markup.Escape(error.Message)}");
        }

        if (problem.CorrelationId is { } correlation)
        {
            console.MarkupLine("  [grey]correlation " + Markup.Escape(correlation) + "[/]");
        }
    }
}
