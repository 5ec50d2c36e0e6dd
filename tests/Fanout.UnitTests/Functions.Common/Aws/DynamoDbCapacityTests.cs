using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestDoubles;

namespace Fanout.UnitTests.Functions.Common.Aws;

/// <summary>The metered DynamoDB client: a real AmazonDynamoDBClient whose HTTP goes to an in-memory endpoint, so the
/// test sees the JSON the SDK really sends and feeds it DynamoDB's documented answers.</summary>
[Trait("Category", "Unit")]
public sealed class DynamoDbCapacityTests
{
    private const string Table = "fanout-test";
    private static readonly Dictionary<string, AttributeValue> Key = new() { ["pk"] = new AttributeValue { S = "k" } };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryOperation_AsksForTotalCapacityAndCountsItAsReadOrWrite()
    {
        var http = new CapturingHttpHandler((request, _) => StubAwsClients.Json(AnswerFor(request.Headers["X-Amz-Target"])));
        var dynamo = Client(http);
        var record = new RecordContext();

        CapacityTally tally;
        using (RecordContext.Begin(record))
        using (CapacityTally.Begin(out tally))
        {
            await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = Key }, Ct);
            await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = Key }, Ct);
            await dynamo.UpdateItemAsync(new UpdateItemRequest { TableName = Table, Key = Key, UpdateExpression = "SET a = :a", ExpressionAttributeValues = new() { [":a"] = new AttributeValue { N = "1" } } }, Ct);
            await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = Table, Key = Key }, Ct);
            await dynamo.QueryAsync(new QueryRequest { TableName = Table, KeyConditionExpression = "pk = :k", ExpressionAttributeValues = new() { [":k"] = new AttributeValue { S = "k" } } }, Ct);
            await dynamo.ScanAsync(new ScanRequest { TableName = Table }, Ct);
            await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = [new TransactWriteItem { Put = new Put { TableName = Table, Item = Key } }] }, Ct);
            await dynamo.TransactGetItemsAsync(new TransactGetItemsRequest { TransactItems = [new TransactGetItem { Get = new Get { TableName = Table, Key = Key } }] }, Ct);
            await dynamo.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = new() { [Table] = new KeysAndAttributes { Keys = [Key] } } }, Ct);
            await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [Table] = [new WriteRequest { PutRequest = new PutRequest { Item = Key } }] } }, Ct);
        }

        Assert.Equal(10, http.Requests.Count);
        Assert.All(http.Requests, r => Assert.Contains("\"ReturnConsumedCapacity\":\"TOTAL\"", r.BodyText, StringComparison.Ordinal));
        // Reads: Get 0.5 + Query 1.5 + Scan 2.5 + TransactGet 2 + BatchGet 1; writes: Put 1 + Update 2 + Delete 1 + TransactWrite 4+2 + BatchWrite 3.
        Assert.Equal((13, 7.5), (record.WriteUnits, record.ReadUnits));
        Assert.Equal((13, 7.5), (tally.WriteUnits, tally.ReadUnits));
    }

    [Fact]
    public async Task RequestAskingForIndexes_KeepsIt()
    {
        var http = new CapturingHttpHandler((request, _) => StubAwsClients.Json(AnswerFor(request.Headers["X-Amz-Target"])));

        await Client(http).GetItemAsync(new GetItemRequest { TableName = Table, Key = Key, ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES }, Ct);

        Assert.Contains("\"ReturnConsumedCapacity\":\"INDEXES\"", Assert.Single(http.Requests).BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallOutsideAnyRecordOrInvocation_IsStillMadeAndCountsNowhere()
    {
        var http = new CapturingHttpHandler((request, _) => StubAwsClients.Json(AnswerFor(request.Headers["X-Amz-Target"])));

        var response = await Client(http).PutItemAsync(new PutItemRequest { TableName = Table, Item = Key }, Ct);

        Assert.Equal(1, response.ConsumedCapacity.CapacityUnits);
        Assert.Null(RecordContext.Current);
        Assert.Null(CapacityTally.Current);
    }

    [Fact]
    public async Task RefusedCall_CountsNothing()
    {
        var http = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(HttpStatusCode.BadRequest, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"));
        var record = new RecordContext();

        using (RecordContext.Begin(record))
        {
            await Assert.ThrowsAnyAsync<AmazonDynamoDBException>(() => Client(http).PutItemAsync(new PutItemRequest { TableName = Table, Item = Key }, Ct));
        }

        Assert.Equal((0, 0), (record.WriteUnits, record.ReadUnits));
    }

    private static string AnswerFor(string target) => target["DynamoDB_20120810.".Length..] switch
    {
        "GetItem" => "{\"Item\":{},\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":0.5}}",
        "PutItem" => "{\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":1.0}}",
        "UpdateItem" => "{\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":2.0}}",
        "DeleteItem" => "{\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":1.0}}",
        "Query" => "{\"Items\":[],\"Count\":0,\"ScannedCount\":0,\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":1.5}}",
        "Scan" => "{\"Items\":[],\"Count\":0,\"ScannedCount\":0,\"ConsumedCapacity\":{\"TableName\":\"fanout-test\",\"CapacityUnits\":2.5}}",
        "TransactWriteItems" => "{\"ConsumedCapacity\":[{\"TableName\":\"fanout-test\",\"CapacityUnits\":4.0},{\"TableName\":\"other\",\"CapacityUnits\":2.0}]}",
        "TransactGetItems" => "{\"Responses\":[],\"ConsumedCapacity\":[{\"TableName\":\"fanout-test\",\"CapacityUnits\":2.0}]}",
        "BatchGetItem" => "{\"Responses\":{},\"UnprocessedKeys\":{},\"ConsumedCapacity\":[{\"TableName\":\"fanout-test\",\"CapacityUnits\":1.0}]}",
        "BatchWriteItem" => "{\"UnprocessedItems\":{},\"ConsumedCapacity\":[{\"TableName\":\"fanout-test\",\"CapacityUnits\":3.0}]}",
        var other => throw new InvalidOperationException("unexpected " + other),
    };

    private static AmazonDynamoDBClient Client(CapturingHttpHandler http)
    {
        var config = new AmazonDynamoDBConfig
        {
            ServiceURL = "http://dynamodb.stub",
            AuthenticationRegion = "eu-west-1",
            MaxErrorRetry = 0,
            HttpClientFactory = new Factory(http),
        };
        return DynamoDbCapacity.CreateClient(config, new BasicAWSCredentials("test", "test"));
    }

    private sealed class Factory(CapturingHttpHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
