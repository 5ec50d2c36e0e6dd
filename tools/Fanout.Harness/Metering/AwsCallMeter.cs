using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Fanout.Harness.Metering;

/// <summary>SQS calls made by this process over a window, by billed kind (Amazon SQS pricing: every API action is a
/// request, each 64 KB chunk of a payload one more; Fanout's messages stay far below 64 KB, so one call is one
/// request). <see cref="FirstReceipts"/> counts messages received with <c>ApproximateReceiveCount</c> = 1: each is one
/// SNS→SQS delivery, which SQS bills to the queue as a send.</summary>
/// <param name="Receives">ReceiveMessage calls that returned at least one message.</param>
/// <param name="EmptyReceives">ReceiveMessage calls that returned none (long polls that ran out: a fixed cost of having
/// pollers, not a cost per order).</param>
/// <param name="Deletes">DeleteMessage and DeleteMessageBatch calls.</param>
/// <param name="VisibilityChanges">ChangeMessageVisibility and ChangeMessageVisibilityBatch calls.</param>
/// <param name="Sends">SendMessage and SendMessageBatch calls the process made itself.</param>
/// <param name="Other">Any other SQS action (e.g. GetQueueUrl).</param>
/// <param name="MessagesReceived">Messages returned by the non-empty receives.</param>
/// <param name="FirstReceipts">Messages received for the first time (SNS→SQS deliveries).</param>
public sealed record SqsUsage(long Receives, long EmptyReceives, long Deletes, long VisibilityChanges, long Sends, long Other, long MessagesReceived, long FirstReceipts)
{
    public static SqsUsage Zero { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);

    public SqsUsage Since(SqsUsage earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return new(
            Receives - earlier.Receives,
            EmptyReceives - earlier.EmptyReceives,
            Deletes - earlier.Deletes,
            VisibilityChanges - earlier.VisibilityChanges,
            Sends - earlier.Sends,
            Other - earlier.Other,
            MessagesReceived - earlier.MessagesReceived,
            FirstReceipts - earlier.FirstReceipts);
    }
}

/// <summary>DynamoDB capacity as the endpoint reported it in <c>ConsumedCapacity</c> (DynamoDB Local over-counts
/// transactions, so this is a cross-check of the AWS-rules figure, not a bill), and the calls made.</summary>
public sealed record ReportedDynamoDbUsage(double WriteUnits, double ReadUnits, long WriteRequests, long ReadRequests)
{
    public static ReportedDynamoDbUsage Zero { get; } = new(0, 0, 0, 0);

    public ReportedDynamoDbUsage Since(ReportedDynamoDbUsage earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return new(WriteUnits - earlier.WriteUnits, ReadUnits - earlier.ReadUnits, WriteRequests - earlier.WriteRequests, ReadRequests - earlier.ReadRequests);
    }
}

/// <summary>Counts the SQS and DynamoDB calls of every AWS SDK client this process creates after <see cref="Attach"/>
/// (the functions', the event source mappings' and the harness's), through the SDK's runtime pipeline customizer
/// registry. DynamoDB calls are made with <c>ReturnConsumedCapacity=TOTAL</c> when the caller asked for nothing, so
/// the endpoint reports what each call consumed. Clients created before attaching are not counted. Thread-safe.</summary>
public sealed class AwsCallMeter
{
    private static readonly Lazy<AwsCallMeter> _instance = new(Register);
    private static readonly AsyncLocal<bool> _suspended = new();
    private long _receives;
    private long _emptyReceives;
    private long _deletes;
    private long _visibilityChanges;
    private long _sends;
    private long _otherSqs;
    private long _messagesReceived;
    private long _firstReceipts;
    private long _dynamoWrites;
    private long _dynamoReads;
    private double _reportedWriteUnits;
    private double _reportedReadUnits;

    private AwsCallMeter()
    {
    }

    /// <summary>Attaches the process-wide meter (once; later calls return the same meter).</summary>
    public static AwsCallMeter Attach() => _instance.Value;

    /// <summary>Leaves uncounted the calls made on this async flow until the scope is disposed: the measuring tool's
    /// own probes (e.g. reading queue depths to know the system is quiet) are not the system's cost.</summary>
    public static SuspendScope Suspend()
    {
        var previous = _suspended.Value;
        _suspended.Value = true;
        return new SuspendScope(previous);
    }

    public SqsUsage Sqs() => new(
        Interlocked.Read(ref _receives),
        Interlocked.Read(ref _emptyReceives),
        Interlocked.Read(ref _deletes),
        Interlocked.Read(ref _visibilityChanges),
        Interlocked.Read(ref _sends),
        Interlocked.Read(ref _otherSqs),
        Interlocked.Read(ref _messagesReceived),
        Interlocked.Read(ref _firstReceipts));

    public ReportedDynamoDbUsage DynamoDb() => new(
        Volatile.Read(ref _reportedWriteUnits),
        Volatile.Read(ref _reportedReadUnits),
        Interlocked.Read(ref _dynamoWrites),
        Interlocked.Read(ref _dynamoReads));

    private static AwsCallMeter Register()
    {
        var meter = new AwsCallMeter();
        RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer(meter));
        return meter;
    }

    internal static void Before(AmazonWebServiceRequest request)
    {
        switch (request)
        {
            case PutItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case UpdateItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case DeleteItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case GetItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case QueryRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case ScanRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case TransactWriteItemsRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case TransactGetItemsRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case BatchWriteItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
            case BatchGetItemRequest r: r.ReturnConsumedCapacity ??= ReturnConsumedCapacity.TOTAL; break;
        }
    }

    internal void After(AmazonWebServiceRequest request, AmazonWebServiceResponse? response)
    {
        switch (request)
        {
            case ReceiveMessageRequest:
                CountReceive(response as ReceiveMessageResponse);
                break;
            case DeleteMessageRequest or DeleteMessageBatchRequest:
                Interlocked.Increment(ref _deletes);
                break;
            case ChangeMessageVisibilityRequest or ChangeMessageVisibilityBatchRequest:
                Interlocked.Increment(ref _visibilityChanges);
                break;
            case SendMessageRequest or SendMessageBatchRequest:
                Interlocked.Increment(ref _sends);
                break;
            case AmazonSQSRequest:
                Interlocked.Increment(ref _otherSqs);
                break;
            case PutItemRequest or UpdateItemRequest or DeleteItemRequest or TransactWriteItemsRequest or BatchWriteItemRequest:
                Interlocked.Increment(ref _dynamoWrites);
                AddUnits(ref _reportedWriteUnits, Reported(response, write: true));
                AddUnits(ref _reportedReadUnits, Reported(response, write: false));
                break;
            case AmazonDynamoDBRequest:
                Interlocked.Increment(ref _dynamoReads);
                AddUnits(ref _reportedReadUnits, Reported(response, write: false));
                AddUnits(ref _reportedWriteUnits, Reported(response, write: true));
                break;
        }
    }

    private void CountReceive(ReceiveMessageResponse? response)
    {
        if (response?.Messages is not { Count: > 0 } messages)
        {
            Interlocked.Increment(ref _emptyReceives);
            return;
        }

        Interlocked.Increment(ref _receives);
        Interlocked.Add(ref _messagesReceived, messages.Count);
        var first = messages.Count(m => m.Attributes is { } a && a.TryGetValue("ApproximateReceiveCount", out var count) && count == "1");
        Interlocked.Add(ref _firstReceipts, first);
    }

    /// <summary>The write (or read) units a response reports: the split figures when given, else the total for the
    /// kind of call it answers (a write call's total is write units).</summary>
    private static double Reported(AmazonWebServiceResponse? response, bool write)
    {
        IEnumerable<ConsumedCapacity?> capacities = response switch
        {
            PutItemResponse r => [r.ConsumedCapacity],
            UpdateItemResponse r => [r.ConsumedCapacity],
            DeleteItemResponse r => [r.ConsumedCapacity],
            TransactWriteItemsResponse r => r.ConsumedCapacity ?? [],
            BatchWriteItemResponse r => r.ConsumedCapacity ?? [],
            GetItemResponse r => [r.ConsumedCapacity],
            QueryResponse r => [r.ConsumedCapacity],
            ScanResponse r => [r.ConsumedCapacity],
            TransactGetItemsResponse r => r.ConsumedCapacity ?? [],
            BatchGetItemResponse r => r.ConsumedCapacity ?? [],
            _ => [],
        };
        var writeCall = response is PutItemResponse or UpdateItemResponse or DeleteItemResponse or TransactWriteItemsResponse or BatchWriteItemResponse;
        double total = 0;
        foreach (var capacity in capacities)
        {
            if (capacity is null)
            {
                continue;
            }

            var split = write ? capacity.WriteCapacityUnits : capacity.ReadCapacityUnits;
            if (split is { } units)
            {
                total += units;
            }
            else if (capacity.WriteCapacityUnits is null && capacity.ReadCapacityUnits is null && writeCall == write)
            {
                total += capacity.CapacityUnits ?? 0;
            }
        }

        return total;
    }

    private static void AddUnits(ref double target, double value)
    {
        if (value == 0)
        {
            return;
        }

        double seen;
        do
        {
            seen = Volatile.Read(ref target);
        }
        while (Interlocked.CompareExchange(ref target, seen + value, seen) != seen);
    }

    private sealed class Customizer(AwsCallMeter meter) : IRuntimePipelineCustomizer
    {
        public string UniqueName => "Fanout.Harness.AwsCallMeter";

        public void Customize(Type type, RuntimePipeline pipeline)
        {
            if (typeof(AmazonSQSClient).IsAssignableFrom(type) || typeof(AmazonDynamoDBClient).IsAssignableFrom(type))
            {
                pipeline.AddHandler(new CountingHandler(meter));
            }
        }
    }

    private sealed class CountingHandler(AwsCallMeter meter) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            var request = executionContext.RequestContext.OriginalRequest;
            if (_suspended.Value)
            {
                return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
            }

            Before(request);
            var response = await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
            meter.After(request, response);
            return response;
        }
    }

    /// <summary>Ends a <see cref="Suspend"/>.</summary>
    public readonly struct SuspendScope : IDisposable
    {
        private readonly bool _previous;

        internal SuspendScope(bool previous) => _previous = previous;

        public void Dispose() => _suspended.Value = _previous;
    }
}
