using Fanout.AwsShims.Signing;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Runtime;
using Fanout.Functions.Common.Sqs;
using Polly;
using Polly.Retry;

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

/// <summary>Runs a side effect that cannot join a DynamoDB transaction (an SMS, an e-mail) at most once per
/// event id, and publishes its outcome fact every time the event is handled, duplicates included, so a crash
/// between the effect and the publish cannot lose the outcome.</summary>
/// <remarks>
/// <para>The idempotency record moves through these states (<see cref="IdempotencyStatus"/>):</para>
/// <code>
///   (none) --claim--> IN_PROGRESS --gate.SendAsync--> SENDING --provider accepted--> COMPLETED (+ outcome)
///             ^            |                            |
///             |            +--effect threw------------> (deleted: released)
///             |                                         |
///             +--lease expired, same payload            +--provider answered an error--> (deleted: released)
/// </code>
/// <list type="bullet">
/// <item>The claim's lease ends at the invocation's deadline (<see cref="InvocationContext"/>, from
/// <c>Lambda-Runtime-Deadline-Ms</c>): past it the holder is certainly dead.</item>
/// <item>IN_PROGRESS means nothing has left the system: a redelivery takes a dead holder's record over.</item>
/// <item>SENDING is written just before the provider call. From there a send may have happened, so the record
/// is never taken over: a redelivery finding it with a live lease retries later; with an expired one it is
/// <see cref="ClaimOutcome.SendUnconfirmed"/> and goes to the DLQ as poison (only a crash or an unanswered
/// provider call mid-send, or a completion that failed beyond its retries, leaves it there).</item>
/// <item>A provider call that answered with an error was refused (a <see cref="PoisonMessageException"/> for a
/// permanent refusal, anything else transient): nothing was sent, so the record is released and the exception
/// goes on. A call that ended without an answer (timeout, cancellation) may have been delivered: the record stays
/// SENDING, as after a crash.</item>
/// <item>Once the provider accepted, the record is never released. COMPLETED is written with a retry budget of
/// its own (<see cref="DefaultCompletionRetry"/>). If it still fails the outcome is published anyway and the
/// record stays SENDING: the outcome is out, and a late duplicate cannot send again.</item>
/// </list>
/// </remarks>
public sealed class IdempotentEffect
{
    private readonly IIdempotencyStore _store;
    private readonly IEventPublisher _publisher;
    private readonly ResiliencePipeline _completionRetry;
    private readonly FanoutLogger? _log;
    private readonly Func<DateTimeOffset> _leaseUntil;

    /// <param name="leaseUntil">When a claim's lease ends; the current invocation's deadline
    /// (<see cref="InvocationContext.RequireDeadline"/>) when null.</param>
    /// <param name="completionRetry">Retries the COMPLETED write; <see cref="DefaultCompletionRetry"/> when null.</param>
    /// <param name="log">Where a completion that failed beyond its retries is reported.</param>
    public IdempotentEffect(IIdempotencyStore store, IEventPublisher publisher, TimeProvider time, ResiliencePipeline? completionRetry = null, FanoutLogger? log = null, Func<DateTimeOffset>? leaseUntil = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _publisher = publisher;
        _completionRetry = completionRetry ?? DefaultCompletionRetry(time);
        _log = log;
        _leaseUntil = leaseUntil ?? InvocationContext.RequireDeadline;
    }

    /// <summary>Four retries 0.2 s apart doubling, with jitter, all within 5 s: long enough to ride out
    /// DynamoDB throttling, short enough to finish inside the invocation. A lost lease is not retried.</summary>
    public static ResiliencePipeline DefaultCompletionRetry(TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(TimeSpan.FromSeconds(5))
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 4,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not LeaseLostException),
            })
            .Build();

    /// <param name="effect">Performs the effect, calling the provider through <see cref="SendGate.SendAsync"/>,
    /// and returns the outcome fact to publish.</param>
    /// <returns>Whether the effect ran now (false: it had run before and its outcome was re-published).</returns>
    /// <exception cref="PoisonMessageException">Payload mismatch, an unconfirmed earlier send, or a permanent refusal.</exception>
    /// <exception cref="EventInProgressException">Another invocation holds the event.</exception>
    public async Task<bool> RunAsync<T>(ParsedEvent<T> inbound, string orderId, Func<SendGate, CancellationToken, Task<OutgoingEvent>> effect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inbound);
        ArgumentNullException.ThrowIfNull(effect);
        var leaseUntil = _leaseUntil();
        var claim = await _store.TryClaimAsync(inbound.Id, orderId, inbound.PayloadHash, leaseUntil, cancellationToken);
        switch (claim.Outcome)
        {
            case ClaimOutcome.PayloadMismatch:
                throw new PoisonMessageException($"Event {inbound.Id} was seen before with a different payload.");
            case ClaimOutcome.InProgressElsewhere:
                throw new EventInProgressException($"Event {inbound.Id} is being handled by another invocation.");
            case ClaimOutcome.SendUnconfirmed:
                throw new PoisonMessageException(
                    $"Event {inbound.Id}: an earlier attempt may have sent its message but never confirmed it; not sending again. " +
                    "Check the provider's log; to send anyway, delete the EVENT# record and redrive.");
            case ClaimOutcome.AlreadyCompleted:
                RecordContext.MarkDuplicate();
                await _publisher.PublishAsync(FromStored(claim.Result), cancellationToken);
                return false;
        }

        var token = claim.LeaseToken!;
        var gate = new SendGate(_store, inbound.Id, token);
        OutgoingEvent outcome;
        try
        {
            outcome = await effect(gate, cancellationToken);
        }
        catch when (!gate.MayHaveSent)
        {
            await ReleaseAsync(inbound.Id, token);
            throw;
        }

        await CompleteAsync(inbound.Id, token, outcome);
        await _publisher.PublishAsync(outcome, cancellationToken);
        return true;
    }

    private async Task ReleaseAsync(string eventId, string token)
    {
        try
        {
            // Not the (possibly cancelled) invocation token: a stuck lease would delay the retry.
            await _store.ReleaseAsync(eventId, token, CancellationToken.None);
        }
#pragma warning disable CA1031 // The effect's own exception is the one to report; an unreleased lease just expires.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log?.Warn("Could not release the idempotency lease; it expires at the invocation deadline", ("eventId", eventId), ("errorType", ex.GetType().Name), ("error", ErrorText.Describe(ex)));
        }
    }

    private async Task CompleteAsync(string eventId, string token, OutgoingEvent outcome)
    {
        try
        {
            await _completionRetry.ExecuteAsync(
                static async (state, ct) => await state.Store.CompleteAsync(state.EventId, state.Token, state.Json, ct),
                (Store: _store, EventId: eventId, Token: token, outcome.Json),
                CancellationToken.None);
        }
#pragma warning disable CA1031 // The provider accepted: whatever the store says, the outcome must still go out.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log?.Error(
                "Sent, but the idempotency record could not be completed; it stays SENDING so nothing is sent again",
                ex,
                ("eventId", eventId));
        }
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

/// <summary>The one door from an idempotent effect to a provider: marks the record SENDING, then calls.</summary>
public sealed class SendGate
{
    private readonly IIdempotencyStore _store;
    private readonly string _eventId;
    private readonly string _leaseToken;

    internal SendGate(IIdempotencyStore store, string eventId, string leaseToken)
    {
        _store = store;
        _eventId = eventId;
        _leaseToken = leaseToken;
    }

    /// <summary>Whether a send through this gate may have reached the provider: it returned, or it ended without
    /// an answer (timed out or cancelled). From then on the lease is never released.</summary>
    public bool MayHaveSent { get; private set; }

    /// <summary>Marks the record SENDING, then calls the provider. A provider that answered with a 4xx error sent
    /// nothing: the exception propagates and the lease is released. A call that may have been acted on (see
    /// <see cref="MayHaveReachedProvider"/>) keeps the record SENDING, and it is never sent again.</summary>
    public async Task<TResult> SendAsync<TResult>(Func<CancellationToken, Task<TResult>> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        await _store.MarkSendingAsync(_eventId, _leaseToken, cancellationToken);
        try
        {
            var result = await send(cancellationToken);
            MayHaveSent = true;
            return result;
        }
        catch (Exception ex) when (MayHaveReachedProvider(ex))
        {
            MayHaveSent = true;
            throw;
        }
    }

    /// <summary>Whether a failed provider call may still have been acted on: it ended without an answer
    /// (<see cref="OperationCanceledException"/>, <see cref="TimeoutException"/>, an
    /// <see cref="AwsTransportException"/> whose request may have left this machine), or the provider answered
    /// 5xx, which AWS documents as "the request may or may not have been processed". 4xx answers and connections
    /// that never opened prove nothing was sent.</summary>
    public static bool MayHaveReachedProvider(Exception exception) => exception switch
    {
        OperationCanceledException or TimeoutException => true,
        AwsTransportException transport => transport.MayHaveReachedService,
        AwsServiceException service => service.MayHaveBeenProcessed,
        _ => false,
    };
}
