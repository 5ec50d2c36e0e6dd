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
    /// <summary>Whether a send is one conditional write that can carry the event's idempotency record (the recording
    /// sender): <see cref="EmailService"/> then sends once with a <see cref="SendStamp"/> instead of running the lease
    /// protocol (<see cref="RecordedEffect"/>). A real provider (SES) answers false. Decorators forward it.</summary>
    bool IsTransactionalWithRecord { get; }

    /// <param name="stamp">Given only to a sender that <see cref="IsTransactionalWithRecord"/>.</param>
    /// <exception cref="AlreadySentException">A stamped send found the message recorded before.</exception>
    Task<string> SendAsync(string orderId, EmailMessage message, SendStamp? stamp, CancellationToken cancellationToken);
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
/// then an <c>EmailSent</c> fact naming the notification, with the id <c>EventIds.For(orderId, "email", notification)</c>.
/// A provider send runs under the lease protocol (<see cref="IdempotentEffect"/>); a sender that
/// <see cref="IEmailSender.IsTransactionalWithRecord"/> sends once with the event's stamp (<see cref="RecordedEffect"/>).</summary>
public sealed class EmailService : ICustomerNotifier
{
    public const string ServiceName = "email";
    private readonly IdempotentEffect _effect;
    private readonly RecordedEffect? _recorded;
    private readonly IEmailSender _sender;
    private readonly TimeProvider _time;

    /// <param name="recorded">Required when <paramref name="sender"/> is transactional with its record.</param>
    public EmailService(IdempotentEffect effect, IEmailSender sender, TimeProvider time, RecordedEffect? recorded = null)
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
        var message = EmailRenderer.Render(notice);
        if (_sender.IsTransactionalWithRecord)
        {
            return _recorded!.RunAsync(
                fact,
                (stamp, ct) => _sender.SendAsync(notice.OrderId, message, stamp, ct),
                (messageId, at, correlationId) => Outcome(notice, messageId!, correlationId, at),
                cancellationToken);
        }

        return _effect.RunAsync(fact, notice.OrderId, async (gate, ct) =>
        {
            var providerId = await gate.SendAsync(c => _sender.SendAsync(notice.OrderId, message, null, c), ct);
            return Outcome(notice, providerId, fact.CorrelationId, _time.GetUtcNow());
        }, cancellationToken);
    }

    private static OutgoingEvent Outcome(CustomerNotice notice, string providerMessageId, string correlationId, DateTimeOffset time) =>
        OutgoingEvents.Create(
            EventIds.For(notice.OrderId, ServiceName, notice.Kind),
            EventSources.Email,
            EventTypes.EmailSent,
            notice.OrderId,
            correlationId,
            time,
            new EmailSent { OrderId = notice.OrderId, Notification = notice.Kind, ProviderMessageId = providerMessageId },
            ContractsJsonContext.Default.CloudEventEmailSent);
}
