using System.Text;
using Fanout.AwsShims.Runtime;
using Fanout.Harness.Metering;

namespace Fanout.Cli.Tests.Cost;

[Trait("Category", "Unit")]
public sealed class CostMeteringTests
{
    [Theory]
    [InlineData(0.2, 1)]
    [InlineData(1.0, 1)]
    [InlineData(1.0001, 2)]
    [InlineData(120.5, 121)]
    public void BilledMilliseconds_Duration_RoundsUpToTheMillisecond(double milliseconds, long billed)
    {
        Assert.Equal(billed, InvocationMeter.BilledMilliseconds(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public async Task Wrap_SucceededAndFailedInvocations_CountsBoth()
    {
        var meter = new InvocationMeter();
        var ok = meter.Wrap("Sms", new Handler(fail: false));
        var failing = meter.Wrap("Sms", new Handler(fail: true));
        var invocation = new LambdaInvocation("r-1", DateTimeOffset.MaxValue, null, null);

        await ok.InvokeAsync(ReadOnlyMemory<byte>.Empty, invocation, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.InvokeAsync(ReadOnlyMemory<byte>.Empty, invocation, TestContext.Current.CancellationToken));

        var sms = meter.Snapshot()["Sms"];
        Assert.Equal(2, sms.Invocations);
        Assert.True(sms.BilledMilliseconds >= 2);
        Assert.Equal(0, meter.InFlight);
        Assert.Equal(2, meter.Total);
    }

    [Fact]
    public void Write_Utf8Text_CountsBytesAndPassesItOn()
    {
        using var inner = new StringWriter();
        using var counting = new CountingTextWriter(inner);

        counting.WriteLine("{\"a\":\"é\"}");
        counting.Write('x');

        Assert.Equal(10 + Environment.NewLine.Length + 1, counting.Bytes);
        Assert.Equal("{\"a\":\"é\"}" + Environment.NewLine + "x", inner.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(inner.ToString()), counting.Bytes);
    }

    private sealed class Handler(bool fail) : ILambdaHandler
    {
        public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken) =>
            fail ? throw new InvalidOperationException("boom") : Task.FromResult(Array.Empty<byte>());
    }
}
