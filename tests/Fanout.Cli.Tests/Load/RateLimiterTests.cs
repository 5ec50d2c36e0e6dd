using Fanout.Cli.Load;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Cli.Tests.Load;

[Trait("Category", "Unit")]
public sealed class RateLimiterTests
{
    [Fact]
    public async Task WaitAsync_WithinBurst_CompletesAtOnce()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(permitsPerSecond: 2, burst: 3, time);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.WaitAsync(TestContext.Current.CancellationToken).AsTask().IsCompleted);
        }

        await Task.CompletedTask;
    }

    [Fact]
    public async Task WaitAsync_BeyondBurst_WaitsOneIntervalPerPermit()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(permitsPerSecond: 2, burst: 1, time);
        var ct = TestContext.Current.CancellationToken;
        await limiter.WaitAsync(ct);

        var second = limiter.WaitAsync(ct).AsTask();
        var third = limiter.WaitAsync(ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(second.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.False(third.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(500));
        await third.WaitAsync(TimeSpan.FromSeconds(5), ct);
    }

    [Fact]
    public async Task WaitAsync_AfterIdle_RefillsNoMoreThanBurst()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(permitsPerSecond: 10, burst: 2, time);
        var ct = TestContext.Current.CancellationToken;
        await limiter.WaitAsync(ct);
        await limiter.WaitAsync(ct);

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.True(limiter.WaitAsync(ct).AsTask().IsCompleted);
        Assert.True(limiter.WaitAsync(ct).AsTask().IsCompleted);
        Assert.False(limiter.WaitAsync(ct).AsTask().IsCompleted);
    }

    [Fact]
    public async Task WaitAsync_CancelledWaiter_ReturnsItsReservation()
    {
        var time = new FakeTimeProvider();
        var limiter = new RateLimiter(permitsPerSecond: 1, burst: 1, time);
        var ct = TestContext.Current.CancellationToken;
        await limiter.WaitAsync(ct);
        using var cancel = new CancellationTokenSource();

        var cancelled = limiter.WaitAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        // Without the hand-back the next caller would wait two seconds, not one.
        var next = limiter.WaitAsync(ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(5), ct);
    }
}
