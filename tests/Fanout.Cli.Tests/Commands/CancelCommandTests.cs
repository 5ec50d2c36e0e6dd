using System.Net;
using Fanout.Cli.Api;
using Fanout.Cli.Commands;
using Fanout.Cli.Tests.TestDoubles;
using Fanout.OrderIntake.Core;
using Spectre.Console;
using CancelOrderResult = Fanout.Cli.Api.CancelOrderResult;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class CancelCommandTests
{
    private static readonly Uri _base = new("http://api.test/");

    private static (IAnsiConsole Console, StringWriter Text) Console()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 200;
        return (console, text);
    }

    [Fact]
    public async Task CancelAsync_Accepted_PostsToTheCancelRouteWithTheTokenAndReadsTheStatus()
    {
        var api = new FakeOrderApi { AcceptedTokens = new HashSet<string> { "eyJ.good" } };
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base, new Fanout.Cli.SignIn.GivenAccessToken("eyJ.good", "t"));

        var answer = await client.CancelAsync("o-1", TestContext.Current.CancellationToken);

        Assert.True(answer.Accepted);
        Assert.Equal("CANCELLING", answer.OrderStatus);
        Assert.Null(answer.Problem);
        Assert.Equal(["/orders/o-1/cancel"], api.CancelPaths);
        Assert.Equal(["Bearer eyJ.good"], api.Authorizations);
    }

    [Fact]
    public async Task CancelAsync_Conflict_ReadsTheProblem()
    {
        using var http = new HttpClient(new FakeOrderApi { CancelStatus = HttpStatusCode.Conflict });
        var client = new OrderApiClient(http, _base);

        var answer = await client.CancelAsync("o-2", TestContext.Current.CancellationToken);

        Assert.False(answer.Accepted);
        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.Null(answer.OrderStatus);
        Assert.Equal("Cannot cancel", answer.Problem!.Title);
        Assert.Equal("The order is REJECTED.", answer.Problem.Detail);
    }

    [Fact]
    public void CancelUrl_EscapesTheOrderId()
    {
        Assert.Equal("http://api.test/orders/a%2Fb/cancel", new OrderApiClient(new HttpClient(), _base).CancelUrl("a/b").ToString());
    }

    [Theory]
    [InlineData(HttpStatusCode.Accepted, ExitCodes.Ok)]
    [InlineData(HttpStatusCode.NotFound, ExitCodes.Failed)]
    [InlineData(HttpStatusCode.Conflict, ExitCodes.Failed)]
    [InlineData(HttpStatusCode.BadRequest, ExitCodes.Usage)]
    [InlineData(HttpStatusCode.InternalServerError, ExitCodes.Unavailable)]
    [InlineData(HttpStatusCode.ServiceUnavailable, ExitCodes.Unavailable)]
    public void Report_Status_MapsToExitCode(HttpStatusCode status, int expected)
    {
        var (console, _) = Console();

        Assert.Equal(expected, CancelCommand.Report(console, "o-1", new CancelOrderResult(status, null, null, "")));
    }

    [Fact]
    public void Report_Accepted_PrintsTheOrderAndItsNewStatus()
    {
        var (console, text) = Console();

        CancelCommand.Report(console, "o-9", new CancelOrderResult(HttpStatusCode.Accepted, "CANCELLING", null, "{}"));

        Assert.Equal("Accepted cancellation of order o-9: CANCELLING", text.ToString().Trim());
    }

    [Fact]
    public void Report_NotFound_SaysNotYoursOrNone()
    {
        var (console, text) = Console();

        CancelCommand.Report(console, "o-9", new CancelOrderResult(HttpStatusCode.NotFound, null, null, ""));

        Assert.Equal("HTTP 404 No order o-9 that this user may cancel; an operator (--operator) may cancel any order.", text.ToString().Trim());
    }

    [Fact]
    public void Report_Conflict_PrintsTheProblem()
    {
        var (console, text) = Console();
        var problem = new ProblemDetails { Title = "Order cannot be cancelled", Status = 409, Detail = "It is CANCELLED." };

        CancelCommand.Report(console, "o-9", new CancelOrderResult(HttpStatusCode.Conflict, null, problem, ""));

        Assert.Equal("HTTP 409 Order cannot be cancelled: It is CANCELLED.", text.ToString().Trim());
    }

    [Fact]
    public async Task WaitForCancelledAsync_CancellingThenCancelled_ReturnsTheCancelledOrder()
    {
        var api = new FakeOrderApi { CancellingPolls = 2 };
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);
        var ct = TestContext.Current.CancellationToken;
        await client.CancelAsync("o-3", ct);

        var final = await CancelCommand.WaitForCancelledAsync(client, "o-3", TimeSpan.FromSeconds(30), ct);

        Assert.Equal("CANCELLED", final!.Status);
        Assert.Equal(4, api.Authorizations.Count); // the cancel, two CANCELLING polls, the CANCELLED one
    }

    [Fact]
    public async Task WaitForCancelledAsync_StaysCancelling_ReturnsTheLastViewAtTheTimeout()
    {
        var api = new FakeOrderApi { CancelledStatus = null };
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);
        var ct = TestContext.Current.CancellationToken;
        await client.CancelAsync("o-4", ct);

        var final = await CancelCommand.WaitForCancelledAsync(client, "o-4", TimeSpan.FromMilliseconds(300), ct);

        Assert.Equal("CANCELLING", final!.Status);
        Assert.InRange(api.Authorizations.Count, 2, 10); // the cancel and at least one poll, every one CANCELLING
    }

    [Fact]
    public async Task WaitForCancelledAsync_ZeroTimeout_PollsOnce()
    {
        var api = new FakeOrderApi();
        using var http = new HttpClient(api);
        var client = new OrderApiClient(http, _base);

        var final = await CancelCommand.WaitForCancelledAsync(client, "o-5", TimeSpan.Zero, TestContext.Current.CancellationToken);

        Assert.Equal("PENDING", final!.Status);
        Assert.Single(api.Authorizations);
    }
}
