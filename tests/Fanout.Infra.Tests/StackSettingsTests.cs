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
        Assert.Null(settings.JwtIssuer);
        Assert.Empty(settings.JwtAudience);
        Assert.False(settings.BringsOwnIssuer);
        Assert.Equal(["+1"], settings.SmsAllowedCountryCodes);
        Assert.Empty(settings.CorsAllowedOrigins);
        Assert.Equal(2000, settings.EndToEndSloMs);
    }

    [Theory]
    [InlineData(100.0, 100)]
    [InlineData("1500", 1500)]
    [InlineData(900_000.0, 900_000)]
    public void FromContext_EndToEndSloInRange_IsTakenInMilliseconds(object value, int expected)
    {
        Assert.Equal(expected, Read(new() { [StackSettings.Keys.EndToEndSloMs] = value }).EndToEndSloMs);
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

    [Theory]
    [InlineData("a,b")]
    [InlineData(" a , b ,a,")]
    [InlineData("[\"a\", \"b\"]")]
    public void FromContext_OwnIssuerWithAudienceText_ReadsTheList(string audience)
    {
        var settings = Read(new()
        {
            [StackSettings.Keys.JwtIssuer] = "https://login.example.com/tenant",
            [StackSettings.Keys.JwtAudience] = audience,
        });

        Assert.Equal("https://login.example.com/tenant", settings.JwtIssuer);
        Assert.Equal(["a", "b"], settings.JwtAudience);
        Assert.True(settings.BringsOwnIssuer);
    }

    [Fact]
    public void FromContext_AudienceAsJsonArrayFromCdkJson_ReadsTheList()
    {
        var settings = Read(new()
        {
            [StackSettings.Keys.JwtIssuer] = "https://login.example.com",
            [StackSettings.Keys.JwtAudience] = new object[] { "api://orders", "shop" },
        });

        Assert.Equal(["api://orders", "shop"], settings.JwtAudience);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void FromContext_IssuerWithoutAudience_NamesTheMissingKey(string? audience)
    {
        var context = new Dictionary<string, object> { [StackSettings.Keys.JwtIssuer] = "https://login.example.com/" };
        if (audience is not null)
        {
            context[StackSettings.Keys.JwtAudience] = audience;
        }

        var error = Assert.Throws<InfraConfigurationException>(() => Read(context));

        Assert.Contains("jwtAudience is required with jwtIssuer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromContext_AudienceWithoutIssuer_NamesTheMissingKey()
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.JwtAudience] = "shop" }));

        Assert.Equal(
            "Invalid CDK context: jwtIssuer is required with jwtAudience: the https URL of the issuer whose tokens carry that audience.",
            error.Message);
    }

    [Theory]
    [InlineData("http://login.example.com/")]
    [InlineData("login.example.com")]
    [InlineData("https://login.example.com/?tenant=1")]
    [InlineData("https://login.example.com/#x")]
    [InlineData("https://user:pw@login.example.com/")]
    public void FromContext_IssuerNotAPlainHttpsUrl_IsRefused(string issuer)
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new()
        {
            [StackSettings.Keys.JwtIssuer] = issuer,
            [StackSettings.Keys.JwtAudience] = "shop",
        }));

        Assert.Equal($"Invalid CDK context: jwtIssuer must be an https URL, exactly the 'iss' claim of the issuer's tokens (got '{issuer}').", error.Message);
    }

    [Theory]
    [InlineData("+44", new[] { "+44" })]
    [InlineData("+1,+44,+353", new[] { "+1", "+44", "+353" })]
    [InlineData("[\"+1\",\"+9\"]", new[] { "+1", "+9" })]
    public void FromContext_SmsAllowedCountryCodes_ReadsCallingCodes(string codes, string[] expected)
    {
        var settings = Read(new() { [StackSettings.Keys.SmsAllowedCountryCodes] = codes });

        Assert.Equal(expected, settings.SmsAllowedCountryCodes);
    }

    [Fact]
    public void FromContext_SmsAllowedCountryCodesAsArray_ReadsCallingCodes()
    {
        var settings = Read(new() { [StackSettings.Keys.SmsAllowedCountryCodes] = new object[] { "+1", "+44" } });

        Assert.Equal(["+1", "+44"], settings.SmsAllowedCountryCodes);
    }

    [Theory]
    [InlineData("44")]
    [InlineData("+0")]
    [InlineData("+044")]
    [InlineData("+1234")]
    [InlineData("+")]
    [InlineData("+1a")]
    [InlineData("++1")]
    public void FromContext_MalformedCallingCode_IsRefusedWithTheCode(string code)
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.SmsAllowedCountryCodes] = "+1," + code }));

        Assert.Equal(
            $"Invalid CDK context: smsAllowedCountryCodes must list E.164 calling codes, '+' and 1 to 3 digits not starting with 0, e.g. +1,+44 (got '{code}').",
            error.Message);
    }

    [Fact]
    public void FromContext_EmptyCallingCodeArray_IsRefused()
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.SmsAllowedCountryCodes] = Array.Empty<object>() }));

        Assert.Equal("Invalid CDK context: smsAllowedCountryCodes must list at least one calling code, e.g. +1.", error.Message);
    }

    [Fact]
    public void FromContext_ListNotJson_IsRefused()
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.SmsAllowedCountryCodes] = "[+1, +44]" }));

        Assert.Equal("Invalid CDK context: smsAllowedCountryCodes must be a JSON array of strings or a comma-separated list (got '[+1, +44]').", error.Message);
    }

    [Fact]
    public void FromContext_CorsOrigins_ReadsHttpsAndLocalhostOrigins()
    {
        var settings = Read(new()
        {
            [StackSettings.Keys.CorsAllowedOrigins] = "https://shop.example.com,https://admin.shop.example.com:8443,http://localhost,http://localhost:5173",
        });

        Assert.Equal(
            ["https://shop.example.com", "https://admin.shop.example.com:8443", "http://localhost", "http://localhost:5173"],
            settings.CorsAllowedOrigins);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.com")]
    public void FromContext_WildcardCorsOrigin_IsRefusedWithTheReason(string origin)
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.CorsAllowedOrigins] = origin }));

        Assert.Equal(
            $"Invalid CDK context: corsAllowedOrigins must name each origin; a wildcard would let script on any web site read the API's answers (got '{origin}').",
            error.Message);
    }

    [Theory]
    [InlineData("http://shop.example.com")]
    [InlineData("https://shop.example.com/")]
    [InlineData("https://shop.example.com/app")]
    [InlineData("https://Shop.example.com")]
    [InlineData("shop.example.com")]
    [InlineData("http://localhost.example.com")]
    [InlineData("https://-shop.example.com")]
    public void FromContext_MalformedCorsOrigin_IsRefusedWithTheOrigin(string origin)
    {
        var error = Assert.Throws<InfraConfigurationException>(() => Read(new() { [StackSettings.Keys.CorsAllowedOrigins] = origin }));

        Assert.Equal(
            $"Invalid CDK context: corsAllowedOrigins must list origins as https://host[:port] (or http://localhost[:port] for development), lower case, without a path or trailing slash (got '{origin}').",
            error.Message);
    }
}
