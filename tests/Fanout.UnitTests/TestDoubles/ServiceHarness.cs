using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;
using Fanout.Sms.Core;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>The SMS and e-mail services wired as in production, but on in-memory doubles: a DynamoDB that
/// accepts every lease, fake providers and a recording publisher.</summary>
internal sealed class ServiceHarness
{
    public ServiceHarness(FakeTimeProvider time)
    {
        Time = time;
        var (dynamo, recorder) = AcceptingDynamoDb.Create();
        Dynamo = recorder;
        var store = new LeaseIdempotencyStore(dynamo, "fanout-test", TimeSpan.FromSeconds(30), TimeSpan.FromDays(15), time);
        var effect = new IdempotentEffect(store, Publisher);
        Sms = new SmsService(effect, SmsSender, time);
        Email = new EmailService(effect, EmailSender, time);
    }

    public FakeTimeProvider Time { get; }

    public AcceptingDynamoDb Dynamo { get; }

    public RecordingEventPublisher Publisher { get; } = new();

    public FakeSmsSender SmsSender { get; } = new();

    public FakeEmailSender EmailSender { get; } = new();

    public SmsService Sms { get; }

    public EmailService Email { get; }
}
