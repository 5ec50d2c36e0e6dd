namespace Fanout.Functions.Common.Idempotency;

/// <summary>The <c>status</c> values of an idempotency record (see <see cref="IdempotentEffect"/> for the state machine).</summary>
public static class IdempotencyStatus
{
    /// <summary>Claimed; nothing has left the system yet. A crashed holder's lease may be taken over once it expires.</summary>
    public const string InProgress = "IN_PROGRESS";

    /// <summary>The holder is calling (or has called) the provider: a send may have happened. Never taken over.</summary>
    public const string Sending = "SENDING";

    /// <summary>The effect is done and its outcome fact recorded. Final.</summary>
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

    /// <summary>A send may have happened but was never confirmed and its holder is gone: sending again could
    /// duplicate it, so the message is poison and an operator decides (see <see cref="IdempotentEffect"/>).</summary>
    SendUnconfirmed,
}

/// <summary>An idempotency record as stored.</summary>
/// <param name="Status">One of <see cref="IdempotencyStatus"/>.</param>
/// <param name="LeaseExpiresAt">When the holder's lease ends (its invocation deadline); null once completed.</param>
/// <param name="Result">The recorded outcome fact (CloudEvent JSON), set once completed.</param>
public sealed record IdempotencyRecord(string Status, string PayloadHash, DateTimeOffset? LeaseExpiresAt, string? Result);

/// <summary>The pure rules behind a claim, separate from any store so they are testable without one. Every
/// store implementation must answer a claim the way <see cref="Decide"/> does.</summary>
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

        var leaseLive = existing.LeaseExpiresAt is { } expiry && expiry > now;
        if (leaseLive)
        {
            return ClaimOutcome.InProgressElsewhere;
        }

        return existing.Status == IdempotencyStatus.InProgress ? ClaimOutcome.Claimed : ClaimOutcome.SendUnconfirmed;
    }
}
