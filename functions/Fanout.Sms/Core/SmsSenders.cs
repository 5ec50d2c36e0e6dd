using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;

namespace Fanout.Sms.Core;

/// <summary>A rendered SMS. <paramref name="Notification"/> is one of <see cref="NotificationKinds"/>: which fact the
/// text tells the customer about (a recording sender stores it; providers never see it).</summary>
public sealed record SmsMessage(string PhoneNumber, string Text, string Notification);

/// <summary>Sends an SMS through some provider and returns the provider's message id.</summary>
public interface ISmsSender
{
    /// <summary>Whether a send is one conditional write that can carry the event's idempotency record (the recording
    /// sender): <see cref="SmsService"/> then sends once with a <see cref="SendStamp"/> instead of running the lease
    /// protocol (<see cref="RecordedEffect"/>). A real provider (SNS) answers false. Decorators forward it.</summary>
    bool IsTransactionalWithRecord { get; }

    /// <param name="stamp">Given only to a sender that <see cref="IsTransactionalWithRecord"/>.</param>
    /// <exception cref="AlreadySentException">A stamped send found the message recorded before.</exception>
    Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken);
}

/// <summary>Renders the texts, one per notification kind. Kept short: one 160-character GSM segment. They name the
/// order by its first 8 characters and hold no other personal data.</summary>
public static class SmsRenderer
{
    private const string ReceivedStart = "Fanout: we received your order ";
    private const string NotFulfilledStart = "Fanout: sorry, we could not fulfil your order ";
    private const string CancelledStart = "Fanout: your order ";
    private const string CancelledEnd = " is cancelled.";

    /// <summary>The SMS for <paramref name="notice"/> to <paramref name="phoneNumber"/>.</summary>
    public static SmsMessage Render(CustomerNotice notice, string phoneNumber)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return new SmsMessage(phoneNumber, Render(notice), notice.Kind);
    }

    /// <summary>The text for <paramref name="notice"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The notice's kind is not one of <see cref="NotificationKinds"/>.</exception>
    public static string Render(CustomerNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return notice.Kind switch
        {
            NotificationKinds.OrderReceived =>
                $"{ReceivedStart}{notice.ShortOrderId}, {notice.Items.Count} line(s), {notice.Items.Sum(i => i.Quantity)} unit(s). We'll text again when it ships.",
            NotificationKinds.OrderNotFulfilled => $"{NotFulfilledStart}{notice.ShortOrderId}.",
            NotificationKinds.OrderCancelled => $"{CancelledStart}{notice.ShortOrderId}{CancelledEnd}",
            _ => throw new ArgumentOutOfRangeException(nameof(notice), notice.Kind, "Not a notification kind."),
        };
    }
}
