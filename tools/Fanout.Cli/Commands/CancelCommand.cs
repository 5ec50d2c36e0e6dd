using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Fanout.Cli.Api;
using Fanout.Cli.Output;
using Fanout.Cli.SignIn;
using Fanout.OrderIntake.Core;
using Spectre.Console;
using CancelOrderResult = Fanout.Cli.Api.CancelOrderResult;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout cancel &lt;orderId&gt; [--wait]</c>: asks the API to cancel an order (signed in like
/// <c>fanout order</c>) and prints its answer; with <c>--wait</c>, polls until the order is <c>CANCELLED</c>.</summary>
internal static class CancelCommand
{
    public const string CancelledStatus = "CANCELLED";

    public static Command Create()
    {
        var target = TargetOptions.For(Targeting.TargetNeeds.Api);
        var signIn = SignInOptions.ForApiCalls();
        var orderId = new Argument<string>("orderId") { Description = "The order id (a UUID) from `fanout order`" };
        var wait = new Option<bool>("--wait") { Description = "Poll until the order is CANCELLED and show every service's status" };
        var timeout = new DurationOption("--timeout", "How long --wait waits", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        var command = new Command("cancel", "Cancel an order (POST /orders/{id}/cancel): it becomes CANCELLING, then CANCELLED once inventory gave back what it held.")
        {
            orderId, wait, timeout.Option,
        };
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var resolved = await target.ResolveAsync(parse, ct);
            var token = await signIn.ResolveAsync(parse, resolved, ct);
            var api = new OrderApiClient(CliHttp.Shared, resolved.RequireApiUrl(), token);
            var id = parse.GetValue(orderId)!;
            CliConsole.WriteNote($"POST {api.CancelUrl(id)} ({resolved.Description}) as {token.Description}");
            var answer = await api.CancelAsync(id, ct);
            api.EnsureAuthorized(answer.Status);
            var exit = Report(CliConsole.Out, id, answer);
            if (exit != ExitCodes.Ok || !parse.GetValue(wait))
            {
                return exit;
            }

            var final = await WaitForCancelledAsync(api, id, timeout.Get(parse), ct);
            if (final is not { Status: CancelledStatus })
            {
                CliConsole.WriteWarning($"Order {id} is {final?.Status ?? "not visible"} after {Durations.Format(timeout.Get(parse))}: a release that keeps failing waits in the inventory DLQ (`fanout dlq list inventory`).");
                if (final is not null)
                {
                    CliConsole.Out.Write(OrderRendering.OrderTable(final));
                }

                return ExitCodes.Failed;
            }

            CliConsole.Out.Write(OrderRendering.OrderTable(final));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Prints the API's answer and maps it to an exit code: 202 → <see cref="ExitCodes.Ok"/>; 404 and 409 →
    /// <see cref="ExitCodes.Failed"/> (the order is not the caller's, or can no longer be cancelled); 400 →
    /// <see cref="ExitCodes.Usage"/>; anything else → <see cref="ExitCodes.Unavailable"/>.</summary>
    internal static int Report(IAnsiConsole console, string orderId, CancelOrderResult answer)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(answer);
        switch (answer.Status)
        {
            case HttpStatusCode.Accepted:
                console.MarkupLine($"[green]Accepted[/] cancellation of order [bold]{Markup.Escape(orderId)}[/]: " + OrderRendering.Status(answer.OrderStatus ?? "CANCELLING"));
                return ExitCodes.Ok;
            case HttpStatusCode.NotFound:
                // The API answers 404 for another customer's order too, so as not to tell that it exists.
                console.MarkupLine($"[red]HTTP 404[/] No order {Markup.Escape(orderId)} that this user may cancel; an operator (--operator) may cancel any order.");
                return ExitCodes.Failed;
            case HttpStatusCode.Conflict:
                OrderRendering.WriteProblem(console, (int)answer.Status, answer.Problem, answer.Body);
                return ExitCodes.Failed;
            case HttpStatusCode.BadRequest:
                OrderRendering.WriteProblem(console, (int)answer.Status, answer.Problem, answer.Body);
                return ExitCodes.Usage;
            default:
                OrderRendering.WriteProblem(console, (int)answer.Status, answer.Problem, answer.Body);
                return ExitCodes.Unavailable;
        }
    }

    /// <summary>Polls <c>GET /orders/{id}</c> (100 ms, growing by half up to 1 s) until the order is
    /// <c>CANCELLED</c> or <paramref name="timeout"/> passed; returns the last view seen (null if none).</summary>
    internal static async Task<OrderView?> WaitForCancelledAsync(OrderApiClient api, string orderId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        OrderView? last = null;
        while (true)
        {
            var got = await api.GetAsync(orderId, cancellationToken);
            api.EnsureAuthorized(got.Status);
            last = got.Order ?? last;
            if (last is { Status: CancelledStatus } || clock.Elapsed >= timeout)
            {
                return last;
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 1.5));
        }
    }
}
