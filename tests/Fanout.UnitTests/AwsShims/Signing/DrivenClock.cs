using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.AwsShims.Signing;

/// <summary>A fake clock that records every timer a retry pipeline starts on it, and moves itself on while a call
/// runs, so backoff delays pass at once and tests can assert how long each wait would have been.</summary>
internal sealed class DrivenClock : FakeTimeProvider
{
    private readonly List<TimeSpan> _delays = [];

    public DrivenClock(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>The due time of every timer started, in order (one per backoff wait).</summary>
    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (_delays)
            {
                return [.. _delays];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_delays)
        {
            _delays.Add(dueTime);
        }

        return base.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>Advances the clock in one-second steps until <paramref name="call"/> finishes, then returns it.</summary>
    public async Task<T> Run<T>(Task<T> call)
    {
        for (var i = 0; i < 1000 && !call.IsCompleted; i++)
        {
            Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        // A call still waiting after 1000 fake seconds waits on something else: fail instead of hanging the run.
        Assert.True(call.IsCompleted, "The call did not finish within 1000 simulated seconds.");
        return await call;
    }

    /// <summary>As <see cref="Run{T}(Task{T})"/> for a call that must throw; returns what it threw.</summary>
    public async Task<TException> RunThrows<TException>(Task call)
        where TException : Exception
    {
        for (var i = 0; i < 1000 && !call.IsCompleted; i++)
        {
            Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.True(call.IsCompleted, "The call did not finish within 1000 simulated seconds.");
        return await Assert.ThrowsAsync<TException>(() => call);
    }
}
