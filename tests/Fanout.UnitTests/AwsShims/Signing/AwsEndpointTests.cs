using Fanout.AwsShims.Signing;

namespace Fanout.UnitTests.AwsShims.Signing;

[Trait("Category", "Unit")]
public sealed class AwsEndpointTests
{
    [Fact]
    public void Resolve_ServiceVariableSet_WinsOverTheGlobalOne()
    {
        var environment = Env(("AWS_ENDPOINT_URL_SNS", "http://localhost:4575"), ("AWS_ENDPOINT_URL", "http://localhost:4566"));

        Assert.Equal(new Uri("http://localhost:4575"), AwsEndpoint.Resolve("SNS", "sns", "eu-west-1", environment));
    }

    [Fact]
    public void Resolve_OnlyGlobalVariableSet_UsesIt()
    {
        var environment = Env(("AWS_ENDPOINT_URL", "http://localhost:4566"), ("AWS_ENDPOINT_URL_SQS", "http://localhost:9324"));

        Assert.Equal(new Uri("http://localhost:4566"), AwsEndpoint.Resolve("SNS", "sns", "eu-west-1", environment));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Resolve_ServiceVariableBlank_FallsBackToTheGlobalOne(string blank)
    {
        var environment = Env(("AWS_ENDPOINT_URL_SNS", blank), ("AWS_ENDPOINT_URL", "http://localhost:4566"));

        Assert.Equal(new Uri("http://localhost:4566"), AwsEndpoint.Resolve("SNS", "sns", "eu-west-1", environment));
    }

    [Fact]
    public void Resolve_NoVariables_UsesTheRegionalEndpoint()
    {
        Assert.Equal(new Uri("https://sns.eu-west-1.amazonaws.com/"), AwsEndpoint.Resolve("SNS", "sns", "eu-west-1", Env()));
    }

    [Fact]
    public void Resolve_ChinaRegion_UsesTheChinaDomain()
    {
        Assert.Equal(new Uri("https://sns.cn-north-1.amazonaws.com.cn/"), AwsEndpoint.Resolve("SNS", "sns", "cn-north-1", Env()));
    }

    [Fact]
    public void Resolve_ServiceIdInLowerCase_ReadsTheUpperCaseVariable()
    {
        var environment = Env(("AWS_ENDPOINT_URL_SESV2", "http://localhost:8005"));

        Assert.Equal(new Uri("http://localhost:8005"), AwsEndpoint.Resolve("sesv2", "email", "eu-west-1", environment));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("localhost:4566")]
    [InlineData("/relative/path")]
    [InlineData("ftp://localhost:4566")]
    public void Resolve_VariableNotAnHttpUrl_ThrowsNamingTheService(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => AwsEndpoint.Resolve("SNS", "sns", "eu-west-1", Env(("AWS_ENDPOINT_URL_SNS", value))));

        Assert.Contains("SNS", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveRegion_AwsRegionSet_WinsOverTheDefaultRegion()
    {
        Assert.Equal("eu-west-1", AwsEndpoint.ResolveRegion(Env(("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "us-east-1"))));
        Assert.Equal("us-east-1", AwsEndpoint.ResolveRegion(Env(("AWS_DEFAULT_REGION", "us-east-1"))));
    }

    [Fact]
    public void ResolveRegion_AwsRegionBlank_FallsBackToTheDefaultRegion()
    {
        Assert.Equal("us-east-1", AwsEndpoint.ResolveRegion(Env(("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "us-east-1"))));
    }

    [Fact]
    public void ResolveRegion_NoRegion_ThrowsNamingAwsRegion()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AwsEndpoint.ResolveRegion(Env()));

        Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }
}
