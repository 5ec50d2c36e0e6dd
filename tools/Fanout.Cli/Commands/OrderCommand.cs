using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Fanout.Cli.Api;
using Fanout.Cli.Output;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Events;
using Fanout.OrderIntake.Core;
using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout order</c>: one demo (or hand-made) order.</summary>
internal static class OrderCommand
{
    public const string DemoPhone = "+15555550100";

    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Api);
        var signIn = SignInOptions.ForApiCalls();
        var sku = new Option<string[]>("--sku") { Description = "A SKU to order; repeat for more lines (default: two demo SKUs)", HelpName = "sku", Arity = ArgumentArity.ZeroOrMore };
        var quantity = new Option<int[]>("--quantity") { Description = "Units of the matching --sku, in order (default 1)", HelpName = "n", Arity = ArgumentArity.ZeroOrMore };
        var customer = new Option<string?>("--customer-id") { Description = "Place the order for this customer (operators only; by default the API takes the customer from the token)", HelpName = "id" };
        var email = new Option<string>("--email") { Description = "Customer e-mail", DefaultValueFactory = _ => "demo@example.com" };
        var phone = new Option<string?>("--phone") { Description = $"Customer phone, E.164 (default {DemoPhone})" };
        var noPhone = new Option<bool>("--no-phone") { Description = "Order without a phone (the SMS service then skips it)" };
        var key = new Option<string?>("--idempotency-key") { Description = "Idempotency-Key header: resending with the same key returns the same order (default: a new UUID; the API requires one)" };
        var wait = new Option<bool>("--wait") { Description = "Poll until the order leaves PENDING and show every service's status" };
        var timeout = new DurationOption("--timeout", "How long --wait waits", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        var command = new Command("order", "Send one order (demo SKUs unless --sku) and print its id and Location.")
        {
            sku, quantity, customer, email, phone, noPhone, key, wait, timeout.Option,
        };
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var skus = parse.GetValue(sku) ?? [];
            var demoSkus = skus.Length == 0 ? (await DemoCatalog.LoadAsync(ct)).Skus : [];
            var order = BuildOrder(skus, parse.GetValue(quantity) ?? [], demoSkus, parse.GetValue(customer), parse.GetValue(email)!, parse.GetValue(noPhone) ? null : parse.GetValue(phone) ?? DemoPhone);
            var resolved = await target.ResolveAsync(parse, ct);
            var token = await signIn.ResolveAsync(parse, resolved, ct);
            var api = new OrderApiClient(CliHttp.Shared, resolved.RequireApiUrl(), token);
            CliConsole.WriteNote($"POST {api.OrdersUrl} ({resolved.Description}) as {token.Description}");
            var placed = await api.PlaceAsync(order, parse.GetValue(key), ct);
            api.EnsureAuthorized(placed.Status);
            if (!placed.Accepted)
            {
                OrderRendering.WriteProblem(CliConsole.Out, (int)placed.Status, placed.Problem, placed.Body);
                return (int)placed.Status >= 500 ? ExitCodes.Unavailable : ExitCodes.Failed;
            }

            var console = CliConsole.Out;
            console.MarkupLine($"[green]Accepted[/] order [bold]{Markup.Escape(placed.OrderId!)}[/]" + (placed.Replayed ? " [yellow](replayed: this Idempotency-Key was used before)[/]" : ""));
            console.MarkupLine("  Idempotency-Key: " + Markup.Escape(placed.IdempotencyKey));
            console.MarkupLine("  Location: " + Markup.Escape(placed.Location is null ? "(none)" : new Uri(api.BaseUrl, placed.Location).ToString()));
            if (placed.CorrelationId is { } correlation)
            {
                console.MarkupLine("  Correlation: " + Markup.Escape(correlation));
            }

            if (!parse.GetValue(wait))
            {
                return ExitCodes.Ok;
            }

            var final = await WaitForFinalAsync(api, placed.OrderId!, timeout.Get(parse), ct);
            if (final is null)
            {
                CliConsole.WriteWarning($"Order {placed.OrderId} is still PENDING after {Durations.Format(timeout.Get(parse))}; check `fanout status {placed.OrderId}` and `fanout watch`.");
                return ExitCodes.Failed;
            }

            console.Write(OrderRendering.OrderTable(final));
            return final.Status == "COMPLETED" ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <param name="customerId">Null or blank leaves <c>customer.id</c> out: the API uses the token's <c>sub</c>.</param>
    internal static PlaceOrderCommand BuildOrder(IReadOnlyList<string> skus, IReadOnlyList<int> quantities, IReadOnlyList<string> demoSkus, string? customerId, string email, string? phone)
    {
        if (quantities.Count > skus.Count)
        {
            throw new UsageException($"{quantities.Count} --quantity values for {skus.Count} --sku: give one --quantity per --sku, in order.");
        }

        if (quantities.Any(q => q <= 0))
        {
            throw new UsageException("--quantity must be at least 1.");
        }

        IEnumerable<OrderLine> lines = skus.Count > 0
            ? skus.Select((s, i) => new OrderLine { Sku = s, Quantity = i < quantities.Count ? quantities[i] : 1 })
            : demoSkus.Take(2).Select(s => new OrderLine { Sku = s, Quantity = 1 });

        // The API validates everything and answers with every problem at once; the CLI does not second-guess it.
        return new PlaceOrderCommand
        {
            Customer = new CustomerInfo { Id = string.IsNullOrWhiteSpace(customerId) ? "" : customerId.Trim(), Email = email, Phone = phone },
            Items = [.. lines],
        };
    }

    internal static async Task<OrderView?> WaitForFinalAsync(OrderApiClient api, string orderId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        while (clock.Elapsed < timeout)
        {
            var got = await api.GetAsync(orderId, cancellationToken);
            api.EnsureAuthorized(got.Status);
            if (got.Order is { } view && view.Status != OrderApiClient.PendingStatus)
            {
                return view;
            }

            if (got.Status != HttpStatusCode.OK && got.Status != HttpStatusCode.NotFound && (int)got.Status < 500)
            {
                throw new UsageException($"GET /orders/{orderId} answered {(int)got.Status} {got.Problem?.Title}.");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 1.5));
        }

        return null;
    }
}
