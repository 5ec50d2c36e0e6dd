namespace Fanout.Functions.Common.Sqs;

/// <summary>How long a transiently failed record stays invisible before its next attempt: capped exponential
/// backoff with jitter, <c>min(base × 2^(receiveCount−1), cap) + jitter</c> seconds, where the jitter is a
/// uniform share of up to a quarter of that delay (whole seconds, rounded down), so records failing together do
/// not come back together. The result never exceeds SQS's 43,200-second visibility limit. See "Exponential
/// backoff and jitter" (AWS Architecture Blog) and the SQS <c>ChangeMessageVisibility</c> reference.</summary>
public sealed class RetryBackoff
{
    /// <summary>SQS's largest visibility timeout, in seconds (12 hours).</summary>
    public const int MaxVisibilitySeconds = 43_200;

    /// <summary>The largest jitter, as a share of the backoff delay.</summary>
    public const double JitterShare = 0.25;

    private readonly Func<double> _random;

    /// <param name="baseSeconds">The first delay, in seconds (at least 1).</param>
    /// <param name="capSeconds">The longest delay before jitter, in seconds (at least the base).</param>
    /// <param name="random">A source of numbers in [0, 1) for the jitter; <see cref="Random.Shared"/> when null.</param>
    public RetryBackoff(int baseSeconds, int capSeconds, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capSeconds, baseSeconds);
        BaseSeconds = baseSeconds;
        CapSeconds = Math.Min(capSeconds, MaxVisibilitySeconds);
        _random = random ?? Random.Shared.NextDouble;
    }

    public int BaseSeconds { get; }

    public int CapSeconds { get; }

    /// <summary>The delay before the attempt after the <paramref name="receiveCount"/>-th receive, in seconds.
    /// A receive count below 1 (attribute missing) counts as the first receive.</summary>
    public int DelaySeconds(int receiveCount)
    {
        var exponent = Math.Max(receiveCount, 1) - 1;
        // Past 2^20 × base the cap has long been reached; stopping there keeps the shift from overflowing.
        var delay = exponent >= 20 ? CapSeconds : (int)Math.Min((long)BaseSeconds << exponent, CapSeconds);
        var jitter = (int)Math.Floor(delay * JitterShare * Math.Clamp(_random(), 0, 1));
        return Math.Min(delay + jitter, MaxVisibilitySeconds);
    }
}
