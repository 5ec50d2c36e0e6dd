using Fanout.Contracts.Configuration;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;

namespace Fanout.UnitTests.Functions.Common.Configuration;

[Trait("Category", "Unit")]
public sealed class FunctionSettingsTests
{
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal)
    {
        [SettingNames.TableName] = "fanout-sms",
        [SettingNames.TopicArn] = "arn:aws:sns:eu-west-1:123456789012:order-events",
    };

    [Fact]
    public void FromEnvironment_OnlyRequiredValues_AppliesDefaults()
    {
        var settings = Read();

        Assert.Equal("sms", settings.ServiceName);
        Assert.Equal("fanout-sms", settings.TableName);
        Assert.Equal("arn:aws:sns:eu-west-1:123456789012:order-events", settings.TopicArn);
        Assert.Equal(TimeSpan.FromDays(30), settings.IdempotencyRetention);
        Assert.Equal(2, settings.RetryBackoffBaseSeconds);
        Assert.Equal(300, settings.RetryBackoffCapSeconds);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal("record", settings.SmsSender);
        Assert.Equal("record", settings.EmailSender);
        Assert.Null(settings.EmailFromAddress);
        Assert.Equal(["+1"], settings.SmsAllowedCountryCodes);
    }

    [Fact]
    public void Constructed_OnlyRequiredValues_RecordsInsteadOfSending()
    {
        var settings = new FunctionSettings { ServiceName = "sms", TableName = "fanout-sms" };

        Assert.Equal("record", settings.SmsSender);
        Assert.Equal("record", settings.EmailSender);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal(TimeSpan.FromDays(FunctionSettings.DefaultIdempotencyTtlDays), settings.IdempotencyRetention);
        Assert.Equal(FunctionSettings.DefaultRetryBackoffBaseSeconds, settings.RetryBackoffBaseSeconds);
        Assert.Equal(FunctionSettings.DefaultRetryBackoffCapSeconds, settings.RetryBackoffCapSeconds);
        Assert.Equal(["+1"], settings.SmsAllowedCountryCodes);
    }

    [Theory]
    [InlineData("+1", new[] { "+1" })]
    [InlineData("+44", new[] { "+44" })]
    [InlineData("+1,+44", new[] { "+1", "+44" })]
    [InlineData(" +44 , +1 ", new[] { "+44", "+1" })]
    [InlineData("+1,+44,+1", new[] { "+1", "+44" })]
    [InlineData("+9,+999", new[] { "+9", "+999" })]
    public void FromEnvironment_SmsAllowedCountryCodes_ReadsTheList(string raw, string[] expected)
    {
        _environment[SettingNames.SmsAllowedCountryCodes] = raw;

        Assert.Equal(expected, Read().SmsAllowedCountryCodes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void FromEnvironment_SmsAllowedCountryCodesBlank_IsTheDefault(string raw)
    {
        _environment[SettingNames.SmsAllowedCountryCodes] = raw;

        Assert.Equal(["+1"], Read().SmsAllowedCountryCodes);
    }

    [Theory]
    [InlineData("44", "'44'")]
    [InlineData("+0", "'+0'")]
    [InlineData("+1234", "'+1234'")]
    [InlineData("+1,,+44", "''")]
    [InlineData("+1,", "''")]
    [InlineData("+1;+44", "'+1;+44'")]
    [InlineData("+1,+4a,UK", "'+4a', 'UK'")]
    public void FromEnvironment_SmsAllowedCountryCodesMalformed_FailsNamingTheEntries(string raw, string named)
    {
        _environment[SettingNames.SmsAllowedCountryCodes] = raw;

        var error = Assert.Throws<InvalidOperationException>(() => Read());

        Assert.Equal(
            $"Invalid function configuration: {SettingNames.SmsAllowedCountryCodes} must list E.164 calling codes separated by commas, each '+' and 1 to 3 digits, the first not 0, e.g. '+1,+44' (got '{raw.Trim()}'; not a calling code: {named}).",
            error.Message);
    }

    [Fact]
    public void FromEnvironment_SeveralProblems_ListsEveryOneInOneMessage()
    {
        _environment.Remove(SettingNames.TableName);
        _environment[SettingNames.SmsSender] = "carrier-pigeon";

        var error = Assert.Throws<InvalidOperationException>(() => Read());

        Assert.Equal(
            $"Invalid function configuration: {SettingNames.TableName} is required; {SettingNames.SmsSender} must be 'record' or 'sns' (got 'carrier-pigeon').",
            error.Message);
    }

    [Fact]
    public void FromEnvironment_EveryValueSet_ReadsEach()
    {
        _environment[SettingNames.ServiceName] = "sms-eu";
        _environment[SettingNames.IdempotencyTtlDays] = "20";
        _environment[SettingNames.RetryBackoffBaseSeconds] = "1";
        _environment[SettingNames.RetryBackoffCapSeconds] = "5";
        _environment[SettingNames.LogLevel] = "debug";
        _environment[SettingNames.SmsSender] = " SNS ";
        _environment[SettingNames.EmailSender] = "ses";
        _environment[SettingNames.EmailFromAddress] = "orders@example.com";

        var settings = Read();

        Assert.Equal("sms-eu", settings.ServiceName);
        Assert.Equal(TimeSpan.FromDays(20), settings.IdempotencyRetention);
        Assert.Equal(1, settings.RetryBackoffBaseSeconds);
        Assert.Equal(5, settings.RetryBackoffCapSeconds);
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
        Assert.Equal("sns", settings.SmsSender);
        Assert.Equal("ses", settings.EmailSender);
        Assert.Equal("orders@example.com", settings.EmailFromAddress);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void FromEnvironment_TableMissingOrBlank_ThrowsNamingTheVariable(string? value)
    {
        Set(SettingNames.TableName, value);

        AssertRejected(SettingNames.TableName);
    }

    [Fact]
    public void FromEnvironment_TopicMissingWhenRequired_ThrowsNamingTheVariable()
    {
        _environment.Remove(SettingNames.TopicArn);

        AssertRejected(SettingNames.TopicArn);
    }

    [Fact]
    public void FromEnvironment_TopicMissingWhenNotRequired_IsNullAndRequireTopicArnThrows()
    {
        _environment.Remove(SettingNames.TopicArn);

        var settings = FunctionSettings.FromEnvironment("orderstatus", requiresTopic: false, Lookup);

        Assert.Null(settings.TopicArn);
        var error = Assert.Throws<InvalidOperationException>(settings.RequireTopicArn);
        Assert.Contains(SettingNames.TopicArn, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SettingNames.IdempotencyTtlDays, "two weeks")]
    [InlineData(SettingNames.IdempotencyTtlDays, "-5")]
    [InlineData(SettingNames.IdempotencyTtlDays, "1.5")]
    [InlineData(SettingNames.IdempotencyTtlDays, "99999999999")]
    [InlineData(SettingNames.IdempotencyTtlDays, "0")]
    [InlineData(SettingNames.IdempotencyTtlDays, "+15")]
    [InlineData(SettingNames.RetryBackoffBaseSeconds, "0")]
    [InlineData(SettingNames.RetryBackoffBaseSeconds, "2s")]
    [InlineData(SettingNames.RetryBackoffCapSeconds, "-1")]
    public void FromEnvironment_NumberNotAPositiveWholeNumber_ThrowsNamingTheVariable(string name, string value)
    {
        _environment[name] = value;

        var error = AssertRejected(name);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultIdempotencyTtlDays_IsTheTopologysRetention()
    {
        Assert.Equal(Fanout.Contracts.Topology.FanoutTopology.IdempotencyRetentionDays, FunctionSettings.DefaultIdempotencyTtlDays);
        Assert.Equal(TimeSpan.FromDays(FunctionSettings.DefaultIdempotencyTtlDays), new FunctionSettings { ServiceName = "s", TableName = "t" }.IdempotencyRetention);
    }

    [Fact]
    public void DefaultRetryBackoff_IsTheTopologysConsumerDefault()
    {
        Assert.Equal(FunctionSettings.DefaultRetryBackoffBaseSeconds, Fanout.Contracts.Topology.FanoutTopology.Sms.RetryBackoffBaseSeconds);
        Assert.Equal(FunctionSettings.DefaultRetryBackoffCapSeconds, Fanout.Contracts.Topology.FanoutTopology.Sms.RetryBackoffCapSeconds);
    }

    [Fact]
    public void FromEnvironment_BackoffCapBelowBase_ThrowsNamingBoth()
    {
        _environment[SettingNames.RetryBackoffBaseSeconds] = "10";
        _environment[SettingNames.RetryBackoffCapSeconds] = "9";

        var error = AssertRejected(SettingNames.RetryBackoffCapSeconds);
        Assert.Contains($"{SettingNames.RetryBackoffCapSeconds} (9) must not be below {SettingNames.RetryBackoffBaseSeconds} (10)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_BackoffCapEqualToBase_IsAccepted()
    {
        _environment[SettingNames.RetryBackoffBaseSeconds] = "7";
        _environment[SettingNames.RetryBackoffCapSeconds] = "7";

        Assert.Equal(7, Read().RetryBackoffCapSeconds);
    }

    [Theory]
    [InlineData(SettingNames.SmsSender, "twilio")]
    [InlineData(SettingNames.EmailSender, "sendgrid")]
    [InlineData(SettingNames.EmailSender, "sns")]
    [InlineData(SettingNames.LogLevel, "verbose")]
    [InlineData(SettingNames.LogLevel, "99")]
    public void FromEnvironment_UnknownChoice_ThrowsNamingTheVariable(string name, string value)
    {
        _environment[name] = value;

        AssertRejected(name);
    }

    [Fact]
    public void FromEnvironment_SesWithoutFromAddress_ThrowsNamingTheFromAddress()
    {
        _environment[SettingNames.EmailSender] = "ses";

        AssertRejected(SettingNames.EmailFromAddress);
    }

    [Fact]
    public void FromEnvironment_SeveralProblems_NamesEveryVariableAtOnce()
    {
        _environment.Remove(SettingNames.TableName);
        _environment[SettingNames.IdempotencyTtlDays] = "soon";
        _environment[SettingNames.SmsSender] = "carrier-pigeon";
        _environment[SettingNames.EmailSender] = "ses";

        var error = Assert.Throws<InvalidOperationException>(() => Read());

        Assert.Contains(SettingNames.TableName, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.IdempotencyTtlDays, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.SmsSender, error.Message, StringComparison.Ordinal);
        Assert.Contains(SettingNames.EmailFromAddress, error.Message, StringComparison.Ordinal);
    }

    private FunctionSettings Read() => FunctionSettings.FromEnvironment("sms", requiresTopic: true, Lookup);

    private string? Lookup(string name) => _environment.GetValueOrDefault(name);

    private void Set(string name, string? value)
    {
        if (value is null)
        {
            _environment.Remove(name);
        }
        else
        {
            _environment[name] = value;
        }
    }

    private InvalidOperationException AssertRejected(string variable)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read());
        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        return error;
    }
}
