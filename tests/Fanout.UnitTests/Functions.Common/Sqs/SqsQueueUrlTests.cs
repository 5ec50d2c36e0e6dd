using Fanout.Functions.Common.Sqs;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class SqsQueueUrlTests
{
    [Fact]
    public void FromArn_OnAws_IsTheRegionalEndpointAccountAndName()
    {
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms", SqsQueueUrl.FromArn("arn:aws:sqs:eu-west-1:123456789012:fanout-sms", null));
    }

    [Fact]
    public void FromArn_InChina_UsesTheChinaDomain()
    {
        Assert.Equal("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q", SqsQueueUrl.FromArn("arn:aws-cn:sqs:cn-north-1:123456789012:q", null));
    }

    [Theory]
    [InlineData("http://127.0.0.1:4566")]
    [InlineData("http://127.0.0.1:4566/")]
    public void FromArn_WithAnEndpoint_BuildsOnIt(string endpoint)
    {
        Assert.Equal("http://127.0.0.1:4566/000000000000/fanout-email", SqsQueueUrl.FromArn("arn:aws:sqs:us-east-1:000000000000:fanout-email", new Uri(endpoint)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("fanout-sms")]
    [InlineData("arn:aws:sns:eu-west-1:123456789012:order-events")]
    [InlineData("arn:aws:sqs:eu-west-1:123456789012")]
    [InlineData("arn:aws:sqs:eu-west-1::fanout-sms")]
    [InlineData("arn:aws:sqs::123456789012:fanout-sms")]
    [InlineData("arn:aws:sqs:eu-west-1:123456789012:")]
    [InlineData("urn:aws:sqs:eu-west-1:123456789012:fanout-sms")]
    [InlineData("arn:aws:sqs:eu-west-1:123456789012:fanout-sms:extra")]
    public void FromArn_NotAQueueArn_IsNull(string arn)
    {
        Assert.Null(SqsQueueUrl.FromArn(arn, null));
    }

    [Fact]
    public void FromArn_Null_IsNull()
    {
        Assert.Null(SqsQueueUrl.FromArn(null!, new Uri("http://127.0.0.1:4566")));
    }

    [Fact]
    public void EndpointFromEnvironment_SqsVariableSet_WinsOverTheGeneralOne()
    {
        var environment = new Dictionary<string, string> { ["AWS_ENDPOINT_URL_SQS"] = "http://localhost:1", ["AWS_ENDPOINT_URL"] = "http://localhost:2" };

        Assert.Equal(new Uri("http://localhost:1"), SqsQueueUrl.EndpointFromEnvironment(n => environment.GetValueOrDefault(n)));
    }

    [Fact]
    public void EndpointFromEnvironment_OnlyTheGeneralVariable_UsesIt()
    {
        Assert.Equal(new Uri("http://localhost:2"), SqsQueueUrl.EndpointFromEnvironment(n => n == "AWS_ENDPOINT_URL" ? "http://localhost:2" : null));
        Assert.Equal(new Uri("http://localhost:2"), SqsQueueUrl.EndpointFromEnvironment(n => n == "AWS_ENDPOINT_URL" ? "http://localhost:2" : ""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void EndpointFromEnvironment_NothingSet_IsNullForAws(string? value)
    {
        Assert.Null(SqsQueueUrl.EndpointFromEnvironment(_ => value));
    }
}
