using System.Text.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Runtime;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Logging;

[Trait("Category", "Unit")]
public sealed class FanoutLoggerTests : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly FanoutLogger _log;

    public FanoutLoggerTests() => _log = new FanoutLogger("sms", TestClock.Create(), _output);

    public void Dispose() => _output.Dispose();

    [Fact]
    public void Info_InsideAnInvocationAndCorrelationScope_WritesRequestIdNextToCorrelationId()
    {
        using (InvocationContext.Begin(new LambdaInvocation("req-42", TestClock.Start.AddSeconds(30), null, null)))
        using (CorrelationContext.Begin("corr-7"))
        {
            _log.Info("hello", ("orderId", "o-1"));
        }

        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Information\",\"service\":\"sms\",\"message\":\"hello\",\"requestId\":\"req-42\",\"correlationId\":\"corr-7\",\"orderId\":\"o-1\"}",
            _output.ToString().Trim());
    }

    [Fact]
    public void Info_OutsideAnInvocation_WritesNoRequestId()
    {
        _log.Info("hello");

        using var line = JsonDocument.Parse(_output.ToString());
        Assert.False(line.RootElement.TryGetProperty("requestId", out _));
        Assert.Null(InvocationContext.Current);
    }

    [Fact]
    public void InvocationScope_Disposed_RestoresThePreviousInvocation()
    {
        var outer = new LambdaInvocation("outer", TestClock.Start, null, null);
        using (InvocationContext.Begin(outer))
        {
            using (InvocationContext.Begin(new LambdaInvocation("inner", TestClock.Start, null, null)))
            {
                Assert.Equal("inner", InvocationContext.Current!.AwsRequestId);
            }

            Assert.Same(outer, InvocationContext.Current);
            Assert.Equal(TestClock.Start, InvocationContext.RequireDeadline());
        }

        var error = Assert.Throws<InvalidOperationException>(() => InvocationContext.RequireDeadline());
        Assert.Equal("No Lambda invocation is in progress, so there is no deadline to bound the work.", error.Message);
    }

    [Fact]
    public void Warn_EveryFieldKind_WritesEachAsItsJsonType()
    {
        _log.Warn(
            "kinds",
            ("none", null),
            ("count", 3),
            ("big", 5_000_000_000L),
            ("ratio", 0.5),
            ("poison", true),
            ("text", "a\"b"),
            ("span", TimeSpan.FromSeconds(90)));

        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Warning\",\"service\":\"sms\",\"message\":\"kinds\"," +
            "\"none\":null,\"count\":3,\"big\":5000000000,\"ratio\":0.5,\"poison\":true,\"text\":\"a\\u0022b\",\"span\":\"00:01:30\"}",
            _output.ToString().Trim());
    }

    [Fact]
    public void Error_WithAnException_AddsItsTypeAndMessageAfterTheFields()
    {
        _log.Error("failed", new TimeoutException("SNS timed out"), ("messageId", "m-1"));

        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Error\",\"service\":\"sms\",\"message\":\"failed\"," +
            "\"messageId\":\"m-1\",\"errorType\":\"TimeoutException\",\"error\":\"SNS timed out\"}",
            _output.ToString().Trim());
    }

    [Fact]
    public void Error_WithoutAnException_WritesNoErrorFields()
    {
        _log.Error("failed", null);

        using var line = JsonDocument.Parse(_output.ToString());
        Assert.Equal("Error", line.RootElement.GetProperty("level").GetString());
        Assert.False(line.RootElement.TryGetProperty("errorType", out _));
        Assert.False(line.RootElement.TryGetProperty("error", out _));
    }

    [Fact]
    public void Debug_AtTheDebugMinimum_IsWritten()
    {
        using var output = new StringWriter();
        var log = new FanoutLogger("sms", TestClock.Create(), output, LogLevel.Debug);

        log.Debug("detail", ("n", 1));

        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Debug\",\"service\":\"sms\",\"message\":\"detail\",\"n\":1}",
            output.ToString().Trim());
    }

    [Fact]
    public void Write_BelowTheMinimum_WritesNothingAndAtTheMinimumWrites()
    {
        using var output = new StringWriter();
        var log = new FanoutLogger("sms", TestClock.Create(), output, LogLevel.Warning);

        log.Debug("d");
        log.Info("i");
        log.Warn("w");
        log.Error("e", null);

        var levels = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("level").GetString());
        Assert.Equal(["Warning", "Error"], levels);
    }

    [Fact]
    public void Debug_DefaultMinimum_IsInformationSoDebugIsDropped()
    {
        _log.Debug("detail");

        Assert.Equal("", _output.ToString());
        Assert.False(_log.IsEnabled(LogLevel.Debug));
        Assert.True(_log.IsEnabled(LogLevel.Information));
        Assert.True(_log.IsEnabled(LogLevel.Error));
    }

    [Fact]
    public void Info_SeveralLines_WritesOneJsonObjectPerLine()
    {
        _log.Info("one");
        _log.Info("two");

        var lines = _output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["one", "two"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message").GetString()));
    }

    [Fact]
    public void CorrelationScope_Disposed_RestoresThePreviousId()
    {
        using (CorrelationContext.Begin("outer"))
        {
            using (CorrelationContext.Begin("inner"))
            {
                Assert.Equal("inner", CorrelationContext.Current);
            }

            Assert.Equal("outer", CorrelationContext.Current);
        }

        Assert.Null(CorrelationContext.Current);
    }

    [Fact]
    public void Info_OutsideACorrelationScope_WritesNoCorrelationId()
    {
        _log.Info("hello");

        using var line = JsonDocument.Parse(_output.ToString());
        Assert.False(line.RootElement.TryGetProperty("correlationId", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void Constructor_NoServiceName_Throws(string? service)
    {
        Assert.ThrowsAny<ArgumentException>(() => new FanoutLogger(service!, TestClock.Create(), TextWriter.Null));
    }

    [Fact]
    public void Constructor_NoClockOrOutput_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new FanoutLogger("sms", null!, TextWriter.Null));
        Assert.Throws<ArgumentNullException>(() => new FanoutLogger("sms", TestClock.Create(), null!));
    }

    [Fact]
    public void InvocationScope_NullInvocation_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => InvocationContext.Begin(null!));
    }
}
