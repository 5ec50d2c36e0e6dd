using Fanout.Contracts.Configuration;
using Fanout.OrderIntake.Core;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class IntakeSettingsTests
{
    [Theory]
    [InlineData(null, 1000)]
    [InlineData("  ", 1000)]
    [InlineData("1", 1)]
    [InlineData(" 250 ", 250)]
    [InlineData("60000", 60000)]
    public void InlinePublishTimeout_UnsetOrValid_GivesMilliseconds(string? raw, int expectedMs)
    {
        var timeout = IntakeSettings.InlinePublishTimeout(name => name == SettingNames.InlinePublishTimeoutMs ? raw : "999");

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), timeout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("60001")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("ten")]
    public void InlinePublishTimeout_Invalid_ThrowsNamingTheSetting(string raw)
    {
        var error = Assert.Throws<InvalidOperationException>(() => IntakeSettings.InlinePublishTimeout(_ => raw));

        Assert.Equal($"Invalid function configuration: FANOUT_INLINE_PUBLISH_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000 (got '{raw}').", error.Message);
    }

    [Fact]
    public void InlinePublishTimeout_NullEnvironment_Throws()
    {
        Assert.Equal("environment", Assert.Throws<ArgumentNullException>(() => IntakeSettings.InlinePublishTimeout(null!)).ParamName);
    }
}
