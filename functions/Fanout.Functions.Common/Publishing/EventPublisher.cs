using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;
using Fanout.Contracts.Events;

namespace Fanout.Functions.Common.Publishing;

/// <summary>An event ready to publish: the serialized envelope plus the attributes filters match on.</summary>
public sealed record OutgoingEvent(string Id, string Type, string CorrelationId, string Json);

/// <summary>Publishes facts to the <c>order-events</c> topic.</summary>
public interface IEventPublisher
{
    Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken);
}

/// <summary>Builds CloudEvents envelopes for outgoing facts.</summary>
public static class OutgoingEvents
{
    public static OutgoingEvent Create<T>(string id, string source, string type, string subject, string correlationId, DateTimeOffset time, T data, JsonTypeInfo<CloudEvent<T>> typeInfo)
    {
        var envelope = new CloudEvent<T>
        {
            Id = id,
            Source = source,
            Type = type,
            Subject = subject,
            Time = time,
            CorrelationId = correlationId,
            Data = data,
        };
        return new OutgoingEvent(id, type, correlationId, JsonSerializer.Serialize(envelope, typeInfo));
    }
}

/// <summary>Publishes through SNS with the <c>type</c> and <c>correlationId</c> message attributes.</summary>
public sealed class SnsEventPublisher : IEventPublisher
{
    private readonly SnsClient _sns;
    private readonly string _topicArn;

    public SnsEventPublisher(SnsClient sns, string topicArn)
    {
        ArgumentNullException.ThrowIfNull(sns);
        ArgumentException.ThrowIfNullOrWhiteSpace(topicArn);
        _sns = sns;
        _topicArn = topicArn;
    }

    public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        return _sns.PublishAsync(
            new SnsPublishRequest
            {
                TopicArn = _topicArn,
                Message = outgoing.Json,
                StringAttributes = new Dictionary<string, string>(2)
                {
                    [EventAttributes.Type] = outgoing.Type,
                    [EventAttributes.CorrelationId] = outgoing.CorrelationId,
                },
            },
            // Consumers deduplicate on the event id, so a second copy after a timeout is harmless.
            CallIdempotency.Idempotent,
            cancellationToken);
    }
}
