namespace Fanout.Infra.Tests;

/// <summary>Reading CDK context: values arrive as JSON types from cdk.json and as strings from `-c key=value`.</summary>
[Trait("Category", "Infra")]
public sealed class StackSettingsTests
{
    private static StackSettings Read(Dictionary<string, object> context) => StackSettings.FromContext(key => context.GetValueOrDefault(key));

    [Fact]
    public void FromContext_NothingSet_UsesProductionDefaults()
    {
        var settings = Read([]);

        Assert.Equal("Fanout", settings.StackName);
        Assert.Equal(StackSettings.Senders.Record, settings.SmsSender);
        Assert.Equal(StackSettings.Senders.Record, settings.EmailSender);
        Assert.False(settings.DestroyTables);
        Assert.Equal(StackSettings.X86, settings.Architecture);
        Assert.Null(settings.AlarmEmail);
    }

    [Fact]
    public void FromContext_CommandLineStrings_AreParsedLikeJsonValues()
    {
        var settings = Read(new()
        {
            [StackSettings.Keys.ApiThrottleRate] = "7.5",
            [StackSettings.Keys.ApiThrottleBurst] = "20",
            [StackSettings.Keys.DestroyTables] = "true",
            [StackSettings.Keys.SmsSender] = "SNS",
            [StackSettings.Keys.QueueAgeAlarmSeconds] = 600.0,
        });

        Assert.Equal(7.5, settings.ApiThrottleRate);
        Assert.Equal(20, settings.ApiThrottleBurst);
        Assert.True(settings.DestroyTables);
        Assert.Equal(StackSettings.Senders.Sns, settings.SmsSender);
        Assert.Equal(600, settings.QueueAgeAlarmSeconds);
    }

    [Fact]
    public void FromContext_SeveralBadValues_ReportsEveryKeyInOneMessage()
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new()
        {
            [StackSettings.Keys.SmsSender] = "carrier-pigeon",
            [StackSettings.Keys.ApiThrottleBurst] = "lots",
            [StackSettings.Keys.LogRetentionDays] = 31,
            [StackSettings.Keys.Architecture] = "sparc",
            [StackSettings.Keys.AlarmEmail] = "not-an-address",
        }));

        Assert.Contains("smsSender must be one of record, sns (got 'carrier-pigeon')", error.Message, StringComparison.Ordinal);
        Assert.Contains("apiThrottleBurst must be a whole number", error.Message, StringComparison.Ordinal);
        Assert.Contains("logRetentionDays must be one of", error.Message, StringComparison.Ordinal);
        Assert.Contains("architecture must be one of x86_64, arm64", error.Message, StringComparison.Ordinal);
        Assert.Contains("alarmEmail must be an e-mail address", error.Message, StringComparison.Ordinal);
    }
}
