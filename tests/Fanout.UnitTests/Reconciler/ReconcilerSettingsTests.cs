using Fanout.Contracts.Configuration;
using Fanout.Reconciler.Core;

namespace Fanout.UnitTests.Reconciler;

[Trait("Category", "Unit")]
public sealed class ReconcilerSettingsTests
{
    private static ReconcilerSettings Read(string? value) =>
        ReconcilerSettings.FromEnvironment(name => name == SettingNames.StuckOrderThresholdSeconds ? value : null);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void FromEnvironment_Unset_IsFifteenMinutes(string? value)
    {
        Assert.Equal(TimeSpan.FromMinutes(15), Read(value).StuckThreshold);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("90", 90)]
    [InlineData(" 600 ", 600)]
    public void FromEnvironment_PositiveSeconds_IsThatMany(string value, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Read(value).StuckThreshold);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("15m")]
    [InlineData("99999999999")]
    public void FromEnvironment_NotAPositiveWholeNumber_ThrowsNamingTheVariable(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(value));

        Assert.Contains(SettingNames.StuckOrderThresholdSeconds, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }
}
