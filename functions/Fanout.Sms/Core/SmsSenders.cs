using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;

namespace Fanout.Sms.Core;

/// <summary>Sends an SMS through some provider and returns the provider's message id.</summary>
public interface ISmsSender
{
    Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken);
}

/// <summary>Renders the texts, one per notification kind. Kept short: one 160-character GSM segment. They name the
/// order by its first 8 characters and hold no other personal data.</summary>
public static class SmsRenderer
{
    private const string ReceivedStart = "Fanout: we received your order ";
    private const string NotFulfilledStart = "Fanout: sorry, we could not fulfil your order ";
    private const string CancelledStart = "Fanout: your order ";
    private const string CancelledEnd = " is cancelled.";

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

    /// <summary>The notification kind whose template <paramref name="text"/> was rendered from, or null for a text
    /// this renderer did not make. The recording sender stores it: the sender interface carries the text only.</summary>
    public static string? KindOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.StartsWith(ReceivedStart, StringComparison.Ordinal) ? NotificationKinds.OrderReceived
            : text.StartsWith(NotFulfilledStart, StringComparison.Ordinal) ? NotificationKinds.OrderNotFulfilled
            : text.StartsWith(CancelledStart, StringComparison.Ordinal) && text.EndsWith(CancelledEnd, StringComparison.Ordinal) ? NotificationKinds.OrderCancelled
            : null;
    }
}
