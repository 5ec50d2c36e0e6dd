using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;
using Fanout.Sms.Core;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>The SMS and e-mail services wired as in production, but on in-memory doubles: the in-memory
/// idempotency store, counting providers and a recording publisher. Leases last 30 s from the fake clock's
/// now; completion retries do not wait.</summary>
internal sealed class ServiceHarness
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    public ServiceHarness(FakeTimeProvider time)
    {
        Time = time;
        Store = new InMemoryIdempotencyStore(time);
        var effect = new IdempotentEffect(Store, Publisher, time, ImmediateRetries(4), leaseUntil: () => time.GetUtcNow() + Lease);
        Sms = new SmsService(effect, SmsSender, time);
        Email = new EmailService(effect, EmailSender, time);
    }

    public FakeTimeProvider Time { get; }

    public InMemoryIdempotencyStore Store { get; }

    public RecordingEventPublisher Publisher { get; } = new();

    public FakeSmsSender SmsSender { get; } = new();

    public FakeEmailSender EmailSender { get; } = new();

    public SmsService Sms { get; }

    public EmailService Email { get; }

    /// <summary>A completion retry like production's, without the waits (a fake clock would never fire them).</summary>
    public static ResiliencePipeline ImmediateRetries(int attempts) => attempts == 0
        ? ResiliencePipeline.Empty
        : new ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions
            {
                MaxRetryAttempts = attempts,
                Delay = TimeSpan.Zero,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not LeaseLostException),
            })
            .Build();
}
