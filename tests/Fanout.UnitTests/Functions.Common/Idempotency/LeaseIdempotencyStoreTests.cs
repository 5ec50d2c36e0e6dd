using Amazon.DynamoDBv2.Model;
using Fanout.Functions.Common.Idempotency;

namespace Fanout.UnitTests.Functions.Common.Idempotency;

[Trait("Category", "Unit")]
public sealed class LeaseIdempotencyStoreTests
{
    [Fact]
    public void ToRecord_Null_ReturnsNull()
    {
        Assert.Null(LeaseIdempotencyStore.ToRecord(null));
    }

    [Fact]
    public void ToRecord_EmptyItem_ReturnsNull()
    {
        // DynamoDB returns an empty map, not null, when ALL_OLD finds nothing.
        Assert.Null(LeaseIdempotencyStore.ToRecord([]));
    }

    [Fact]
    public void ToRecord_InProgressItem_ReadsStatusHashAndLeaseInMilliseconds()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = new() { S = "EVENT#e-1" },
            ["status"] = new() { S = IdempotencyStatus.InProgress },
            ["payloadHash"] = new() { S = "hash-a" },
            ["leaseExpiresAt"] = new() { N = "1773480443123" },
            ["leaseToken"] = new() { S = "token" },
            ["expiresAt"] = new() { N = "1774776413" },
        };

        var record = LeaseIdempotencyStore.ToRecord(item);

        Assert.Equal(new IdempotencyRecord(IdempotencyStatus.InProgress, "hash-a", DateTimeOffset.FromUnixTimeMilliseconds(1773480443123), null), record);
    }

    [Fact]
    public void ToRecord_CompletedItem_ReadsTheRecordedResultAndNoLease()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["status"] = new() { S = IdempotencyStatus.Completed },
            ["payloadHash"] = new() { S = "hash-a" },
            ["result"] = new() { S = "{\"type\":\"SmsSent\"}" },
        };

        var record = LeaseIdempotencyStore.ToRecord(item);

        Assert.Equal(new IdempotencyRecord(IdempotencyStatus.Completed, "hash-a", null, "{\"type\":\"SmsSent\"}"), record);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("1.5e12")]
    public void ToRecord_LeaseNotAWholeNumber_HasNoLease(string lease)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["status"] = new() { S = IdempotencyStatus.InProgress },
            ["payloadHash"] = new() { S = "hash-a" },
            ["leaseExpiresAt"] = new() { N = lease },
        };

        Assert.Null(LeaseIdempotencyStore.ToRecord(item)!.LeaseExpiresAt);
    }

    [Fact]
    public void ToRecord_MissingStatusAndHash_ReadsAsEmptyStrings()
    {
        var record = LeaseIdempotencyStore.ToRecord(new Dictionary<string, AttributeValue> { ["pk"] = new() { S = "EVENT#e-1" } });

        Assert.Equal(new IdempotencyRecord("", "", null, null), record);
    }

    [Fact]
    public void ToRecord_StatusAndHashNotStrings_ReadAsEmptyStrings()
    {
        var record = LeaseIdempotencyStore.ToRecord(new Dictionary<string, AttributeValue>
        {
            ["status"] = new() { N = "1" },
            ["payloadHash"] = new() { BOOL = true },
        });

        Assert.Equal(new IdempotencyRecord("", "", null, null), record);
    }

    [Fact]
    public void ToRecord_ThenDecide_AnExpiredLeaseFromDynamoDbIsClaimable()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1773480443124);
        var item = new Dictionary<string, AttributeValue>
        {
            ["status"] = new() { S = IdempotencyStatus.InProgress },
            ["payloadHash"] = new() { S = "hash-a" },
            ["leaseExpiresAt"] = new() { N = "1773480443123" },
        };

        Assert.Equal(ClaimOutcome.Claimed, IdempotencyDecision.Decide(LeaseIdempotencyStore.ToRecord(item), "hash-a", now));
        Assert.Equal(ClaimOutcome.InProgressElsewhere, IdempotencyDecision.Decide(LeaseIdempotencyStore.ToRecord(item), "hash-a", now.AddMilliseconds(-2)));
    }
}
