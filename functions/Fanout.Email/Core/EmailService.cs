using System.Globalization;
using System.Text;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Email.Core;

/// <summary>A rendered e-mail.</summary>
public sealed record EmailMessage(string To, string Subject, string Text);

/// <summary>Sends an e-mail through some provider and returns the provider's message id.</summary>
public interface IEmailSender
{
    Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>Renders the order confirmation.</summary>
public static class EmailRenderer
{
    public static EmailMessage Render(OrderPlaced order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Thank you for your order {order.OrderId}.\n\n")
            .Append("You ordered:\n");
        foreach (var line in order.Items)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {line.Quantity} x {line.Sku}\n");
        }

        text.Append("\nWe will let you know when it ships.\n");
        return new EmailMessage(order.Customer.Email, $"Order {order.OrderId} received", text.ToString());
    }
}

/// <summary>The e-mail service's rule: one confirmation per order, then an <c>EmailSent</c> fact.</summary>
public sealed class EmailService
{
    public const string ServiceName = "email";
    private readonly IdempotentEffect _effect;
    private readonly IEmailSender _sender;
    private readonly TimeProvider _time;

    public EmailService(IdempotentEffect effect, IEmailSender sender, TimeProvider time)
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
            var message = EmailRenderer.Render(order);
            var providerId = await gate.SendAsync(c => _sender.SendAsync(order.OrderId, message, c), ct);
            return OutgoingEvents.Create(
                EventIds.For(order.OrderId, ServiceName, "SENT"),
                EventSources.Email,
                EventTypes.EmailSent,
                order.OrderId,
                placed.CorrelationId,
                _time.GetUtcNow(),
                new EmailSent { OrderId = order.OrderId, ProviderMessageId = providerId },
                ContractsJsonContext.Default.CloudEventEmailSent);
        }, cancellationToken);
    }
}
