using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Sms.Core;

/// <summary>The SMS service's rule: one text per fact that concerns the customer (<see cref="CustomerNotice"/>), or
/// SKIPPED when there is no phone number; either way an <c>SmsSent</c> fact naming the notification follows, with the
/// id <c>EventIds.For(orderId, "sms", notification)</c>. A provider send runs under the lease protocol
/// (<see cref="IdempotentEffect"/>); a sender that <see cref="ISmsSender.IsTransactionalWithRecord"/> sends once with
/// the event's stamp (<see cref="RecordedEffect"/>): its write is the idempotency record.</summary>
public sealed class SmsService : ICustomerNotifier
{
    public const string ServiceName = "sms";
    private readonly IdempotentEffect _effect;
    private readonly RecordedEffect? _recorded;
    private readonly ISmsSender _sender;
    private readonly TimeProvider _time;

    /// <param name="recorded">Required when <paramref name="sender"/> is transactional with its record.</param>
    public SmsService(IdempotentEffect effect, ISmsSender sender, TimeProvider time, RecordedEffect? recorded = null)
    {
        ArgumentNullException.ThrowIfNull(effect);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(time);
        if (sender.IsTransactionalWithRecord && recorded is null)
        {
            throw new ArgumentException("A sender transactional with its record needs a RecordedEffect.", nameof(recorded));
        }

        _effect = effect;
        _recorded = recorded;
        _sender = sender;
        _time = time;
    }

    public Task<bool> NotifyAsync<T>(ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(notice);
        var message = notice.Customer.Phone is { } phone ? SmsRenderer.Render(notice, phone) : null;
        if (_sender.IsTransactionalWithRecord)
        {
            return _recorded!.RunAsync(
                fact,
                message is null ? null : (stamp, ct) => _sender.SendAsync(notice.OrderId, message, stamp, ct),
                (messageId, at, correlationId) => Outcome(notice, messageId, correlationId, at),
                cancellationToken);
        }

        return _effect.RunAsync(fact, notice.OrderId, async (gate, ct) =>
        {
            var messageId = message is null ? null : await gate.SendAsync(c => _sender.SendAsync(notice.OrderId, message, null, c), ct);
            return Outcome(notice, messageId, fact.CorrelationId, _time.GetUtcNow());
        }, cancellationToken);
    }

    private static OutgoingEvent Outcome(CustomerNotice notice, string? providerMessageId, string correlationId, DateTimeOffset time) =>
        OutgoingEvents.Create(
            EventIds.For(notice.OrderId, ServiceName, notice.Kind),
            EventSources.Sms,
            EventTypes.SmsSent,
            notice.OrderId,
            correlationId,
            time,
            new SmsSent
            {
                OrderId = notice.OrderId,
                Notification = notice.Kind,
                Delivery = providerMessageId is null ? SmsDelivery.Skipped : SmsDelivery.Sent,
                ProviderMessageId = providerMessageId,
            },
            ContractsJsonContext.Default.CloudEventSmsSent);
}
