using Fanout.Cli.Commands;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class DurationsTests
{
    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("2s", 2)]
    [InlineData("1.5s", 1.5)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("120", 120)]
    [InlineData(" 10S ", 10)]
    public void TryParse_ValidText_ReturnsTheDuration(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-1s")]
    [InlineData("5x")]
    [InlineData("2d")]
    [InlineData("1e9s")]
    [InlineData("25h")]
    public void TryParse_InvalidText_Fails(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0.25, "250ms")]
    [InlineData(2, "2s")]
    [InlineData(120, "2m")]
    [InlineData(7200, "2h")]
    public void Format_Duration_UsesTheLargestSensibleUnit(double seconds, string expected)
    {
        Assert.Equal(expected, Durations.Format(TimeSpan.FromSeconds(seconds)));
    }
}
