using Fanout.Cli.Load;

namespace Fanout.Cli.Tests.Load;

[Trait("Category", "Unit")]
public sealed class LoadSummaryTests
{
    private static OrderOutcome Accepted(int postMs, string final, int fanoutMs) => new()
    {
        HttpStatus = 202,
        OrderId = Guid.NewGuid().ToString(),
        PostLatency = TimeSpan.FromMilliseconds(postMs),
        FinalStatus = final,
        FanoutLatency = TimeSpan.FromMilliseconds(fanoutMs),
    };

    [Fact]
    public void From_MixedOutcomes_CountsEachCategoryOnce()
    {
        OrderOutcome[] outcomes =
        [
            Accepted(10, "COMPLETED", 100),
            Accepted(20, "COMPLETED", 200),
            Accepted(30, "REJECTED", 300),
            new() { HttpStatus = 202, OrderId = "x", PostLatency = TimeSpan.FromMilliseconds(40), FanoutTimedOut = true },
            new() { HttpStatus = 400, PostLatency = TimeSpan.FromMilliseconds(5), Error = "HTTP 400 Invalid order" },
            new() { HttpStatus = 503, PostLatency = TimeSpan.FromMilliseconds(50), Error = "HTTP 503" },
            new() { HttpStatus = 0, PostLatency = TimeSpan.FromSeconds(30), Error = "Connection refused" },
        ];

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(2), Cancelled: false), new LoadOptions { Orders = 7, RatePerSecond = 5 });

        Assert.Equal(7, summary.Requested);
        Assert.Equal(7, summary.Sent);
        Assert.Equal(4, summary.Accepted);
        Assert.Equal(1, summary.Rejected);
        Assert.Equal(2, summary.Errors);
        Assert.Equal(2, summary.Completed);
        Assert.Equal(1, summary.OutOfStock);
        Assert.Equal(1, summary.TimedOut);
        Assert.Equal(0, summary.Unfinished);
        Assert.False(summary.AllSucceeded);
    }

    [Fact]
    public void From_LatencyPercentiles_ExcludeRequestsThatGotNoAnswer()
    {
        OrderOutcome[] outcomes =
        [
            Accepted(10, "COMPLETED", 100),
            Accepted(20, "COMPLETED", 300),
            new() { HttpStatus = 0, PostLatency = TimeSpan.FromSeconds(30), Error = "timed out waiting for the API" },
        ];

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(1), false), new LoadOptions { Orders = 3 });

        Assert.Equal(2, summary.PostLatency!.Count);
        Assert.Equal(20, summary.PostLatency.P99Ms);
        Assert.Equal(2, summary.FanoutLatency!.Count);
        Assert.Equal(100, summary.FanoutLatency.P50Ms);
        Assert.Equal(300, summary.FanoutLatency.P95Ms);
    }

    [Fact]
    public void Serialize_ServiceLatency_IsPerServiceInTheJsonSummary()
    {
        OrderOutcome[] outcomes =
        [
            Accepted(10, "COMPLETED", 12) with { ServiceLatency = new Dictionary<string, TimeSpan> { ["sms"] = TimeSpan.FromMilliseconds(9), ["inventory"] = TimeSpan.FromMilliseconds(7) } },
            Accepted(10, "COMPLETED", 20) with { ServiceLatency = new Dictionary<string, TimeSpan> { ["sms"] = TimeSpan.FromMilliseconds(19) } },
        ];

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(1), false), new LoadOptions { Orders = 2 });
        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(summary, LoadJsonContext.Default.LoadSummary));

        var services = json.RootElement.GetProperty("serviceLatency");
        Assert.Equal(2, services.GetProperty("sms").GetProperty("count").GetInt32());
        Assert.Equal(19, services.GetProperty("sms").GetProperty("p99Ms").GetDouble());
        Assert.Equal(7, services.GetProperty("inventory").GetProperty("p50Ms").GetDouble());
        Assert.Equal(20, json.RootElement.GetProperty("fanoutLatency").GetProperty("maxMs").GetDouble());
    }

    [Fact]
    public void From_SendDuration_GivesAnsweredRequestsPerSecond()
    {
        var outcomes = Enumerable.Range(0, 50).Select(_ => Accepted(10, "COMPLETED", 100)).ToList();

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(4), false), new LoadOptions { Orders = 50, RatePerSecond = 20 });

        Assert.Equal(12.5, summary.AchievedRatePerSecond);
        Assert.Equal(20, summary.TargetRatePerSecond);
        Assert.True(summary.AllSucceeded);
    }

    [Fact]
    public void From_CancelledRun_CountsInterruptedOrdersApartFromErrors()
    {
        OrderOutcome[] outcomes =
        [
            Accepted(10, "COMPLETED", 100),
            new() { HttpStatus = 202, OrderId = "a", PostLatency = TimeSpan.FromMilliseconds(10), Cancelled = true },
            new() { HttpStatus = 0, PostLatency = TimeSpan.FromMilliseconds(3), Cancelled = true, Error = "cancelled" },
        ];

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(1), Cancelled: true), new LoadOptions { Orders = 10 });

        Assert.Equal(2, summary.Unfinished);
        Assert.Equal(0, summary.Errors);
        Assert.Empty(summary.TopErrors);
        Assert.True(summary.Cancelled);
        Assert.False(summary.AllSucceeded);
    }

    [Fact]
    public void From_RepeatedErrors_ListsThemByFrequency()
    {
        OrderOutcome[] outcomes =
        [
            new() { HttpStatus = 503, Error = "HTTP 503" },
            new() { HttpStatus = 400, Error = "HTTP 400 Invalid order" },
            new() { HttpStatus = 503, Error = "HTTP 503" },
        ];

        var summary = LoadSummary.From(new LoadRunResult(outcomes, TimeSpan.FromSeconds(1), false), new LoadOptions { Orders = 3 });

        Assert.Equal([new ErrorCount("HTTP 503", 2), new ErrorCount("HTTP 400 Invalid order", 1)], summary.TopErrors);
    }

    [Fact]
    public void From_NoSendTime_ReportsZeroRateInsteadOfDividingByZero()
    {
        var summary = LoadSummary.From(new LoadRunResult([], TimeSpan.Zero, Cancelled: true), new LoadOptions { Orders = 5 });

        Assert.Equal(0, summary.AchievedRatePerSecond);
        Assert.Null(summary.PostLatency);
        Assert.Null(summary.FanoutLatency);
    }
}
