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
}

/// <summary>A service's own DynamoDB table: on demand, recoverable to any second of the last 35 days, and
/// emptied of expired idempotency records by TTL. CloudFormation names it; the function gets the name.</summary>
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
        });
    }

    public TableSpec Spec { get; }

    public Table Table { get; }
}
