using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Functions.Common.Idempotency;

/// <summary>Thrown when another worker holds the event's lease: the record fails and is retried later.</summary>
public sealed class EventInProgressException : Exception
{
    public EventInProgressException()
    {
    }

    public EventInProgressException(string message)
        : base(message)
    {
    }

    public EventInProgressException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Runs a side effect at most once per event id (lease, effect, complete) and publishes its outcome
/// fact every time the event is handled, duplicates included, so a crash between the effect and the publish
/// cannot lose the outcome.</summary>
public sealed class IdempotentEffect
{
    private readonly LeaseIdempotencyStore _store;
    private readonly IEventPublisher _publisher;

    public IdempotentEffect(LeaseIdempotencyStore store, IEventPublisher publisher)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(publisher);
        _store = store;
        _publisher = publisher;
    }

    /// <param name="effect">Performs the effect and returns the outcome fact to publish.</param>
    /// <returns>Whether the effect ran now (false: it had run before).</returns>
    public async Task<bool> RunAsync<T>(ParsedEvent<T> inbound, string orderId, Func<CancellationToken, Task<OutgoingEvent>> effect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(effect);
        var claim = await _store.TryClaimAsync(inbound.Id, orderId, inbound.PayloadHash, cancellationToken);
        switch (claim.Outcome)
        {
            case ClaimOutcome.PayloadMismatch:
                throw new PoisonMessageException($"Event {inbound.Id} was seen before with a different payload.");
            case ClaimOutcome.InProgressElsewhere:
                throw new EventInProgressException($"Event {inbound.Id} is being handled by another invocation.");
            case ClaimOutcome.AlreadyCompleted:
                await _publisher.PublishAsync(FromStored(claim.Result), cancellationToken);
                return false;
        }

        OutgoingEvent outcome;
        try
        {
            outcome = await effect(cancellationToken);
            await _store.CompleteAsync(inbound.Id, claim.LeaseToken!, outcome.Json, cancellationToken);
        }
        catch
        {
            // Release without the (possibly cancelled) invocation token: a stuck lease would delay the retry.
            await _store.ReleaseAsync(inbound.Id, claim.LeaseToken!, CancellationToken.None);
            throw;
        }

        await _publisher.PublishAsync(outcome, cancellationToken);
        return true;
    }

    private static OutgoingEvent FromStored(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            throw new InvalidOperationException("A completed idempotency record has no recorded outcome.");
        }

        var envelope = EventParser.ParseEnvelope(json);
        return new OutgoingEvent(envelope.Id!, envelope.Type!, envelope.CorrelationId!, json);
    }
}
