using System.Collections.Concurrent;
using Fanout.Email.Core;
using Fanout.Sms.Core;

namespace Fanout.UnitTests.TestDoubles;

internal sealed class FakeSmsSender : ISmsSender
{
    private readonly ConcurrentQueue<(string OrderId, string PhoneNumber, string Text)> _sent = new();

    public IReadOnlyList<(string OrderId, string PhoneNumber, string Text)> Sent => [.. _sent];

    public Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken)
    {
        _sent.Enqueue((orderId, phoneNumber, text));
        return Task.FromResult("sms-" + orderId);
    }
}

internal sealed class FakeEmailSender : IEmailSender
{
    private readonly ConcurrentQueue<(string OrderId, EmailMessage Message)> _sent = new();

    public IReadOnlyList<(string OrderId, EmailMessage Message)> Sent => [.. _sent];

    public Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken)
    {
        _sent.Enqueue((orderId, message));
        return Task.FromResult("email-" + orderId);
    }
}
