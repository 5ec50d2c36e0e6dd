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

        Assert.Throws<InvalidOperationException>(() => InvocationContext.RequireDeadline());
    }
}
