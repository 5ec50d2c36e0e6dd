using Fanout.Contracts.Topology;

namespace Fanout.Infra;

/// <summary>Which items of its table a function may touch, for the functions that write into a table another
/// function owns. The patterns are IAM <c>StringLike</c> patterns on the partition key
/// (<see cref="FanoutTopology.PartitionKey"/>), enforced through <c>dynamodb:LeadingKeys</c>.</summary>
public static class TableItemScopes
{
    /// <summary>Orders: <c>Fanout.Orders.DynamoOrderStore.OrderPrefix</c> followed by the order id.</summary>
    public const string OrderItems = "ORDER#*";

    /// <summary>Failure records: <c>Fanout.Functions.Common.Sqs.DynamoFailureRecorder.KeyPrefix</c> followed by the SQS
    /// message id; <c>fanout dlq show</c> reads them next to the dead-lettered message.</summary>
    public const string FailureItems = "FAILURE#*";

    /// <summary>The patterns for <paramref name="function"/>, or null when it may touch every item of its table.</summary>
    /// <remarks>OrderStatus writes into the orders table, which OrderIntake owns and where the idempotency keys
    /// of order intake (<c>IDEMPOTENCY#</c>) live too. It applies outcomes to <c>ORDER#</c> items only, but its
    /// failure recorder (shared by every consumer) also writes <c>FAILURE#</c> items into the same table, so both
    /// prefixes are allowed and nothing else: a bug or a compromised OrderStatus cannot forge an idempotency key
    /// or anything a later feature stores there. Giving failure records a table of their own would narrow this
    /// to <c>ORDER#*</c>, at the price of a fifth table the CLI must also find.</remarks>
    public static IReadOnlyList<string>? For(FunctionSpec function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Name == FanoutTopology.OrderStatus.Function.Name ? [OrderItems, FailureItems] : null;
    }
}
