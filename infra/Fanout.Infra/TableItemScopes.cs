using Fanout.Contracts.Topology;

namespace Fanout.Infra;

/// <summary>One statement of a function's table permissions: some of its <see cref="FunctionSpec.TableOperations"/>,
/// on the table or one of its indexes, optionally only on items whose partition key matches a pattern.</summary>
/// <param name="Sid">The statement id in the function's role policy, e.g. <c>UseOwnTable</c>.</param>
/// <param name="Operations">DynamoDB API operations without the <c>dynamodb:</c> prefix, e.g. <c>GetItem</c>.</param>
/// <param name="ItemKeyPatterns">IAM <c>StringLike</c> patterns the partition key (<see cref="FanoutTopology.PartitionKey"/>)
/// of every item touched must match, enforced through <c>dynamodb:LeadingKeys</c>; null for every item.</param>
/// <param name="IndexName">The index the statement is about (resource <c>&lt;table ARN&gt;/index/&lt;name&gt;</c>), or null
/// for the table itself.</param>
public sealed record TableGrant(string Sid, IReadOnlyList<string> Operations, IReadOnlyList<string>? ItemKeyPatterns = null, string? IndexName = null);

/// <summary>Which items of its table a function may touch. The patterns are IAM <c>StringLike</c> patterns on the
/// partition key (<see cref="FanoutTopology.PartitionKey"/>), enforced through <c>dynamodb:LeadingKeys</c> (AWS:
/// "Using IAM policy conditions for fine-grained access control").</summary>
public static class TableItemScopes
{
    /// <summary>Orders: <c>Fanout.Orders.DynamoOrderStore.OrderPrefix</c> followed by the order id.</summary>
    public const string OrderItems = "ORDER#*";

    /// <summary>Outbox entries: <see cref="OutboxSpec.KeyPrefix"/> followed by the event id.</summary>
    public const string OutboxItems = OutboxSpec.KeyPrefix + "*";

    /// <summary>Failure records: <c>Fanout.Functions.Common.Sqs.DynamoFailureRecorder.KeyPrefix</c> followed by the SQS
    /// message id; <c>fanout dlq show</c> reads them next to the dead-lettered message.</summary>
    public const string FailureItems = "FAILURE#*";

    /// <summary>The statements that together grant exactly <paramref name="function"/>'s table operations.</summary>
    /// <remarks>The orders table holds three kinds of items (orders, which are also the records of the idempotency keys
    /// their ids derive from; outbox entries; failure records) and four functions use it, so each gets only its kinds:
    /// <list type="bullet">
    /// <item>OrderIntake (public-facing) writes orders and (cancellation) outbox entries, and deletes only
    /// the outbox entries it published: it can never delete an order or forge a failure record.</item>
    /// <item>OrderStatus applies outcomes to orders; its failure recorder (shared by every consumer) writes
    /// <c>FAILURE#</c> items into the same table.</item>
    /// <item>OutboxRelay reads and deletes outbox entries, and reads orders (a new order owes its
    /// <c>OrderPlaced</c> until an outcome is applied).</item>
    /// <item>Reconciler queries the open-orders index (which holds open orders only, so no item condition), reads
    /// orders and outbox entries, and deletes only outbox entries.</item>
    /// </list>
    /// The consumers with a table of their own may touch all of it. <see cref="Validate"/> checks the statements
    /// add up to the function's declared operations, so a new call in the code is not silently left out.</remarks>
    public static IReadOnlyList<TableGrant> For(FunctionSpec function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var operations = function.TableOperations;
        IReadOnlyList<TableGrant> grants = function.Name switch
        {
            var name when name == FanoutTopology.OrderIntake.Name =>
            [
                new("UseOwnItems", operations.Where(op => op != "DeleteItem").ToList(), [OrderItems, OutboxItems]),
                new("DeletePublishedOutboxEntries", ["DeleteItem"], [OutboxItems]),
            ],
            var name when name == FanoutTopology.OrderStatus.Function.Name => [new("UseOwnTable", operations, [OrderItems, FailureItems])],
            var name when name == FanoutTopology.OutboxRelay.Name =>
            [
                new("ReadOutboxEntriesAndOrders", ["GetItem"], [OutboxItems, OrderItems]),
                new("DeletePublishedOutboxEntries", ["DeleteItem"], [OutboxItems]),
            ],
            var name when name == FanoutTopology.Reconciler.Name =>
            [
                new("QueryOpenOrders", ["Query"], IndexName: ReconcilerSpec.OpenOrdersIndex),
                new("ReadOrdersAndOutboxEntries", ["GetItem"], [OrderItems, OutboxItems]),
                new("DeletePublishedOutboxEntries", ["DeleteItem"], [OutboxItems]),
            ],
            _ => [new("UseOwnTable", operations)],
        };
        Validate(function, grants);
        return grants;
    }

    /// <summary>Throws when the statements grant an operation the function does not declare, or leave one out.</summary>
    /// <exception cref="TopologyException">The grants and <see cref="FunctionSpec.TableOperations"/> differ.</exception>
    public static void Validate(FunctionSpec function, IReadOnlyList<TableGrant> grants)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(grants);
        var declared = function.TableOperations.ToHashSet(StringComparer.Ordinal);
        var granted = grants.SelectMany(g => g.Operations).ToHashSet(StringComparer.Ordinal);
        var missing = declared.Except(granted).Order(StringComparer.Ordinal).ToList();
        var extra = granted.Except(declared).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || extra.Count > 0 || grants.Any(g => g.Operations.Count == 0))
        {
            throw new TopologyException(
                $"Function '{function.Name}' declares the table operations {string.Join(", ", declared.Order(StringComparer.Ordinal))}, but its item scopes " +
                $"leave out [{string.Join(", ", missing)}] and add [{string.Join(", ", extra)}]; update TableItemScopes with the new call.");
        }
    }
}
