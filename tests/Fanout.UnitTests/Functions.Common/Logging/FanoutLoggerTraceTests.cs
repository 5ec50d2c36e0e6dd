using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Tracing;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Logging;

[Trait("Category", "Unit")]
public sealed class FanoutLoggerTraceTests : IDisposable
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private readonly StringWriter _output = new();
    private readonly FanoutLogger _log;

    public FanoutLoggerTraceTests() => _log = new FanoutLogger("sms", TestClock.Create(), _output);

    public void Dispose() => _output.Dispose();

    [Fact]
    public void Info_InsideATraceScope_WritesItsTraceParentAfterTheCorrelationId()
    {
        using (CorrelationContext.Begin("corr-7"))
        using (TraceScope.Begin(TraceContext.Parse(TraceParent)))
        {
            _log.Info("hello");
        }

        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Information\",\"service\":\"sms\",\"message\":\"hello\",\"correlationId\":\"corr-7\",\"traceparent\":\"" + TraceParent + "\"}",
            _output.ToString().Trim());
        Assert.Null(TraceScope.Current);
    }

    [Fact]
    public void Warn_OutsideATrace_WritesNoTraceParent()
    {
        _log.Warn("hello");

        using var line = JsonDocument.Parse(_output.ToString());
        Assert.False(line.RootElement.TryGetProperty("traceparent", out _));
    }

    [Fact]
    public void Metrics_AnyLevel_WritesOneEmfLineForTheLoggersService()
    {
        var quiet = new FanoutLogger("email", TestClock.Create(), _output, LogLevel.Error);

        quiet.Metrics(EventTypes.EmailSent, [new MetricDatum(FanoutMetrics.Published, FanoutMetrics.Count, 1)], [("eventId", "e-1")]);

        using var line = JsonDocument.Parse(_output.ToString());
        Assert.Equal("email", line.RootElement.GetProperty("Service").GetString());
        Assert.Equal(EventTypes.EmailSent, line.RootElement.GetProperty("EventType").GetString());
        Assert.Equal(1, line.RootElement.GetProperty(FanoutMetrics.Published).GetDouble());
        Assert.Equal("e-1", line.RootElement.GetProperty("eventId").GetString());
        Assert.Equal("email", quiet.Service);
    }
}
