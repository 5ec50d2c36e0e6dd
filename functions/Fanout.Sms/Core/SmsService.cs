using Fanout.Contracts.Events;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Sms.Core;

/// <summary>The SMS service's rule: one confirmation per order, or SKIPPED when there is no phone number;
/// either way an <c>SmsSent</c> fact follows.</summary>
public sealed class SmsService
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

    public Task<bool> HandleAsync(ParsedEvent<OrderPlaced> placed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(placed);
        var order = placed.Data;
        return _effect.RunAsync(placed, order.OrderId, async (gate, ct) =>
        {
            var outcome = new SmsSent { OrderId = order.OrderId, Delivery = SmsDelivery.Skipped };
            if (order.Customer.Phone is { } phone)
            {
                var text = SmsRenderer.Render(order.OrderId, order.Items.Count, order.Items.Sum(i => i.Quantity));
                outcome.ProviderMessageId = await gate.SendAsync(c => _sender.SendAsync(order.OrderId, phone, text, c), ct);
                outcome.Delivery = SmsDelivery.Sent;
            }

            return OutgoingEvents.Create(
                EventIds.For(order.OrderId, ServiceName, outcome.Delivery),
                EventSources.Sms,
                EventTypes.SmsSent,
                order.OrderId,
                placed.CorrelationId,
                _time.GetUtcNow(),
                outcome,
                ContractsJsonContext.Default.CloudEventSmsSent);
        }, cancellationToken);
    }
}
