using System.CommandLine;
using System.Net;
using System.Text.Json;
using Fanout.Cli.Output;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout status &lt;orderId&gt;</c>: the order and every service's part in it.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.Api);
        var signIn = SignInOptions.ForApiCalls();
        var orderId = new Argument<string>("orderId") { Description = "The order id (a UUID) from `fanout order`" };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table" };
        var command = new Command("status", "Show an order's overall and per-service status (exit 1 when not found).") { orderId, json };
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var resolved = await target.ResolveAsync(parse, ct);
            var api = new Api.OrderApiClient(CliHttp.Shared, resolved.RequireApiUrl(), await signIn.ResolveAsync(parse, resolved, ct));
            var id = parse.GetValue(orderId)!;
            var got = await api.GetAsync(id, ct);
            api.EnsureAuthorized(got.Status);
            switch (got.Status)
            {
                case HttpStatusCode.OK when got.Order is { } order:
                    if (parse.GetValue(json))
                    {
                        Console.Out.WriteLine(JsonSerializer.Serialize(order, OrderIntakeJsonContext.Default.OrderView));
                    }
                    else
                    {
                        CliConsole.Out.Write(OrderRendering.OrderTable(order));
                    }

                    return ExitCodes.Ok;
                case HttpStatusCode.NotFound:
                    // The API answers 404 for another customer's order too, so as not to tell that it exists.
                    CliConsole.WriteError($"No order {id} at {api.BaseUrl} ({resolved.Description}) that this user may see; an operator (--operator) sees every order.");
                    return ExitCodes.Failed;
                case HttpStatusCode.BadRequest:
                    OrderRendering.WriteProblem(CliConsole.Error, (int)got.Status, got.Problem, "");
                    return ExitCodes.Usage;
                default:
                    OrderRendering.WriteProblem(CliConsole.Error, (int)got.Status, got.Problem, "");
                    return ExitCodes.Unavailable;
            }
        });
        return command;
    }
}
