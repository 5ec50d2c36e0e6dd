using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace Fanout.Harness.Metering;

/// <summary>Meters every DynamoDB call of this process (the in-process functions' and the harness's) by AWS's rules
/// (<see cref="DynamoDbCapacityRules"/>), and keeps what DynamoDB Local reports as a cross-check.</summary>
/// <remarks>
/// <para>Attached through the AWS SDK's <see cref="RuntimePipelineCustomizerRegistry"/>: every DynamoDB client
/// <b>built after</b> <see cref="Attach"/> runs the meter's pipeline handler, so attach it before starting
/// <c>LocalFanout</c>. Dispose to detach (clients already built keep the handler, which then counts nothing).</para>
/// <para>To apply the rules the meter must know each written item before and after the call. As a measurement aid
/// (never part of the system measured) it reads them by key with its own client, un-metered: before every write, and
/// after an update (a put's new item is in the request). Under concurrent writes to the same item these reads may
/// see another writer's version; the figures are then estimates.</para>
/// <para>Every metered request asks for <c>ReturnConsumedCapacity = TOTAL</c> when it did not; DynamoDB Local's
/// answer is summed as <see cref="DynamoDbUsage.ReportedWriteUnits"/>. It is a cross-check only: DynamoDB Local
/// over-counts transactions (for a two-item transaction of about 0.1 KB and 2.5 KB it reported 16 write units where
/// AWS's rules give 8; for the order intake's transaction 12 where the rules give 7), and does not always follow the
/// rules the other way either (4 reported for the inventory's four-action reservation, 8 by the rules).</para>
/// <para>Query and Scan are billed on the items returned: a filter expression that drops items read makes the figure
/// low. Fanout uses no filters on its hot path.</para>
/// </remarks>
public sealed class DynamoDbCapacityMeter : IDynamoDbMeter, IDisposable
{
    private static readonly AsyncLocal<bool> _unmetered = new();
    private readonly object _gate = new();
    private readonly Dictionary<(string Table, string Operation), Tally> _tallies = [];
    private readonly ConcurrentDictionary<string, IAmazonDynamoDB> _readers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Endpoint, string Table), Task<TableShape>> _shapes = new();
    private readonly Customizer _customizer;
    private volatile bool _attached;

    private DynamoDbCapacityMeter()
    {
        _customizer = new Customizer(this);
    }

    /// <summary>Starts metering every DynamoDB client built from now on.</summary>
    public static DynamoDbCapacityMeter Attach()
    {
        var meter = new DynamoDbCapacityMeter();
        RuntimePipelineCustomizerRegistry.Instance.Register(meter._customizer);
        meter._attached = true;
        return meter;
    }

    /// <inheritdoc/>
    public DynamoDbUsage Snapshot()
    {
        lock (_gate)
        {
            return _tallies.Values.Aggregate(DynamoDbUsage.Zero, (sum, t) => Add(sum, t.Usage));
        }
    }

    /// <summary>The totals so far per table and operation (e.g. <c>("fanout-sms", "PutItem")</c>).</summary>
    public IReadOnlyDictionary<(string Table, string Operation), DynamoDbUsage> SnapshotByTable()
    {
        lock (_gate)
        {
            return _tallies.ToDictionary(kv => kv.Key, kv => kv.Value.Usage);
        }
    }

    public void Dispose()
    {
        if (!_attached)
        {
            return;
        }

        _attached = false;
        RuntimePipelineCustomizerRegistry.Instance.Deregister(_customizer);
        foreach (var reader in _readers.Values)
        {
            reader.Dispose();
        }
    }

    private static DynamoDbUsage Add(DynamoDbUsage a, DynamoDbUsage b) =>
        new(a.WriteUnits + b.WriteUnits, a.ReadUnits + b.ReadUnits, a.ReportedWriteUnits + b.ReportedWriteUnits, a.ReportedReadUnits + b.ReportedReadUnits, a.WriteRequests + b.WriteRequests, a.ReadRequests + b.ReadRequests);

    private void Record(string table, string operation, DynamoDbUsage usage)
    {
        lock (_gate)
        {
            if (!_tallies.TryGetValue((table, operation), out var tally))
            {
                tally = new Tally();
                _tallies[(table, operation)] = tally;
            }

            tally.Usage = Add(tally.Usage, usage);
        }
    }

    private IAmazonDynamoDB Reader()
    {
        // One reader per endpoint: the harness points AWS_ENDPOINT_URL_DYNAMODB at each run's emulator.
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? "";
        return _readers.GetOrAdd(endpoint, static _ => new AmazonDynamoDBClient(new AmazonDynamoDBConfig()));
    }

    private async Task<T> UnmeteredAsync<T>(Func<IAmazonDynamoDB, Task<T>> call)
    {
        var before = _unmetered.Value;
        _unmetered.Value = true;
        try
        {
            return await call(Reader()).ConfigureAwait(false);
        }
        finally
        {
            _unmetered.Value = before;
        }
    }

    private Task<TableShape> ShapeAsync(string table)
    {
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB") ?? "";
        return _shapes.GetOrAdd((endpoint, table), key => UnmeteredAsync(async reader =>
        {
            var description = (await reader.DescribeTableAsync(key.Table).ConfigureAwait(false)).Table;
            var keys = description.KeySchema.Select(k => k.AttributeName).ToList();
            var indexes = (description.GlobalSecondaryIndexes ?? [])
                .Select(i => new IndexShape(i.IndexName, i.KeySchema.Select(k => k.AttributeName).ToList(), keys, i.Projection.ProjectionType?.Value ?? "ALL", i.Projection.NonKeyAttributes ?? []))
                .ToList();
            return new TableShape(keys, indexes);
        }));
    }

    private async Task<Dictionary<string, AttributeValue>?> ReadItemAsync(string table, Dictionary<string, AttributeValue> key)
    {
        var item = await UnmeteredAsync(reader => reader.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true })).ConfigureAwait(false);
        return item.Item is { Count: > 0 } found ? found : null;
    }

    private async Task<Dictionary<string, AttributeValue>> KeyOfAsync(string table, Dictionary<string, AttributeValue> item)
    {
        var shape = await ShapeAsync(table).ConfigureAwait(false);
        return shape.Keys.Where(item.ContainsKey).ToDictionary(k => k, k => item[k]);
    }

    /// <summary>One planned write: its table, key, the new item when the request carries it, and its kind.</summary>
    private sealed record PlannedWrite(string Table, Dictionary<string, AttributeValue> Key, Dictionary<string, AttributeValue>? NewItem, WriteKind Kind)
    {
        public Dictionary<string, AttributeValue>? Before { get; set; }
    }

    private enum WriteKind
    {
        Put,
        Update,
        Delete,
        ConditionCheck,
    }

    private async Task<List<PlannedWrite>> PlanAsync(AmazonWebServiceRequest request)
    {
        var plan = new List<PlannedWrite>();
        switch (request)
        {
            case PutItemRequest put:
                plan.Add(new(put.TableName, await KeyOfAsync(put.TableName, put.Item).ConfigureAwait(false), put.Item, WriteKind.Put));
                break;
            case UpdateItemRequest update:
                plan.Add(new(update.TableName, update.Key, null, WriteKind.Update));
                break;
            case DeleteItemRequest delete:
                plan.Add(new(delete.TableName, delete.Key, null, WriteKind.Delete));
                break;
            case BatchWriteItemRequest batch:
                foreach (var (table, writes) in batch.RequestItems ?? [])
                {
                    foreach (var write in writes)
                    {
                        plan.Add(write.PutRequest is { } p
                            ? new(table, await KeyOfAsync(table, p.Item).ConfigureAwait(false), p.Item, WriteKind.Put)
                            : new(table, write.DeleteRequest.Key, null, WriteKind.Delete));
                    }
                }

                break;
            case TransactWriteItemsRequest transaction:
                foreach (var action in transaction.TransactItems ?? [])
                {
                    plan.Add(action switch
                    {
                        { Put: { } p } => new(p.TableName, await KeyOfAsync(p.TableName, p.Item).ConfigureAwait(false), p.Item, WriteKind.Put),
                        { Update: { } u } => new(u.TableName, u.Key, null, WriteKind.Update),
                        { Delete: { } d } => new(d.TableName, d.Key, null, WriteKind.Delete),
                        { ConditionCheck: { } c } => new(c.TableName, c.Key, null, WriteKind.ConditionCheck),
                        _ => throw new InvalidOperationException("A transaction action with no operation."),
                    });
                }

                break;
        }

        foreach (var write in plan)
        {
            write.Before = await ReadItemAsync(write.Table, write.Key).ConfigureAwait(false);
        }

        return plan;
    }

    private async Task MeterWritesAsync(string operation, List<PlannedWrite> plan, bool transactional, bool failed, ConsumedCapacity[] reported)
    {
        var reportedByTable = reported.GroupBy(c => c.TableName ?? "").ToDictionary(g => g.Key, g => g.Sum(c => c.WriteCapacityUnits ?? c.CapacityUnits ?? 0));
        foreach (var group in plan.GroupBy(w => w.Table))
        {
            var shape = await ShapeAsync(group.Key).ConfigureAwait(false);
            double units = 0;
            foreach (var write in group)
            {
                var oldSize = DynamoDbCapacityRules.ItemSize(write.Before);
                if (failed || write.Kind == WriteKind.ConditionCheck)
                {
                    // Nothing written; the item read is billed as a write of its size (at least one unit).
                    units += DynamoDbCapacityRules.WriteUnits(oldSize, transactional);
                    continue;
                }

                var after = write.Kind switch
                {
                    WriteKind.Put => write.NewItem,
                    WriteKind.Delete => null,
                    _ => await ReadItemAsync(write.Table, write.Key).ConfigureAwait(false),
                };
                units += write.Kind == WriteKind.Delete
                    ? DynamoDbCapacityRules.DeleteUnits(oldSize, transactional)
                    : DynamoDbCapacityRules.PutOrUpdateUnits(oldSize, DynamoDbCapacityRules.ItemSize(after), transactional: transactional);
                foreach (var index in shape.Indexes)
                {
                    units += DynamoDbCapacityRules.IndexWriteUnits(write.Before, after, index);
                }
            }

            Record(group.Key, operation, new DynamoDbUsage(units, 0, reportedByTable.GetValueOrDefault(group.Key), 0, 1, 0));
        }
    }

    private void MeterRead(AmazonWebServiceRequest request, AmazonWebServiceResponse? response)
    {
        switch (request, response)
        {
            case (GetItemRequest get, GetItemResponse got):
                RecordRead(get.TableName, "GetItem", DynamoDbCapacityRules.ReadUnits(DynamoDbCapacityRules.ItemSize(got.Item), KindOf(get.ConsistentRead)), got.ConsumedCapacity);
                break;
            case (QueryRequest query, QueryResponse found):
                RecordRead(query.TableName, "Query", DynamoDbCapacityRules.QueryUnits((found.Items ?? []).Select(DynamoDbCapacityRules.ItemSize), KindOf(query.ConsistentRead)), found.ConsumedCapacity);
                break;
            case (ScanRequest scan, ScanResponse found):
                RecordRead(scan.TableName, "Scan", DynamoDbCapacityRules.QueryUnits((found.Items ?? []).Select(DynamoDbCapacityRules.ItemSize), KindOf(scan.ConsistentRead)), found.ConsumedCapacity);
                break;
            case (BatchGetItemRequest batch, BatchGetItemResponse found):
                foreach (var (table, items) in found.Responses ?? [])
                {
                    var consistent = batch.RequestItems.TryGetValue(table, out var keys) ? keys.ConsistentRead : null;
                    RecordRead(table, "BatchGetItem", DynamoDbCapacityRules.BatchReadUnits(items.Select(DynamoDbCapacityRules.ItemSize), KindOf(consistent)), found.ConsumedCapacity?.FirstOrDefault(c => c.TableName == table));
                }

                break;
            case (TransactGetItemsRequest transaction, TransactGetItemsResponse found):
                var gets = transaction.TransactItems ?? [];
                var responses = found.Responses ?? [];
                for (var i = 0; i < gets.Count; i++)
                {
                    var item = i < responses.Count ? responses[i].Item : null;
                    RecordRead(gets[i].Get.TableName, "TransactGetItems", DynamoDbCapacityRules.ReadUnits(DynamoDbCapacityRules.ItemSize(item), ReadKind.Transactional), found.ConsumedCapacity?.FirstOrDefault(c => c.TableName == gets[i].Get.TableName && i == 0));
                }

                break;
        }
    }

    private void RecordRead(string table, string operation, double units, ConsumedCapacity? reported) =>
        Record(table, operation, new DynamoDbUsage(0, units, 0, reported?.ReadCapacityUnits ?? reported?.CapacityUnits ?? 0, 0, 1));

    private static ReadKind KindOf(bool? consistentRead) => consistentRead == true ? ReadKind.StronglyConsistent : ReadKind.EventuallyConsistent;

    private static bool IsWrite(AmazonWebServiceRequest request) =>
        request is PutItemRequest or UpdateItemRequest or DeleteItemRequest or BatchWriteItemRequest or TransactWriteItemsRequest;

    private static ConsumedCapacity[] ReportedWrites(AmazonWebServiceResponse? response) => response switch
    {
        PutItemResponse r when r.ConsumedCapacity is not null => [r.ConsumedCapacity],
        UpdateItemResponse r when r.ConsumedCapacity is not null => [r.ConsumedCapacity],
        DeleteItemResponse r when r.ConsumedCapacity is not null => [r.ConsumedCapacity],
        BatchWriteItemResponse r => [.. r.ConsumedCapacity ?? []],
        TransactWriteItemsResponse r => [.. r.ConsumedCapacity ?? []],
        _ => [],
    };

    private async Task<T> InvokeMeteredAsync<T>(IExecutionContext context, Func<Task<T>> next)
        where T : AmazonWebServiceResponse, new()
    {
        var request = context.RequestContext.OriginalRequest;
        if (!_attached || _unmetered.Value)
        {
            return await next().ConfigureAwait(false);
        }

        Fanout.Functions.Common.Aws.DynamoDbCapacity.RequestTotal(request);
        if (!IsWrite(request))
        {
            var read = await next().ConfigureAwait(false);
            MeterRead(request, read);
            return read;
        }

        var operation = request.GetType().Name.Replace("Request", "", StringComparison.Ordinal);
        var plan = await PlanAsync(request).ConfigureAwait(false);
        try
        {
            var response = await next().ConfigureAwait(false);
            await MeterWritesAsync(operation, plan, request is TransactWriteItemsRequest, failed: false, ReportedWrites(response)).ConfigureAwait(false);
            return response;
        }
        catch (ConditionalCheckFailedException)
        {
            await MeterWritesAsync(operation, plan, transactional: false, failed: true, []).ConfigureAwait(false);
            throw;
        }
        catch (TransactionCanceledException)
        {
            // A cancelled transaction still reads every item it names: billed as failed transactional writes.
            await MeterWritesAsync(operation, plan, transactional: true, failed: true, []).ConfigureAwait(false);
            throw;
        }
    }

    private sealed record TableShape(IReadOnlyList<string> Keys, IReadOnlyList<IndexShape> Indexes);

    private sealed class Tally
    {
        public DynamoDbUsage Usage { get; set; } = DynamoDbUsage.Zero;
    }

    private sealed class Customizer(DynamoDbCapacityMeter meter) : IRuntimePipelineCustomizer
    {
        public string UniqueName { get; } = "Fanout.DynamoDbCapacityMeter." + Guid.NewGuid().ToString("N");

        public void Customize(Type type, RuntimePipeline pipeline)
        {
            if (typeof(IAmazonDynamoDB).IsAssignableFrom(type))
            {
                pipeline.AddHandlerBefore<Marshaller>(new Handler(meter));
            }
        }
    }

    private sealed class Handler(DynamoDbCapacityMeter meter) : PipelineHandler
    {
        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext) =>
            meter.InvokeMeteredAsync(executionContext, () => base.InvokeAsync<T>(executionContext));
    }
}
