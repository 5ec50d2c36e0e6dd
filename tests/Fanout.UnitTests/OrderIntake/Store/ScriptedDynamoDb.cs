using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace Fanout.UnitTests.OrderIntake.Store;

/// <summary>A DynamoDB client whose four item calls are answered by the test: each write is recorded and then
/// handed to a script (which may throw what AWS would), and reads come from <see cref="Items"/>. It overrides the
/// SDK client's virtual methods, so no request ever leaves the process and no reflection proxy is needed; any other
/// call would go to an unreachable endpoint and fail loudly.</summary>
internal sealed class ScriptedDynamoDb : AmazonDynamoDBClient
{
    public ScriptedDynamoDb()
        : base(new BasicAWSCredentials("test", "test"), new AmazonDynamoDBConfig { ServiceURL = "http://127.0.0.1:9", MaxErrorRetry = 0 })
    {
    }

    /// <summary>Items by partition key, as <c>GetItem</c> (consistent read) sees them.</summary>
    public Dictionary<string, Dictionary<string, AttributeValue>> Items { get; } = new(StringComparer.Ordinal);

    public List<AmazonDynamoDBRequest> Requests { get; } = [];

    /// <summary>Runs on each TransactWriteItems call; the default stores every Put's item.</summary>
    public Action<TransactWriteItemsRequest>? OnTransactWrite { get; set; }

    /// <summary>Runs on each UpdateItem call; the default does nothing.</summary>
    public Action<UpdateItemRequest>? OnUpdateItem { get; set; }

    /// <summary>Runs on each PutItem call; the default stores the item.</summary>
    public Action<PutItemRequest>? OnPutItem { get; set; }

    public static string PartitionKeyOf(Dictionary<string, AttributeValue> item) => item[Fanout.Contracts.Topology.FanoutTopology.PartitionKey].S;

    /// <summary>What AWS throws when a transaction is cancelled: one reason per item, in request order.</summary>
    public static TransactionCanceledException Cancelled(params CancellationReason[] reasons) =>
        new("Transaction cancelled, please refer cancellation reasons for specific reasons") { CancellationReasons = [.. reasons] };

    public static CancellationReason Reason(string code, Dictionary<string, AttributeValue>? item = null) =>
        new() { Code = code, Item = item ?? [] };

    public override Task<TransactWriteItemsResponse> TransactWriteItemsAsync(TransactWriteItemsRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        if (OnTransactWrite is { } script)
        {
            script(request);
        }
        else
        {
            foreach (var write in request.TransactItems.Where(w => w.Put is not null))
            {
                Items[PartitionKeyOf(write.Put.Item)] = write.Put.Item;
            }
        }

        return Task.FromResult(new TransactWriteItemsResponse());
    }

    public override Task<PutItemResponse> PutItemAsync(PutItemRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        if (OnPutItem is { } script)
        {
            script(request);
        }
        else
        {
            Items[PartitionKeyOf(request.Item)] = request.Item;
        }

        return Task.FromResult(new PutItemResponse());
    }

    public override Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        return Task.FromResult(new GetItemResponse { Item = Items.GetValueOrDefault(PartitionKeyOf(request.Key)) });
    }

    public override Task<UpdateItemResponse> UpdateItemAsync(UpdateItemRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        OnUpdateItem?.Invoke(request);
        return Task.FromResult(new UpdateItemResponse { Attributes = UpdateResult?.Invoke(request) });
    }

    /// <summary>What an UpdateItem returns as <c>Attributes</c> (its <c>ALL_NEW</c> image); null by default.</summary>
    public Func<UpdateItemRequest, Dictionary<string, AttributeValue>?>? UpdateResult { get; set; }

    /// <summary>Answers a Query; by default no items.</summary>
    public Func<QueryRequest, QueryResponse>? OnQuery { get; set; }

    public override Task<QueryResponse> QueryAsync(QueryRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        return Task.FromResult(OnQuery?.Invoke(request) ?? new QueryResponse { Items = [] });
    }

    public override Task<DeleteItemResponse> DeleteItemAsync(DeleteItemRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        Items.Remove(PartitionKeyOf(request.Key));
        return Task.FromResult(new DeleteItemResponse());
    }
}
