using Fanout.Functions.Common.Idempotency;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>The idempotency port in memory, answering claims by the same rules as the DynamoDB store
/// (<see cref="IdempotencyDecision"/>), atomically under a lock. Store faults can be scripted per step, and
/// every step is counted, so tests can see what the effect did to its record.</summary>
internal sealed class InMemoryIdempotencyStore : IIdempotencyStore
{
    private readonly Dictionary<string, Entry> _records = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private int _completionFailures;
    private int _markSendingFailures;
    private int _releaseFailures;

    public InMemoryIdempotencyStore(TimeProvider time) => _time = time;

    public int CompleteAttempts { get; private set; }

    public int Releases { get; private set; }

    /// <summary>The next <paramref name="count"/> completions throw, as a throttled or unreachable table would.</summary>
    public void FailNextCompletions(int count) => _completionFailures = count;

    public void FailNextMarkSending(int count) => _markSendingFailures = count;

    public void FailNextReleases(int count) => _releaseFailures = count;

    public IdempotencyRecord? Get(string eventId)
    {
        lock (_gate)
        {
            return _records.TryGetValue(eventId, out var entry) ? entry.Record : null;
        }
    }

    public string? OrderIdOf(string eventId)
    {
        lock (_gate)
        {
            return _records.TryGetValue(eventId, out var entry) ? entry.OrderId : null;
        }
    }

    public Task<ClaimResult> TryClaimAsync(string eventId, string orderId, string payloadHash, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _records.TryGetValue(eventId, out var existing);
            var outcome = IdempotencyDecision.Decide(existing?.Record, payloadHash, _time.GetUtcNow());
            if (outcome != ClaimOutcome.Claimed)
            {
                return Task.FromResult(new ClaimResult(outcome, null, existing?.Record.Result));
            }

            var token = Guid.NewGuid().ToString("N");
            _records[eventId] = new Entry(new IdempotencyRecord(IdempotencyStatus.InProgress, payloadHash, leaseUntil, null), token, orderId);
            return Task.FromResult(new ClaimResult(ClaimOutcome.Claimed, token, null));
        }
    }

    public Task MarkSendingAsync(string eventId, string leaseToken, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_markSendingFailures > 0)
            {
                _markSendingFailures--;
                return Task.FromException(new TimeoutException("injected: the table did not answer"));
            }

            var entry = Held(eventId, leaseToken);
            if (entry.Record.Status != IdempotencyStatus.InProgress)
            {
                return Task.FromException(new LeaseLostException($"{eventId} is {entry.Record.Status}"));
            }

            _records[eventId] = entry with { Record = entry.Record with { Status = IdempotencyStatus.Sending } };
            return Task.CompletedTask;
        }
    }

    /// <summary>When set, every completion attempt is counted and answered by this instead (e.g. hang until
    /// cancelled, or lose the lease).</summary>
    public Func<CancellationToken, Task>? CompletionOverride { get; set; }

    public Task CompleteAsync(string eventId, string leaseToken, string result, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            CompleteAttempts++;
            if (CompletionOverride is { } answer)
            {
                return answer(cancellationToken);
            }

            if (_completionFailures > 0)
            {
                _completionFailures--;
                return Task.FromException(new TimeoutException("injected: the table did not answer"));
            }

            var entry = Held(eventId, leaseToken);
            _records[eventId] = new Entry(new IdempotencyRecord(IdempotencyStatus.Completed, entry.Record.PayloadHash, null, result), null, entry.OrderId);
            return Task.CompletedTask;
        }
    }

    public Task ReleaseAsync(string eventId, string leaseToken, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_releaseFailures > 0)
            {
                _releaseFailures--;
                return Task.FromException(new TimeoutException("injected: the table did not answer"));
            }

            if (_records.TryGetValue(eventId, out var entry) && entry.Token == leaseToken
                && entry.Record.Status is IdempotencyStatus.InProgress or IdempotencyStatus.Sending)
            {
                _records.Remove(eventId);
                Releases++;
            }

            return Task.CompletedTask;
        }
    }

    private Entry Held(string eventId, string leaseToken) =>
        _records.TryGetValue(eventId, out var entry) && entry.Token == leaseToken
            ? entry
            : throw new LeaseLostException($"{eventId} is not held with this lease");

    private sealed record Entry(IdempotencyRecord Record, string? Token, string OrderId);
}
