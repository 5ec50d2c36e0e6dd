using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Sms.Core;

/// <summary>The SMS service's rule: one text per fact that concerns the customer (<see cref="CustomerNotice"/>), or
/// SKIPPED when there is no phone number; either way an <c>SmsSent</c> fact naming the notification follows, with the
/// id <c>EventIds.For(orderId, "sms", notification)</c>.</summary>
public sealed class SmsService : ICustomerNotifier
{
    public const string ServiceName = "sms";
    private readonly IdempotentEffect _effect;
    private readonly ISmsSender _sender;
    private readonly TimeProvider _time;

    public SmsService(IdempotentEffect effect, ISmsSender sender, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(effect);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(time);
        _effect = effect;
        _sender = sender;
        _time = time;
    }

    public Task<bool> NotifyAsync<T>(ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(notice);
        return _effect.RunAsync(fact, notice.OrderId, async (gate, ct) =>
        {
            var outcome = new SmsSent { OrderId = notice.OrderId, Notification = notice.Kind, Delivery = SmsDelivery.Skipped };
            if (notice.Customer.Phone is { } phone)
            {
                var text = SmsRenderer.Render(notice);
                outcome.ProviderMessageId = await gate.SendAsync(c => _sender.SendAsync(notice.OrderId, phone, text, c), ct);
                outcome.Delivery = SmsDelivery.Sent;
            }

            return OutgoingEvents.Create(
                EventIds.For(notice.OrderId, ServiceName, notice.Kind),
                EventSources.Sms,
                EventTypes.SmsSent,
                notice.OrderId,
                fact.CorrelationId,
                _time.GetUtcNow(),
                outcome,
                ContractsJsonContext.Default.CloudEventSmsSent);
        }, cancellationToken);
    }
}
