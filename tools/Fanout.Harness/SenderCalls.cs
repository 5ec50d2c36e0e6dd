using System.Collections.Concurrent;
using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;
using Fanout.Sms.Core;

namespace Fanout.Harness;

/// <summary>A test switch: counts provider calls per order id, the one number that shows a duplicate SMS or
/// e-mail (the recording senders' rows cannot: they deduplicate themselves by order id). A call a sender transactional
/// with its record answers with <see cref="AlreadySentException"/> sent nothing and is not counted.</summary>
public sealed class SenderCalls
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>Calls per order id.</summary>
    public IReadOnlyDictionary<string, int> PerOrder => _calls;

    public int Total => _calls.Values.Sum();

    public int For(string orderId) => _calls.TryGetValue(orderId, out var count) ? count : 0;

    internal void Count(string orderId) => _calls.AddOrUpdate(orderId, 1, (_, count) => count + 1);

    // Counted before the call (a sender may throw before returning a task); uncounted when it sent nothing.
    private async Task<string> CountedAsync(string orderId, Func<Task<string>> send)
    {
        Count(orderId);
        try
        {
            return await send();
        }
        catch (AlreadySentException)
        {
            _calls.AddOrUpdate(orderId, 0, (_, count) => count - 1);
            throw;
        }
    }

    /// <summary>Wraps an SMS sender so every call is counted before it is made.</summary>
    public ISmsSender Wrap(ISmsSender inner) => new CountingSmsSender(inner, this);

    /// <summary>Wraps an e-mail sender so every call is counted before it is made.</summary>
    public IEmailSender Wrap(IEmailSender inner) => new CountingEmailSender(inner, this);

    private sealed class CountingSmsSender(ISmsSender inner, SenderCalls calls) : ISmsSender
    {
        public bool IsTransactionalWithRecord => inner.IsTransactionalWithRecord;

        public Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken) =>
            calls.CountedAsync(orderId, () => inner.SendAsync(orderId, message, stamp, cancellationToken));
    }

    private sealed class CountingEmailSender(IEmailSender inner, SenderCalls calls) : IEmailSender
    {
        public bool IsTransactionalWithRecord => inner.IsTransactionalWithRecord;

        public Task<string> SendAsync(string orderId, EmailMessage message, SendStamp? stamp, CancellationToken cancellationToken) =>
            calls.CountedAsync(orderId, () => inner.SendAsync(orderId, message, stamp, cancellationToken));
    }
}
