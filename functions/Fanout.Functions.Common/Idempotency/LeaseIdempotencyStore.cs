using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;

namespace Fanout.Functions.Common.Idempotency;

/// <summary>The result of <see cref="LeaseIdempotencyStore.TryClaimAsync"/>.</summary>
/// <param name="LeaseToken">Set when claimed: proves ownership when completing or releasing.</param>
/// <param name="Result">Set when already completed: the recorded outcome to publish again.</param>
public sealed record ClaimResult(ClaimOutcome Outcome, string? LeaseToken, string? Result);

/// <summary>Idempotency for side effects that cannot join a DynamoDB transaction (sending an SMS or e-mail).
/// A conditional write claims the event with an <c>IN_PROGRESS</c> lease that lasts one function timeout;
/// success marks it <c>COMPLETED</c> with the outcome; a handled failure releases it at once. If the
/// function dies mid-way, the lease expires and a redelivery may claim it again.</summary>
public sealed class LeaseIdempotencyStore
{
    private const string KeyPrefix = "EVENT#";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

    public LeaseIdempotencyStore(IAmazonDynamoDB dynamo, string tableName, TimeSpan lease, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _lease = lease;
        _retention = retention;
        _time = time;
    }

    public async Task<ClaimResult> TryClaimAsync(string eventId, string orderId, string payloadHash, CancellationToken cancellationToken)
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
                ["leaseExpiresAt"] = Number((now + _lease).ToUnixTimeMilliseconds()),
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

    /// <summary>Marks the event done and records its outcome; fails if the lease was lost meanwhile.</summary>
    public Task CompleteAsync(string eventId, string leaseToken, string result, CancellationToken cancellationToken) =>
        _dynamo.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = _tableName,
                Key = Key(eventId),
                UpdateExpression = "SET #status = :completed, #result = :result REMOVE leaseExpiresAt, leaseToken",
                ConditionExpression = "leaseToken = :token",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status", ["#result"] = "result" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":completed"] = new() { S = IdempotencyStatus.Completed },
                    [":result"] = new() { S = result },
                    [":token"] = new() { S = leaseToken },
                },
            },
            cancellationToken);

    /// <summary>Gives the claim up after a handled failure so the retry need not wait for the lease to expire.</summary>
    public async Task ReleaseAsync(string eventId, string leaseToken, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.DeleteItemAsync(
                new DeleteItemRequest
                {
                    TableName = _tableName,
                    Key = Key(eventId),
                    ConditionExpression = "leaseToken = :token AND #status = :inProgress",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status" },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":token"] = new() { S = leaseToken },
                        [":inProgress"] = new() { S = IdempotencyStatus.InProgress },
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

    private static Dictionary<string, AttributeValue> Key(string eventId) =>
        new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = KeyPrefix + eventId } };

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
