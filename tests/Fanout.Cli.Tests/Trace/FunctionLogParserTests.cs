using Fanout.Cli.Trace;

namespace Fanout.Cli.Tests.Trace;

[Trait("Category", "Unit")]
public sealed class FunctionLogParserTests
{
    [Fact]
    public void TryParse_ConsumerRecordEmfLine_ReadsTimingsOutcomeAndTrace()
    {
        // Hand-written exactly as the contract's per-record line: dimensions, metrics, string properties.
        const string line = """
            {"_aws":{"Timestamp":1796032800012,"CloudWatchMetrics":[{"Namespace":"Fanout","Dimensions":[["Service"],["Service","EventType"]],"Metrics":[{"Name":"QueueWaitTime","Unit":"Milliseconds"},{"Name":"ProcessingTime","Unit":"Milliseconds"},{"Name":"Received","Unit":"Count"},{"Name":"Handled","Unit":"Count"},{"Name":"Retried","Unit":"Count"},{"Name":"WriteUnits","Unit":"Count"},{"Name":"ReadUnits","Unit":"Count"}]}]},"Service":"sms","EventType":"OrderPlaced","QueueWaitTime":4,"ProcessingTime":7.5,"Received":1,"Handled":1,"Retried":1,"WriteUnits":2,"ReadUnits":0,"messageId":"m-1","eventId":"e-1","orderId":"o-1","correlationId":"c-1","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","receiveCount":"2","outcome":"handled","startedAt":"2026-11-29T10:00:00.004Z"}
            """;

        var parsed = FunctionLogParser.TryParse(line);

        Assert.NotNull(parsed);
        Assert.True(parsed.IsMetrics);
        Assert.True(parsed.IsRecord);
        Assert.False(parsed.IsPublish);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1796032800012), parsed.At);
        Assert.Equal("sms", parsed.Service);
        Assert.Equal("OrderPlaced", parsed.EventType);
        Assert.Equal(4, parsed.QueueWaitMs);
        Assert.Equal(7.5, parsed.ProcessingMs);
        Assert.Equal("handled", parsed.Outcome);
        Assert.Equal(2, parsed.ReceiveCount);
        Assert.True(parsed.Retried);
        Assert.Equal("o-1", parsed.OrderId);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", parsed.TraceId);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 10, 0, 0, 4, TimeSpan.Zero), parsed.StartedAt);
    }

    [Fact]
    public void TryParse_LoggerLine_ReadsServiceMessageAndOrder()
    {
        const string line = """{"timestamp":"2026-11-29T10:00:00.0030000+00:00","level":"Information","service":"orders","message":"Order accepted","requestId":"r","correlationId":"c","orderId":"o-1","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}""";

        var parsed = FunctionLogParser.TryParse(line);

        Assert.NotNull(parsed);
        Assert.False(parsed.IsMetrics);
        Assert.Equal("orders", parsed.Service);
        Assert.Equal("Order accepted", parsed.Message);
        Assert.Equal("o-1", parsed.OrderId);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 10, 0, 0, 3, TimeSpan.Zero), parsed.At);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"harness\":\"poll error\"}")]
    [InlineData("{\"timestamp\":\"yesterday\",\"message\":\"x\"}")]
    [InlineData("{\"_aws\":{\"Timestamp\":\"soon\"},\"Service\":\"sms\"}")]
    [InlineData("[1,2]")]
    [InlineData("{\"timestamp\":\"2026-11-29T10:00:00Z\",\"message\":")]
    public void TryParse_NotAUsableLine_IsSkipped(string line) => Assert.Null(FunctionLogParser.TryParse(line));

    [Fact]
    public void TryParse_MembersOfTheWrongKind_AreTreatedAsMissing()
    {
        var parsed = FunctionLogParser.TryParse("""{"_aws":{"Timestamp":1796032800000},"Service":7,"QueueWaitTime":"fast","Received":1,"orderId":{"x":1},"traceparent":"garbage"}""");

        Assert.NotNull(parsed);
        Assert.True(parsed.IsRecord);
        Assert.Null(parsed.Service);
        Assert.Null(parsed.QueueWaitMs);
        Assert.Null(parsed.OrderId);
        Assert.Null(parsed.TraceId);
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later", "4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", null)]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", null)]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null)]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", null)]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", null)]
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", null)]
    [InlineData(null, null)]
    public void TraceIdOf_TraceParent_FollowsW3CTraceContext(string? traceParent, string? expected) =>
        Assert.Equal(expected, TraceParent.TraceIdOf(traceParent));
}
