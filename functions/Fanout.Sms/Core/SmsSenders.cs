namespace Fanout.Sms.Core;

/// <summary>Sends an SMS through some provider and returns the provider's message id.</summary>
public interface ISmsSender
{
    Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken);
}

/// <summary>Renders the confirmation text. Kept short: one 160-character GSM segment.</summary>
public static class SmsRenderer
{
    public static string Render(string orderId, int itemCount, int unitCount) =>
        $"Fanout: order {orderId[..Math.Min(8, orderId.Length)]} confirmed, {itemCount} line(s), {unitCount} unit(s). We'll text again when it ships.";
}
