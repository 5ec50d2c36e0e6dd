using System.Globalization;
using System.Text;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Email.Core;

/// <summary>A rendered e-mail. <paramref name="Notification"/> is one of <see cref="NotificationKinds"/>: which fact
/// the e-mail tells the customer about (a recording sender stores it; providers never see it).</summary>
public sealed record EmailMessage(string To, string Subject, string Text, string Notification);

/// <summary>Sends an e-mail through some provider and returns the provider's message id.</summary>
public interface IEmailSender
{
    Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>Renders the e-mails, one per notification kind. The body names the order and, for a received order, its
/// lines; it quotes no personal data (the address is the envelope's, not the text's).</summary>
public static class EmailRenderer
{
    /// <exception cref="ArgumentOutOfRangeException">The notice's kind is not one of <see cref="NotificationKinds"/>.</exception>
    public static EmailMessage Render(CustomerNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return notice.Kind switch
        {
            NotificationKinds.OrderReceived => Received(notice),
            NotificationKinds.OrderNotFulfilled => new EmailMessage(
                notice.Customer.Email,
                $"Order {notice.OrderId} could not be fulfilled",
                $"We are sorry: we could not fulfil your order {notice.OrderId}, because some items are out of stock.\n\nNothing was reserved for it.\n",
                notice.Kind),
            NotificationKinds.OrderCancelled => new EmailMessage(
                notice.Customer.Email,
                $"Order {notice.OrderId} cancelled",
                $"Your order {notice.OrderId} is cancelled.\n\nAnything we had set aside for it goes back to stock.\n",
                notice.Kind),
            _ => throw new ArgumentOutOfRangeException(nameof(notice), notice.Kind, "Not a notification kind."),
        };
    }

    private static EmailMessage Received(CustomerNotice notice)
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Thank you for your order {notice.OrderId}.\n\n")
            .Append("You ordered:\n");
        foreach (var line in notice.Items)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {line.Quantity} x {line.Sku}\n");
        }

        text.Append("\nWe will let you know when it ships.\n");
        return new EmailMessage(notice.Customer.Email, $"Order {notice.OrderId} received", text.ToString(), notice.Kind);
    }
}

/// <summary>The e-mail service's rule: one e-mail per fact that concerns the customer (<see cref="CustomerNotice"/>),
/// then an <c>EmailSent</c> fact naming the notification, with the id <c>EventIds.For(orderId, "email", notification)</c>.</summary>
public sealed class EmailService : ICustomerNotifier
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

    public Task<bool> NotifyAsync<T>(ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(notice);
        return _effect.RunAsync(fact, notice.OrderId, async (gate, ct) =>
        {
            var message = EmailRenderer.Render(notice);
            var providerId = await gate.SendAsync(c => _sender.SendAsync(notice.OrderId, message, c), ct);
            return OutgoingEvents.Create(
                EventIds.For(notice.OrderId, ServiceName, notice.Kind),
                EventSources.Email,
                EventTypes.EmailSent,
                notice.OrderId,
                fact.CorrelationId,
                _time.GetUtcNow(),
                new EmailSent { OrderId = notice.OrderId, Notification = notice.Kind, ProviderMessageId = providerId },
                ContractsJsonContext.Default.CloudEventEmailSent);
        }, cancellationToken);
    }
}
