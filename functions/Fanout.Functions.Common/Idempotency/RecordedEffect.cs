using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Functions.Common.Idempotency;

/// <summary>What a sender that is transactional with its record (<see cref="RecordedEffect"/>) writes with the
/// message, in the same conditional write: the event it answers and when.</summary>
/// <param name="EventId">The CloudEvents <c>id</c> of the fact being handled.</param>
/// <param name="PayloadHash">The hash of the fact's <c>data</c> (<see cref="ParsedEvent{T}.PayloadHash"/>).</param>
/// <param name="CorrelationId">The fact's correlation id, carried by the outcome.</param>
/// <param name="SentAt">The send's time (UTC, from the service's clock), the outcome fact's <c>time</c>.</param>
public sealed record SendStamp(string EventId, string PayloadHash, string CorrelationId, DateTimeOffset SentAt);

/// <summary>Thrown by a sender that is transactional with its record when the message had already been recorded
/// (this event, or an earlier one for the same order and notification): nothing was sent now. Carries what the
/// first send recorded, from which the same outcome is built again.</summary>
public sealed class AlreadySentException : Exception
{
    public AlreadySentException()
    {
    }

    public AlreadySentException(string message)
        : base(message)
    {
    }

    public AlreadySentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AlreadySentException(string messageId, DateTimeOffset sentAt, string? correlationId)
        : base("The message had already been recorded.")
    {
        MessageId = messageId;
        SentAt = sentAt;
        CorrelationId = correlationId;
    }

    /// <summary>The message id the first send returned.</summary>
    public string MessageId { get; } = "";

    /// <summary>When the first send happened.</summary>
    public DateTimeOffset SentAt { get; }

    /// <summary>The correlation id recorded with the first send (null on items written before it was kept).</summary>
    public string? CorrelationId { get; }
}

/// <summary>Runs an effect that is itself one conditional DynamoDB write (the default "record" senders) at most once
/// per event, with no lease: the write carries the event's <see cref="SendStamp"/>, so it is both the effect and its
/// idempotency record. One write unit where <see cref="IdempotentEffect"/>'s lease protocol spends four (claim,
/// SENDING, message, COMPLETED), with the same guarantees for such an effect: a redelivery finds the message written
/// (<see cref="AlreadySentException"/>) and re-publishes the same outcome; the same event id with another payload is
/// poison (the sender throws <see cref="PoisonMessageException"/>); a crash after the write and before the publish is
/// healed by the redelivery, which re-publishes.</summary>
public sealed class RecordedEffect
{
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;

    public RecordedEffect(IEventPublisher publisher, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _publisher = publisher;
        _time = time;
    }

    /// <param name="send">Writes the message with the stamp in one conditional write and returns its message id;
    /// null when there is nothing to send (the outcome is then built with a null message id).</param>
    /// <param name="outcome">Builds the outcome fact from (message id, time, correlation id); called with the
    /// first send's values on a duplicate, so the re-published fact is the same.</param>
    /// <returns>Whether the effect ran now (false: it had before; the record is marked a duplicate).</returns>
    /// <exception cref="PoisonMessageException">The event id was recorded with another payload.</exception>
    public async Task<bool> RunAsync<T>(
        ParsedEvent<T> inbound,
        Func<SendStamp, CancellationToken, Task<string>>? send,
        Func<string?, DateTimeOffset, string, OutgoingEvent> outcome,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(outcome);
        var stamp = new SendStamp(inbound.Id, inbound.PayloadHash, inbound.CorrelationId, _time.GetUtcNow());
        OutgoingEvent fact;
        var sentNow = true;
        try
        {
            var messageId = send is null ? null : await send(stamp, cancellationToken);
            fact = outcome(messageId, stamp.SentAt, stamp.CorrelationId);
        }
        catch (AlreadySentException sent)
        {
            RecordContext.MarkDuplicate();
            sentNow = false;
            fact = outcome(sent.MessageId, sent.SentAt, sent.CorrelationId ?? stamp.CorrelationId);
        }

        await _publisher.PublishAsync(fact, cancellationToken);
        return sentNow;
    }
}
