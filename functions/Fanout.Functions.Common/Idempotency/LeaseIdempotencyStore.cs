using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;

namespace Fanout.Functions.Common.Idempotency;

/// <summary>The DynamoDB <see cref="IIdempotencyStore"/>: one <c>EVENT#eventId</c> item per event in the service's
/// table, every transition a conditional write (so two workers can never both hold an event), kept for the
/// retention (TTL attribute <see cref="FanoutTopology.TtlAttribute"/>) after its last write. The lease expiry is
/// stored in epoch milliseconds (<c>leaseExpiresAt</c>) and compared with the caller's clock in the claim
/// condition. Follows the AWS guidance on conditional writes for idempotency
/// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).</summary>
public sealed class LeaseIdempotencyStore : IIdempotencyStore
{
    private const string KeyPrefix = "EVENT#";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

    public LeaseIdempotencyStore(IAmazonDynamoDB dynamo, string tableName, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _retention = retention;
        _time = time;
    }

    public async Task<ClaimResult> TryClaimAsync(string eventId, string orderId, string payloadHash, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var token = Guid.NewGuid().ToString("N");
        var request = new PutItemRequest
        {
            TableName = _tableName,
            Item = new Dictionary<string, AttributeValue>
            {
                [FanoutTopology.PartitionKey] = new() { S = KeyPrefix + eventId },
                ["status"] = new() { S = IdempotencyStatus.InProgress },
                ["orderId"] = new() { S = orderId },
                ["payloadHash"] = new() { S = payloadHash },
                ["leaseToken"] = new() { S = token },
                ["leaseExpiresAt"] = Number(leaseUntil.ToUnixTimeMilliseconds()),
                [FanoutTopology.TtlAttribute] = Number((now + _retention).ToUnixTimeSeconds()),
            },
            // Claim when nobody has, or when a same-payload claim's lease has run out.
            ConditionExpression = "attribute_not_exists(#pk) OR (#status = :inProgress AND leaseExpiresAt < :now AND payloadHash = :hash)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#status"] = "status" },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":inProgress"] = new() { S = IdempotencyStatus.InProgress },
                [":now"] = Number(now.ToUnixTimeMilliseconds()),
                [":hash"] = new() { S = payloadHash },
            },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

        try
        {
            await _dynamo.PutItemAsync(request, cancellationToken);
            return new ClaimResult(ClaimOutcome.Claimed, token, null);
        }
        catch (ConditionalCheckFailedException ex)
        {
            var existing = ToRecord(ex.Item);
            var outcome = IdempotencyDecision.Decide(existing, payloadHash, now);
            // The condition already refused a takeover, so "Claimed" here means the lease expired between
            // our clock read and DynamoDB's check: treat it as held elsewhere and let the retry claim it.
            return outcome == ClaimOutcome.Claimed
                ? new ClaimResult(ClaimOutcome.InProgressElsewhere, null, null)
                : new ClaimResult(outcome, null, existing?.Result);
        }
    }

    public Task MarkSendingAsync(string eventId, string leaseToken, CancellationToken cancellationToken) =>
        UpdateHeldAsync(
            eventId,
            "SET #status = :sending",
            "leaseToken = :token AND #status = :inProgress",
            new Dictionary<string, AttributeValue>
            {
                [":sending"] = new() { S = IdempotencyStatus.Sending },
                [":inProgress"] = new() { S = IdempotencyStatus.InProgress },
                [":token"] = new() { S = leaseToken },
            },
            cancellationToken);

    public Task CompleteAsync(string eventId, string leaseToken, string result, CancellationToken cancellationToken) =>
        UpdateHeldAsync(
            eventId,
            "SET #status = :completed, #result = :result, #ttl = :ttl REMOVE leaseExpiresAt, leaseToken",
            "leaseToken = :token",
            new Dictionary<string, AttributeValue>
            {
                [":completed"] = new() { S = IdempotencyStatus.Completed },
                [":result"] = new() { S = result },
                [":token"] = new() { S = leaseToken },
                [":ttl"] = Number((_time.GetUtcNow() + _retention).ToUnixTimeSeconds()),
            },
            cancellationToken);

    public async Task ReleaseAsync(string eventId, string leaseToken, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.DeleteItemAsync(
                new DeleteItemRequest
                {
                    TableName = _tableName,
                    Key = Key(eventId),
                    ConditionExpression = "leaseToken = :token AND #status IN (:inProgress, :sending)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status" },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":token"] = new() { S = leaseToken },
                        [":inProgress"] = new() { S = IdempotencyStatus.InProgress },
                        [":sending"] = new() { S = IdempotencyStatus.Sending },
                    },
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Someone else owns it now, or it completed: nothing to release.
        }
    }

    internal static IdempotencyRecord? ToRecord(Dictionary<string, AttributeValue>? item)
    {
        if (item is null || item.Count == 0)
        {
            return null;
        }

        DateTimeOffset? lease = item.TryGetValue("leaseExpiresAt", out var raw) && long.TryParse(raw.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
        return new IdempotencyRecord(
            item.TryGetValue("status", out var status) ? status.S ?? "" : "",
            item.TryGetValue("payloadHash", out var hash) ? hash.S ?? "" : "",
            lease,
            item.TryGetValue("result", out var result) ? result.S : null);
    }

    private async Task UpdateHeldAsync(string eventId, string update, string condition, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _tableName,
                    Key = Key(eventId),
                    UpdateExpression = update,
                    ConditionExpression = condition,
                    ExpressionAttributeNames = NamesIn(update + " " + condition),
                    ExpressionAttributeValues = values,
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException ex)
        {
            throw new LeaseLostException($"Event {eventId} is no longer held with this lease.", ex);
        }
    }

    // DynamoDB rejects declared names an expression does not use, so declare only those present.
    private static Dictionary<string, string> NamesIn(string expressions)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (placeholder, attribute) in new[] { ("#status", "status"), ("#result", "result"), ("#ttl", FanoutTopology.TtlAttribute) })
        {
            if (expressions.Contains(placeholder, StringComparison.Ordinal))
            {
                names[placeholder] = attribute;
            }
        }

        return names;
    }

    private static Dictionary<string, AttributeValue> Key(string eventId) =>
        new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = KeyPrefix + eventId } };

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
