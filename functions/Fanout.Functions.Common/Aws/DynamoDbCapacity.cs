using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Functions.Common.Aws;

/// <summary>Makes every DynamoDB call of a client report what it consumed: before marshalling, each request of the
/// operations Fanout uses gets <c>ReturnConsumedCapacity=TOTAL</c>; after the response, its <c>ConsumedCapacity</c>
/// (the table's and its indexes' total, <c>CapacityUnits</c>) is added to the record in progress
/// (<see cref="RecordContext.AddCapacity"/>) and to the invocation's <see cref="CapacityTally"/>. Reads (GetItem, Query,
/// Scan, BatchGetItem, TransactGetItems) count as read units, writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
/// TransactWriteItems) as write units (DynamoDB developer guide, "Read/write capacity mode"; API reference,
/// "ReturnConsumedCapacity").</summary>
/// <remarks>Done by a pipeline handler placed before the SDK's marshaller (the request must be changed before it is
/// serialised), on a client subclass, since the SDK's pre-marshalling event is not public.
/// A refused call (a failed condition, say) answers with an error and no <c>ConsumedCapacity</c>, so what it
/// consumed is not counted. A request that already asks for <c>INDEXES</c> keeps it (it includes the total).</remarks>
public static class DynamoDbCapacity
{
    /// <summary>A DynamoDB client whose every call is metered this way.</summary>
    /// <param name="credentials">Null: the SDK's default credential chain.</param>
    public static AmazonDynamoDBClient CreateClient(AmazonDynamoDBConfig config, AWSCredentials? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        return credentials is null ? new MeteredDynamoDbClient(config) : new MeteredDynamoDbClient(credentials, config);
    }

    /// <summary>Asks for the total consumed capacity on a request of a known operation; leaves others alone.</summary>
    public static void RequestTotal(AmazonWebServiceRequest request)
    {
        var total = ReturnConsumedCapacity.TOTAL;
        switch (request)
        {
            case GetItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case PutItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case UpdateItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case DeleteItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case QueryRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case ScanRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case BatchGetItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case BatchWriteItemRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case TransactGetItemsRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
            case TransactWriteItemsRequest r when r.ReturnConsumedCapacity is null || r.ReturnConsumedCapacity == ReturnConsumedCapacity.NONE:
                r.ReturnConsumedCapacity = total;
                break;
        }
    }

    /// <summary>The write and read capacity units a response reports (zero for a response without
    /// <c>ConsumedCapacity</c> or of another operation).</summary>
    public static (double WriteUnits, double ReadUnits) Consumed(AmazonWebServiceResponse response) => response switch
    {
        GetItemResponse r => (0, Units(r.ConsumedCapacity)),
        QueryResponse r => (0, Units(r.ConsumedCapacity)),
        ScanResponse r => (0, Units(r.ConsumedCapacity)),
        BatchGetItemResponse r => (0, Units(r.ConsumedCapacity)),
        TransactGetItemsResponse r => (0, Units(r.ConsumedCapacity)),
        PutItemResponse r => (Units(r.ConsumedCapacity), 0),
        UpdateItemResponse r => (Units(r.ConsumedCapacity), 0),
        DeleteItemResponse r => (Units(r.ConsumedCapacity), 0),
        BatchWriteItemResponse r => (Units(r.ConsumedCapacity), 0),
        TransactWriteItemsResponse r => (Units(r.ConsumedCapacity), 0),
        _ => (0, 0),
    };

    /// <summary>Adds what <paramref name="response"/> reports to the record in progress and the invocation's tally.</summary>
    internal static void Count(AmazonWebServiceResponse? response)
    {
        if (response is null)
        {
            return;
        }

        var (writeUnits, readUnits) = Consumed(response);
        if (writeUnits == 0 && readUnits == 0)
        {
            return;
        }

        RecordContext.AddCapacity(writeUnits, readUnits);
        CapacityTally.AddToCurrent(writeUnits, readUnits);
    }

    private static double Units(ConsumedCapacity? consumed) => consumed?.CapacityUnits ?? 0;

    private static double Units(List<ConsumedCapacity>? consumed)
    {
        if (consumed is null)
        {
            return 0;
        }

        double total = 0;
        foreach (var item in consumed)
        {
            total += item.CapacityUnits ?? 0;
        }

        return total;
    }
}

/// <summary>AmazonDynamoDBClient with <see cref="CapacityHandler"/> in its pipeline.</summary>
internal sealed class MeteredDynamoDbClient : AmazonDynamoDBClient
{
    public MeteredDynamoDbClient(AmazonDynamoDBConfig config)
        : base(config)
    {
    }

    public MeteredDynamoDbClient(AWSCredentials credentials, AmazonDynamoDBConfig config)
        : base(credentials, config)
    {
    }

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerBefore<Marshaller>(new CapacityHandler());
    }
}

/// <summary>Sets <c>ReturnConsumedCapacity</c> before marshalling; counts the answer's <c>ConsumedCapacity</c>.</summary>
internal sealed class CapacityHandler : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        ArgumentNullException.ThrowIfNull(executionContext);
        DynamoDbCapacity.RequestTotal(executionContext.RequestContext.OriginalRequest);
        base.InvokeSync(executionContext);
        DynamoDbCapacity.Count(executionContext.ResponseContext.Response);
    }

    public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        ArgumentNullException.ThrowIfNull(executionContext);
        DynamoDbCapacity.RequestTotal(executionContext.RequestContext.OriginalRequest);
        var response = await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
        DynamoDbCapacity.Count(executionContext.ResponseContext.Response);
        return response;
    }
}
