using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Constructs;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class ServiceTableProps
{
    public required TableSpec Spec { get; init; }

    /// <summary>Delete the table with the stack (dev stacks) instead of retaining it.</summary>
    public required bool Destroy { get; init; }

    /// <summary>Whether the table carries the transactional outbox (the order service's table): then it gets a
    /// stream of new item images for the outbox relay and the sparse <see cref="ReconcilerSpec.OpenOrdersIndex"/>
    /// index for the reconciler.</summary>
    public bool Outbox { get; init; }
}

/// <summary>A service's own DynamoDB table: on demand, recoverable to any second of the last 35 days, and
/// emptied of expired idempotency records by TTL. CloudFormation names it; the function gets the name. The order
/// service's table also carries the outbox: a stream and the open-orders index.</summary>
public sealed class ServiceTable : Construct
{
    public ServiceTable(Construct scope, string id, ServiceTableProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Spec);
        Spec = props.Spec;

        Table = new Table(this, "Table", new TableProps
        {
            PartitionKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = FanoutTopology.PartitionKey, Type = AttributeType.STRING },
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            TimeToLiveAttribute = FanoutTopology.TtlAttribute,
            // Orders and ledgers are the business's records: a stack deletion or replacement must not take them.
            RemovalPolicy = props.Destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
            DeletionProtection = !props.Destroy,
            // NEW_IMAGE is what the relay reads (the inserted OUTBOX# item); old images would only double the
            // record size. Stream reads by a Lambda event source mapping are not billed (DynamoDB pricing,
            // "DynamoDB Streams"): the relay's cost is its invocations.
            Stream = props.Outbox ? StreamViewType.NEW_IMAGE : null,
        });

        if (props.Outbox)
        {
            // Sparse: only PENDING and CANCELLING orders carry openShard/openSince, so the reconciler reads open
            // orders only. KEYS_ONLY: with ALL, every outcome applied to an open order would also rewrite its index
            // copy (a GSI write costs the projected item's size), and the reconciler re-reads each order it finds
            // consistently anyway. An index entry (pk, openShard, openSince) is under 1 KB: 1 WCU to add, 1 to remove.
            Table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = ReconcilerSpec.OpenOrdersIndex,
                PartitionKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = ReconcilerSpec.OpenShardAttribute, Type = AttributeType.STRING },
                SortKey = new Amazon.CDK.AWS.DynamoDB.Attribute { Name = ReconcilerSpec.OpenSinceAttribute, Type = AttributeType.STRING },
                ProjectionType = ProjectionType.KEYS_ONLY,
            });
        }
    }

    /// <summary>The ARN of the table's <see cref="ReconcilerSpec.OpenOrdersIndex"/> index (IAM authorises a Query on
    /// an index against <c>&lt;table ARN&gt;/index/&lt;name&gt;</c>).</summary>
    public string IndexArn(string indexName) => $"{Table.TableArn}/index/{indexName}";

    public TableSpec Spec { get; }

    public Table Table { get; }
}
