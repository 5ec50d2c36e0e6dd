namespace Fanout.Cli.Load;

/// <summary>A token bucket: <c>permitsPerSecond</c> on average, at most <c>burst</c> at once. Callers reserve a
/// token even when none is left (the bucket goes negative) and wait for their turn, so waiters are served in
/// arrival order and the rate holds however many callers there are.</summary>
internal sealed class RateLimiter
{
    private readonly double _permitsPerSecond;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _refilledAt;

    public RateLimiter(double permitsPerSecond, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permitsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        ArgumentNullException.ThrowIfNull(time);
        _permitsPerSecond = permitsPerSecond;
        _burst = burst;
        _time = time;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Waits until the caller may proceed.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            Refill();
            _tokens -= 1;
            if (_tokens >= 0)
            {
                return;
            }

            wait = TimeSpan.FromSeconds(-_tokens / _permitsPerSecond);
        }

        try
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Hand the reservation back so a cancelled waiter does not slow the ones still queued.
            lock (_gate)
            {
                _tokens += 1;
            }

            throw;
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now);
        _refilledAt = now;
        _tokens = Math.Min(_burst, _tokens + (elapsed.TotalSeconds * _permitsPerSecond));
    }
}
