using System.Net;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.SQS;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>Real AWS SDK clients whose HTTP goes to an in-memory <see cref="CapturingHttpHandler"/>: tests see the
/// exact JSON requests the code makes and script the service's answers, with no network and no SDK retries.</summary>
internal static class StubAwsClients
{
    public static IAmazonSQS Sqs(CapturingHttpHandler handler) =>
        new AmazonSQSClient(new BasicAWSCredentials("test", "test"), Configure(new AmazonSQSConfig { ServiceURL = "http://sqs.stub" }, handler));

    public static IAmazonDynamoDB DynamoDb(CapturingHttpHandler handler) =>
        new AmazonDynamoDBClient(new BasicAWSCredentials("test", "test"), Configure(new AmazonDynamoDBConfig { ServiceURL = "http://dynamodb.stub" }, handler));

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        CapturingHttpHandler.Answer(status, body, "application/x-amz-json-1.0");

    private static T Configure<T>(T config, CapturingHttpHandler handler)
        where T : ClientConfig
    {
        config.AuthenticationRegion = "eu-west-1";
        config.MaxErrorRetry = 0;
        config.HttpClientFactory = new Factory(handler);
        return config;
    }

    private sealed class Factory(CapturingHttpHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
