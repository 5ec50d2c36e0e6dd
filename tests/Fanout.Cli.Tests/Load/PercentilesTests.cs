using Fanout.Cli.Load;

namespace Fanout.Cli.Tests.Load;

[Trait("Category", "Unit")]
public sealed class PercentilesTests
{
    [Fact]
    public void NearestRank_OneToHundred_ReturnsTheRankedValue()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToList();

        Assert.Equal(50, Percentiles.NearestRank(values, 50));
        Assert.Equal(95, Percentiles.NearestRank(values, 95));
        Assert.Equal(99, Percentiles.NearestRank(values, 99));
        Assert.Equal(100, Percentiles.NearestRank(values, 100));
    }

    [Fact]
    public void NearestRank_FewerThanHundredSamples_P99IsTheMaximum()
    {
        double[] values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000];

        Assert.Equal(50, Percentiles.NearestRank(values, 50));
        Assert.Equal(1000, Percentiles.NearestRank(values, 95));
        Assert.Equal(1000, Percentiles.NearestRank(values, 99));
    }

    [Fact]
    public void NearestRank_SingleSample_EveryPercentileIsIt()
    {
        Assert.Equal(7, Percentiles.NearestRank([7.0], 1));
        Assert.Equal(7, Percentiles.NearestRank([7.0], 99));
    }

    [Fact]
    public void NearestRank_NoSamples_Throws()
    {
        Assert.Throws<ArgumentException>(() => Percentiles.NearestRank([], 50));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100.5)]
    public void NearestRank_PercentileOutOfRange_Throws(double percentile)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank([1.0, 2.0], percentile));
    }

    [Fact]
    public void Summarize_UnsortedDurations_SortsBeforeRanking()
    {
        TimeSpan[] samples = [TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(400)];

        var summary = Percentiles.Summarize(samples)!;

        Assert.Equal(5, summary.Count);
        Assert.Equal(300, summary.P50Ms);
        Assert.Equal(500, summary.P95Ms);
        Assert.Equal(500, summary.P99Ms);
        Assert.Equal(500, summary.MaxMs);
    }

    [Fact]
    public void Summarize_NoSamples_ReturnsNull()
    {
        Assert.Null(Percentiles.Summarize([]));
    }
}
