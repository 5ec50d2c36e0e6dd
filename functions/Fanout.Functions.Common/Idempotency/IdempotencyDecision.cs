namespace Fanout.Functions.Common.Idempotency;

public static class IdempotencyStatus
{
    public const string InProgress = "IN_PROGRESS";
    public const string Completed = "COMPLETED";
}

/// <summary>What an existing idempotency record says about an event arriving again.</summary>
public enum ClaimOutcome
{
    /// <summary>No live claim existed: this worker now holds the lease and must do the work.</summary>
    Claimed,

    /// <summary>The work was done before: skip the effect, re-publish the recorded outcome.</summary>
    AlreadyCompleted,

    /// <summary>Another worker holds an unexpired lease: fail the record and retry later.</summary>
    InProgressElsewhere,

    /// <summary>The same event id came with another payload: poison.</summary>
    PayloadMismatch,
}

/// <summary>An idempotency record as stored.</summary>
public sealed record IdempotencyRecord(string Status, string PayloadHash, DateTimeOffset? LeaseExpiresAt, string? Result);

/// <summary>The pure rules behind a claim, separate from DynamoDB so they are testable without it.</summary>
public static class IdempotencyDecision
{
    public static ClaimOutcome Decide(IdempotencyRecord? existing, string payloadHash, DateTimeOffset now)
    {
        if (existing is null)
        {
            return ClaimOutcome.Claimed;
        }

        if (!string.Equals(existing.PayloadHash, payloadHash, StringComparison.Ordinal))
        {
            return ClaimOutcome.PayloadMismatch;
        }

        if (existing.Status == IdempotencyStatus.Completed)
        {
            return ClaimOutcome.AlreadyCompleted;
        }

        return existing.LeaseExpiresAt is { } expiry && expiry > now ? ClaimOutcome.InProgressElsewhere : ClaimOutcome.Claimed;
    }
}
