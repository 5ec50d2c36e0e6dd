using System.Net;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Sns;

/// <summary>SNS calls carry the invocation's X-Ray trace header, so SNS → SQS → Lambda is one X-Ray trace.</summary>
[Trait("Category", "Unit")]
public sealed class SnsClientTraceHeaderTests
{
    private const string Header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    [Fact]
    public async Task PublishAsync_InsideATracedInvocation_SendsXAmznTraceId()
    {
        var handler = Answering();

        await Client(handler, () => Header).PublishAsync(new SnsPublishRequest { TopicArn = "arn:aws:sns:us-east-1:123456789012:t", Message = "m" }, CallIdempotency.Idempotent, TestContext.Current.CancellationToken);

        Assert.Equal(Header, Assert.Single(handler.Requests).Headers[SnsClient.TraceHeader]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Root=1-5759e988\r\nX-Evil: 1")]
    public async Task PublishAsync_NoUsableTraceHeader_SendsNone(string? header)
    {
        var handler = Answering();

        await Client(handler, () => header).PublishAsync(new SnsPublishRequest { TopicArn = "arn:aws:sns:us-east-1:123456789012:t", Message = "m" }, CallIdempotency.Idempotent, TestContext.Current.CancellationToken);

        Assert.False(Assert.Single(handler.Requests).Headers.ContainsKey(SnsClient.TraceHeader));
    }

    private static CapturingHttpHandler Answering() =>
        new((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"));

    private static SnsClient Client(CapturingHttpHandler handler, Func<string?> traceHeader) =>
        new(
            new SignedAwsHttpClient(
                new HttpClient(handler),
                new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                "us-east-1",
                "sns",
                new Uri("http://localhost:4566/"),
                TestClock.Create()),
            traceHeader);
}
