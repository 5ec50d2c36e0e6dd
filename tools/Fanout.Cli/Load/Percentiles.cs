namespace Fanout.Cli.Load;

/// <summary>p50/p95/p99 (and max) of a set of durations, in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs);

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of ascending <paramref name="sorted"/> values: the smallest value with at
    /// least <paramref name="percentile"/>% of the samples at or below it. Unlike interpolation it always reports a
    /// latency that was actually observed, and p99 of fewer than 100 samples is honestly the maximum.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double percentile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No samples.", nameof(sorted));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>The summary of <paramref name="samples"/>, or null when there are none.</summary>
    public static LatencySummary? Summarize(IEnumerable<TimeSpan> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var sorted = samples.Select(s => s.TotalMilliseconds).Order().ToList();
        return sorted.Count == 0
            ? null
            : new LatencySummary(sorted.Count, NearestRank(sorted, 50), NearestRank(sorted, 95), NearestRank(sorted, 99), sorted[^1]);
    }
}
