using System.Collections.Concurrent;
using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;
using Fanout.Sms.Core;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>Counts every provider call (the number a duplicate shows in) and can be told to refuse.</summary>
internal sealed class FakeSmsSender : ISmsSender
{
    private readonly ConcurrentQueue<(string OrderId, string PhoneNumber, string Text, string Notification)> _sent = new();
    private int _calls;

    /// <summary>While set, every call throws it after being counted, and nothing counts as sent.</summary>
    public Exception? FailWith { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<(string OrderId, string PhoneNumber, string Text, string Notification)> Sent => [.. _sent];

    public bool IsTransactionalWithRecord => false;

    public Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (FailWith is { } failure)
        {
            return Task.FromException<string>(failure);
        }

        _sent.Enqueue((orderId, message.PhoneNumber, message.Text, message.Notification));
        return Task.FromResult("sms-" + orderId);
    }
}

/// <summary>Counts every provider call and can be told to refuse.</summary>
internal sealed class FakeEmailSender : IEmailSender
{
    private readonly ConcurrentQueue<(string OrderId, EmailMessage Message)> _sent = new();
    private int _calls;

    public Exception? FailWith { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<(string OrderId, EmailMessage Message)> Sent => [.. _sent];

    public bool IsTransactionalWithRecord => false;

    public Task<string> SendAsync(string orderId, EmailMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (FailWith is { } failure)
        {
            return Task.FromException<string>(failure);
        }

        _sent.Enqueue((orderId, message));
        return Task.FromResult("email-" + orderId);
    }
}
