using Amazon.DynamoDBv2;
using Amazon.SQS;
using Fanout.AwsShims.Sns;

namespace Fanout.Functions.Common.Aws;

/// <summary>Builds the AWS clients a function uses. Region, credentials and endpoints come from the standard
/// environment (<c>AWS_REGION</c>, the default credential chain, <c>AWS_ENDPOINT_URL_DYNAMODB</c> /
/// <c>AWS_ENDPOINT_URL_SNS</c> / <c>AWS_ENDPOINT_URL_SQS</c>), so the same code talks to AWS, LocalStack or the embedded emulators.</summary>
public static class AwsClients
{
    /// <summary>One HTTP client per process, reused across invocations (connection pooling).</summary>
    public static HttpClient SharedHttp { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>DynamoDB, with every call asking for and reporting its consumed capacity (<see cref="DynamoDbCapacity"/>).</summary>
    public static IAmazonDynamoDB DynamoDb() => DynamoDbCapacity.CreateClient(new AmazonDynamoDBConfig());

    /// <summary>SQS (for retry delays); honours <c>AWS_ENDPOINT_URL_SQS</c> like the other clients.</summary>
    public static IAmazonSQS Sqs() => new AmazonSQSClient(new AmazonSQSConfig());

    public static SnsClient Sns(TimeProvider time) => SnsClient.FromEnvironment(SharedHttp, time);
}
