using System.Text.Json;
using Fanout.Cli.Commands;
using Fanout.Cli.Trace;
using Spectre.Console;

namespace Fanout.Cli.Tests.Trace;

[Trait("Category", "Unit")]
public sealed class OrderTraceTests
{
    private const string OrderId = "0193a1b2-0000-7000-8000-000000000001";
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string OtherTraceId = "a3ce929d0e0e47364bf92f3577b34da6";

    private static IReadOnlyList<FunctionLogLine> Parse(IEnumerable<string> lines) =>
        [.. lines.Select(FunctionLogParser.TryParse).OfType<FunctionLogLine>()];

    [Fact]
    public void Build_WholeJourney_ListsEveryHopInTimeOrder()
    {
        var hops = OrderTrace.Build(Parse(ContractLines.Journey(OrderId, TraceId).Reverse()), OrderId);

        Assert.Equal(
            [
                ("orders", HopKinds.Published), ("orders", HopKinds.Accepted),
                ("inventory", HopKinds.Consumed), ("sms", HopKinds.Consumed), ("inventory", HopKinds.Published), ("sms", HopKinds.Published),
                ("email", HopKinds.Consumed), ("email", HopKinds.Published),
                ("orderstatus", HopKinds.Consumed), ("orderstatus", HopKinds.Applied),
                ("orderstatus", HopKinds.Consumed), ("orderstatus", HopKinds.Applied),
                ("orderstatus", HopKinds.Consumed), ("orderstatus", HopKinds.Applied), ("orderstatus", HopKinds.Completed),
            ],
            hops.Select(h => (h.Service, h.Hop)));
        Assert.True(hops.Zip(hops.Skip(1)).All(p => p.First.At <= p.Second.At));
        var email = Assert.Single(hops, h => h.Service == "email" && h.Hop == HopKinds.Consumed);
        Assert.Equal(6, email.QueueWaitMs);
        Assert.Equal(3, email.ProcessingMs);
        Assert.Equal(2, email.ReceiveCount);
        Assert.True(email.Retried);
        Assert.Equal(ContractLines.T0.AddMilliseconds(9), email.At);
        var completed = hops[^1];
        Assert.Equal(14, completed.EndToEndMs);
        Assert.Equal(["inventory", "sms", "email"], hops.Where(h => h.Hop == HopKinds.Applied).Select(h => h.ForService));
        Assert.All(hops, h => Assert.Equal(TraceId, h.TraceId));
    }

    [Fact]
    public void Build_LineWithoutOrderId_JoinsThroughItsTraceId()
    {
        var hops = OrderTrace.Build(Parse(ContractLines.Journey(OrderId, TraceId)), OrderId);

        Assert.Contains(hops, h => h.Service == "email" && h.Hop == HopKinds.Published && h.EventType == "EmailSent");
    }

    [Fact]
    public void Build_OtherOrdersAndOtherTraces_AreLeftOut()
    {
        const string other = "0193a1b2-0000-7000-8000-000000000002";
        var lines = ContractLines.Journey(OrderId, TraceId)
            .Concat(ContractLines.Journey(other, OtherTraceId))
            .Append(ContractLines.Log(20, "sms", "Warning", "Provider slow", null, ContractLines.TraceParent(OtherTraceId)))
            .Append(ContractLines.Log(21, "sms", "Warning", "Provider slow for this one", null, ContractLines.TraceParent(TraceId)))
            .Append("{\"harness\":\"noise\"}")
            .Append("not json at all");

        var hops = OrderTrace.Build(Parse(lines), OrderId);

        Assert.Equal(16, hops.Count);
        Assert.All(hops, h => Assert.Equal(TraceId, h.TraceId));
        var warning = Assert.Single(hops, h => h.Hop == HopKinds.Log);
        Assert.Equal("Warning: Provider slow for this one", warning.Message);
    }

    [Fact]
    public void Build_UnknownOrder_HasNoHop()
    {
        Assert.Empty(OrderTrace.Build(Parse(ContractLines.Journey(OrderId, TraceId)), "0193a1b2-0000-7000-8000-00000000dead"));
    }

    [Fact]
    public void Build_LinesWithoutTraceparent_StillTraceByOrderId()
    {
        // Before every function writes traceparent, orderId alone still finds the hops that carry it.
        var lines = new[]
        {
            """{"timestamp":"2026-11-29T10:00:00.003Z","level":"Information","service":"orders","message":"Order accepted","orderId":"o-9"}""",
            """{"_aws":{"Timestamp":1796032800009},"Service":"sms","EventType":"OrderPlaced","QueueWaitTime":2,"ProcessingTime":3,"Received":1,"Handled":1,"orderId":"o-9"}""",
        };

        var hops = OrderTrace.Build(Parse(lines), "o-9");

        Assert.Equal([HopKinds.Accepted, HopKinds.Consumed], hops.Select(h => h.Hop));
        Assert.All(hops, h => Assert.Null(h.TraceId));
    }

    [Fact]
    public void Build_OnlyTwoServicesApplied_HasNoCompletion()
    {
        var lines = ContractLines.Journey(OrderId, TraceId).Where(l => !l.Contains("\"service\":\"email\"", StringComparison.Ordinal));

        var hops = OrderTrace.Build(Parse(lines), OrderId);

        Assert.Equal(2, hops.Count(h => h.Hop == HopKinds.Applied));
        Assert.DoesNotContain(hops, h => h.Hop == HopKinds.Completed);
    }

    [Fact]
    public void Serialize_Hops_HasTheDocumentedShape()
    {
        var hops = OrderTrace.Build(Parse(ContractLines.Journey(OrderId, TraceId)), OrderId);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(hops, TraceJsonContext.Default.IReadOnlyListTraceHop));

        var consumed = json.RootElement.EnumerateArray().First(h => h.GetProperty("hop").GetString() == "consumed");
        Assert.Equal("inventory", consumed.GetProperty("service").GetString());
        Assert.Equal("OrderPlaced", consumed.GetProperty("eventType").GetString());
        Assert.Equal(3, consumed.GetProperty("queueWaitMs").GetDouble());
        Assert.Equal(4, consumed.GetProperty("processingMs").GetDouble());
        Assert.Equal(TraceId, consumed.GetProperty("traceId").GetString());
        Assert.Equal("2026-11-29T10:00:00.005+00:00", consumed.GetProperty("at").GetString());
        Assert.False(consumed.TryGetProperty("endToEndMs", out _));
    }

    [Fact]
    public void Render_Hops_ShowsEveryHopAndTheTrace()
    {
        var hops = OrderTrace.Build(Parse(ContractLines.Journey(OrderId, TraceId)), OrderId);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
        console.Profile.Width = 200;

        console.Write(TraceCommand.Render(OrderId, hops));

        var output = text.ToString();
        Assert.Contains("completed", output, StringComparison.Ordinal);
        Assert.Contains("for email", output, StringComparison.Ordinal);
        Assert.Contains("handled (receive 2)", output, StringComparison.Ordinal);
        Assert.Contains("trace " + TraceId, output, StringComparison.Ordinal);
    }
}
