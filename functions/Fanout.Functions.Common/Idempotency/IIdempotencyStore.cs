namespace Fanout.Functions.Common.Idempotency;

/// <summary>The result of <see cref="IIdempotencyStore.TryClaimAsync"/>.</summary>
/// <param name="LeaseToken">Set when claimed: proves ownership in every later step.</param>
/// <param name="Result">Set when already completed: the recorded outcome to publish again.</param>
public sealed record ClaimResult(ClaimOutcome Outcome, string? LeaseToken, string? Result);

/// <summary>Thrown by a store step conditioned on the lease token when the record is no longer held with it.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException()
    {
    }

    public LeaseLostException(string message)
        : base(message)
    {
    }

    public LeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Where idempotency records live (the persistence port of <see cref="IdempotentEffect"/>): DynamoDB in
/// production (<see cref="LeaseIdempotencyStore"/>), memory in unit tests. Records are keyed by event id; every
/// step after the claim is conditioned on the lease token the claim returned. Implementations answer claims
/// exactly as <see cref="IdempotencyDecision.Decide"/> does, atomically.</summary>
public interface IIdempotencyStore
{
    /// <summary>Claims the event with an <see cref="IdempotencyStatus.InProgress"/> lease ending at
    /// <paramref name="leaseUntil"/>, unless a record says otherwise.</summary>
    Task<ClaimResult> TryClaimAsync(string eventId, string orderId, string payloadHash, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>IN_PROGRESS → SENDING, just before a provider call.</summary>
    /// <exception cref="LeaseLostException">The record is not held with <paramref name="leaseToken"/>.</exception>
    Task MarkSendingAsync(string eventId, string leaseToken, CancellationToken cancellationToken);

    /// <summary>→ COMPLETED with the outcome fact's JSON; removes the lease.</summary>
    /// <exception cref="LeaseLostException">The record is not held with <paramref name="leaseToken"/>.</exception>
    Task CompleteAsync(string eventId, string leaseToken, string result, CancellationToken cancellationToken);

    /// <summary>Deletes a held IN_PROGRESS or SENDING record after a handled failure in which nothing was sent,
    /// so the retry need not wait for the lease to expire. A record held by someone else, or completed, stays.</summary>
    Task ReleaseAsync(string eventId, string leaseToken, CancellationToken cancellationToken);
}
