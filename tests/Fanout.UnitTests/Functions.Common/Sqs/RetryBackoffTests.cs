using Fanout.Functions.Common.Sqs;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class RetryBackoffTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(8, 256)]
    [InlineData(9, 300)]
    [InlineData(40, 300)]
    [InlineData(int.MaxValue, 300)]
    public void DelaySeconds_NoJitter_DoublesFromTheBaseUpToTheCap(int receiveCount, int expected)
    {
        Assert.Equal(expected, new RetryBackoff(2, 300, () => 0).DelaySeconds(receiveCount));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void DelaySeconds_ReceiveCountMissing_CountsAsTheFirstReceive(int receiveCount)
    {
        Assert.Equal(2, new RetryBackoff(2, 300, () => 0).DelaySeconds(receiveCount));
    }

    [Theory]
    [InlineData(0.0, 256)]
    [InlineData(0.5, 288)]
    [InlineData(0.999, 319)]
    public void DelaySeconds_Jitter_AddsUpToAQuarterRoundedDown(double random, int expected)
    {
        Assert.Equal(expected, new RetryBackoff(2, 300, () => random).DelaySeconds(8));
    }

    [Theory]
    [InlineData(-1.0, 256)]
    [InlineData(7.0, 320)]
    public void DelaySeconds_RandomOutsideUnitRange_IsClamped(double random, int expected)
    {
        Assert.Equal(expected, new RetryBackoff(2, 300, () => random).DelaySeconds(8));
    }

    [Fact]
    public void DelaySeconds_LocalHarnessValues_StayWithinSixSeconds()
    {
        var backoff = new RetryBackoff(1, 5, () => 0.999);

        Assert.Equal([1, 2, 4, 6, 6], Enumerable.Range(1, 5).Select(backoff.DelaySeconds));
    }

    [Fact]
    public void DelaySeconds_CapAboveTheSqsLimit_NeverExceedsIt()
    {
        var backoff = new RetryBackoff(40_000, 50_000, () => 0.999);

        Assert.Equal(RetryBackoff.MaxVisibilitySeconds, backoff.CapSeconds);
        Assert.Equal(RetryBackoff.MaxVisibilitySeconds, backoff.DelaySeconds(1));
        Assert.Equal(43_200, RetryBackoff.MaxVisibilitySeconds);
    }

    [Fact]
    public void Constructor_ValidValues_KeepsThem()
    {
        var backoff = new RetryBackoff(1, 1);

        Assert.Equal(1, backoff.BaseSeconds);
        Assert.Equal(1, backoff.CapSeconds);
        Assert.InRange(backoff.DelaySeconds(3), 1, 1);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(5, 4)]
    public void Constructor_BaseBelowOneOrCapBelowBase_Throws(int baseSeconds, int capSeconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryBackoff(baseSeconds, capSeconds));
    }
}
