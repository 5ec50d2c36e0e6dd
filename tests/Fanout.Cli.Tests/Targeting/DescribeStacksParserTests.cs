using Fanout.Cli.Targeting;

namespace Fanout.Cli.Tests.Targeting;

[Trait("Category", "Unit")]
public sealed class DescribeStacksParserTests
{
    // The shape CloudFormation returns (trimmed), namespace included.
    private const string Answer = """
        <DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
          <DescribeStacksResult>
            <Stacks>
              <member>
                <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/fanout-prod/abc</StackId>
                <StackName>fanout-prod</StackName>
                <StackStatus>UPDATE_COMPLETE</StackStatus>
                <Parameters><member><ParameterKey>Stage</ParameterKey><ParameterValue>prod</ParameterValue></member></Parameters>
                <Tags><member><Key>OutputKey</Key><Value>not-an-output</Value></member></Tags>
                <Outputs>
                  <member>
                    <Description>The order API</Description>
                    <OutputKey>ApiUrl</OutputKey>
                    <OutputValue>https://abc.execute-api.eu-west-1.amazonaws.com/</OutputValue>
                  </member>
                  <member>
                    <OutputKey>SmsQueueUrl</OutputKey>
                    <OutputValue>https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms</OutputValue>
                    <ExportName>fanout-prod-SmsQueueUrl</ExportName>
                  </member>
                  <member>
                    <OutputKey>Region</OutputKey>
                    <OutputValue>eu-west-1</OutputValue>
                  </member>
                </Outputs>
              </member>
            </Stacks>
          </DescribeStacksResult>
          <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
        </DescribeStacksResponse>
        """;

    [Fact]
    public void Parse_StackWithOutputs_ReturnsEveryOutputByKey()
    {
        var stack = DescribeStacksParser.Parse(Answer, "fanout-prod");

        Assert.Equal("fanout-prod", stack.StackName);
        Assert.Equal("UPDATE_COMPLETE", stack.Status);
        Assert.Equal(3, stack.Outputs.Count);
        Assert.Equal("https://abc.execute-api.eu-west-1.amazonaws.com/", stack.Outputs["ApiUrl"]);
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms", stack.Outputs["SmsQueueUrl"]);
        Assert.Equal("eu-west-1", stack.Outputs["Region"]);
    }

    [Fact]
    public void Parse_WithoutNamespace_StillReadsOutputs()
    {
        var bare = Answer.Replace(" xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"", "", StringComparison.Ordinal);

        Assert.Equal("eu-west-1", DescribeStacksParser.Parse(bare, "fanout-prod").Outputs["Region"]);
    }

    [Fact]
    public void Parse_StackWithoutOutputs_ReturnsNone()
    {
        const string xml = "<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>s</StackName><StackStatus>CREATE_IN_PROGRESS</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>";

        var stack = DescribeStacksParser.Parse(xml, "s");

        Assert.Empty(stack.Outputs);
        Assert.Equal("CREATE_IN_PROGRESS", stack.Status);
    }

    [Fact]
    public void Parse_NoStack_ThrowsNamingIt()
    {
        var ex = Assert.Throws<TargetResolutionException>(() => DescribeStacksParser.Parse("<DescribeStacksResponse><DescribeStacksResult><Stacks/></DescribeStacksResult></DescribeStacksResponse>", "ghost"));

        Assert.Contains("ghost", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotXml_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => DescribeStacksParser.Parse("<html>oops", "s"));
    }

    [Fact]
    public void ErrorOf_QueryErrorDocument_ReturnsCodeAndMessage()
    {
        const string xml = """
            <ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
              <Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ghost does not exist</Message></Error>
              <RequestId>r-2</RequestId>
            </ErrorResponse>
            """;

        var (code, message) = AwsQuery.ErrorOf(AwsQuery.TryParse(xml)!);

        Assert.Equal("ValidationError", code);
        Assert.Equal("Stack with id ghost does not exist", message);
    }
}
