using Fanout.Functions.Common.Idempotency;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Idempotency;

[Trait("Category", "Unit")]
public sealed class IdempotencyDecisionTests
{
    private const string Hash = "hash-a";
    private static readonly DateTimeOffset _now = TestClock.Start;

    [Fact]
    public void Decide_NoRecord_Claims()
    {
        Assert.Equal(ClaimOutcome.Claimed, IdempotencyDecision.Decide(null, Hash, _now));
    }

    [Fact]
    public void Decide_CompletedWithSamePayload_IsAlreadyCompleted()
    {
        var record = new IdempotencyRecord(IdempotencyStatus.Completed, Hash, null, "{\"outcome\":1}");

        Assert.Equal(ClaimOutcome.AlreadyCompleted, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Fact]
    public void Decide_InProgressWithLiveLease_IsInProgressElsewhere()
    {
        var record = new IdempotencyRecord(IdempotencyStatus.InProgress, Hash, _now.AddMilliseconds(1), null);

        Assert.Equal(ClaimOutcome.InProgressElsewhere, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-60_000)]
    public void Decide_InProgressWithExpiredLease_Claims(int leaseOffsetMs)
    {
        // A lease that ran out means its holder died mid-way: the redelivery may take over.
        var record = new IdempotencyRecord(IdempotencyStatus.InProgress, Hash, _now.AddMilliseconds(leaseOffsetMs), null);

        Assert.Equal(ClaimOutcome.Claimed, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Fact]
    public void Decide_InProgressWithoutLeaseExpiry_Claims()
    {
        var record = new IdempotencyRecord(IdempotencyStatus.InProgress, Hash, null, null);

        Assert.Equal(ClaimOutcome.Claimed, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Theory]
    [InlineData(IdempotencyStatus.Completed, 60_000)]
    [InlineData(IdempotencyStatus.InProgress, 60_000)]
    [InlineData(IdempotencyStatus.InProgress, -60_000)]
    public void Decide_DifferentPayload_IsPayloadMismatchWhateverTheStatus(string status, int leaseOffsetMs)
    {
        var record = new IdempotencyRecord(status, "hash-b", _now.AddMilliseconds(leaseOffsetMs), "{}");

        Assert.Equal(ClaimOutcome.PayloadMismatch, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Fact]
    public void Decide_PayloadHashDifferingOnlyInCase_IsPayloadMismatch()
    {
        var record = new IdempotencyRecord(IdempotencyStatus.Completed, "ABC", null, "{}");

        Assert.Equal(ClaimOutcome.PayloadMismatch, IdempotencyDecision.Decide(record, "abc", _now));
    }

    [Fact]
    public void Decide_SendingWithLiveLease_IsInProgressElsewhere()
    {
        var record = new IdempotencyRecord(IdempotencyStatus.Sending, Hash, _now.AddMilliseconds(1), null);

        Assert.Equal(ClaimOutcome.InProgressElsewhere, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-60_000)]
    public void Decide_SendingWithExpiredLease_IsSendUnconfirmedNeverClaimed(int leaseOffsetMs)
    {
        // The holder may have sent before it died: taking over could send a second SMS.
        var record = new IdempotencyRecord(IdempotencyStatus.Sending, Hash, _now.AddMilliseconds(leaseOffsetMs), null);

        Assert.Equal(ClaimOutcome.SendUnconfirmed, IdempotencyDecision.Decide(record, Hash, _now));
    }

    [Fact]
    public void Decide_SendingWithoutLeaseExpiry_IsSendUnconfirmed()
    {
        Assert.Equal(ClaimOutcome.SendUnconfirmed, IdempotencyDecision.Decide(new IdempotencyRecord(IdempotencyStatus.Sending, Hash, null, null), Hash, _now));
    }

    [Fact]
    public void Decide_UnknownStatusWithExpiredLease_IsNotClaimed()
    {
        // Only a record known to hold no send may be taken over.
        Assert.Equal(ClaimOutcome.SendUnconfirmed, IdempotencyDecision.Decide(new IdempotencyRecord("", Hash, null, null), Hash, _now));
    }

    [Fact]
    public void Decide_SendingWithDifferentPayload_IsPayloadMismatch()
    {
        Assert.Equal(ClaimOutcome.PayloadMismatch, IdempotencyDecision.Decide(new IdempotencyRecord(IdempotencyStatus.Sending, "hash-b", null, null), Hash, _now));
    }
}
