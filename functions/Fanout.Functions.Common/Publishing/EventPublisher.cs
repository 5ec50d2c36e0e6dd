using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Tracing;

namespace Fanout.Functions.Common.Publishing;

/// <summary>An event ready to publish: the serialized envelope plus the attributes filters match on.</summary>
public sealed record OutgoingEvent(string Id, string Type, string CorrelationId, string Json)
{
    /// <summary>The envelope's <c>subject</c> (the order id), when the builder knew it; otherwise
    /// <see cref="SnsEventPublisher"/> reads it from <see cref="Json"/>.</summary>
    public string? Subject { get; init; }

    /// <summary>The envelope's <c>traceparent</c>, when the builder knew it; otherwise <see cref="SnsEventPublisher"/>
    /// reads it from <see cref="Json"/>.</summary>
    public string? TraceParent { get; init; }
}

/// <summary>Publishes facts to the <c>order-events</c> topic.</summary>
public interface IEventPublisher
{
    Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken);
}

/// <summary>Builds CloudEvents envelopes for outgoing facts.</summary>
public static class OutgoingEvents
{
    /// <summary>The envelope of a new fact. Inside a trace (<see cref="TraceScope.Current"/>) it carries the
    /// distributed-tracing extension <c>traceparent</c> = a child of the current context (the publish is a hop of its
    /// own); outside one it has none.</summary>
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
            TraceParent = TraceScope.Current?.Child().Value,
            Data = data,
        };
        return new OutgoingEvent(id, type, correlationId, JsonSerializer.Serialize(envelope, typeInfo)) { Subject = subject, TraceParent = envelope.TraceParent };
    }
}

/// <summary>Publishes through SNS with the message attributes <c>type</c>, <c>correlationId</c> and, when the envelope has
/// one, <c>traceparent</c> (<see cref="EventAttributes"/>), and writes one EMF line per event published: dimension
/// <c>EventType</c> = the event's type, metric <c>Published</c> = 1, properties <c>eventId</c>, <c>orderId</c> (the
/// envelope's <c>subject</c>), <c>correlationId</c>, <c>traceparent</c>.</summary>
public sealed class SnsEventPublisher : IEventPublisher
{
    private readonly SnsClient _sns;
    private readonly string _topicArn;
    private readonly FanoutLogger? _log;

    /// <param name="log">Where the <c>Published</c> EMF lines go; none are written without it.</param>
    public SnsEventPublisher(SnsClient sns, string topicArn, FanoutLogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(sns);
        ArgumentException.ThrowIfNullOrWhiteSpace(topicArn);
        _sns = sns;
        _topicArn = topicArn;
        _log = log;
    }

    public async Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        var (subject, traceParent) = outgoing.Subject is null || outgoing.TraceParent is null
            ? EnvelopeText.SubjectAndTraceParent(outgoing.Json)
            : (null, null);
        subject = outgoing.Subject ?? subject;
        traceParent = outgoing.TraceParent ?? traceParent;
        var attributes = new Dictionary<string, string>(3)
        {
            [EventAttributes.Type] = outgoing.Type,
            [EventAttributes.CorrelationId] = outgoing.CorrelationId,
        };
        if (TraceContext.IsValid(traceParent))
        {
            attributes[EventAttributes.TraceParent] = traceParent;
        }

        await _sns.PublishAsync(
            new SnsPublishRequest
            {
                TopicArn = _topicArn,
                Message = outgoing.Json,
                StringAttributes = attributes,
            },
            // Consumers deduplicate on the event id, so a second copy after a timeout is harmless.
            CallIdempotency.Idempotent,
            cancellationToken);
        if (_log is null)
        {
            return;
        }

        ReadOnlySpan<MetricDatum> metrics = [new MetricDatum(FanoutMetrics.Published, FanoutMetrics.Count, 1)];
        ReadOnlySpan<(string Key, string? Value)> properties =
        [
            ("eventId", outgoing.Id),
            ("orderId", subject),
            ("correlationId", outgoing.CorrelationId),
            (EventAttributes.TraceParent, traceParent),
        ];
        try
        {
            _log.Metrics(EventRules.IsType(outgoing.Type) ? outgoing.Type : null, metrics, properties);
        }
#pragma warning disable CA1031 // The event is published; a metrics line that cannot be written must not make the caller retry it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn("Could not write the Published metrics line", ("eventId", outgoing.Id), ("errorType", ex.GetType().Name));
        }
    }
}

/// <summary>Reads top-level string members of a serialized envelope without building a document.</summary>
internal static class EnvelopeText
{
    /// <summary>The envelope's <c>subject</c> and <c>traceparent</c>, each null when absent, not a string, or the text is
    /// not a JSON object.</summary>
    public static (string? Subject, string? TraceParent) SubjectAndTraceParent(string json)
    {
        string? subject = null;
        string? traceParent = null;
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, buffer);
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSubject = reader.ValueTextEquals("subject"u8);
                var isTraceParent = !isSubject && reader.ValueTextEquals("traceparent"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isSubject || isTraceParent))
                {
                    var value = reader.GetString();
                    subject = isSubject ? value : subject;
                    traceParent = isTraceParent ? value : traceParent;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Whatever was read before the break is kept: this only labels a metrics line.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (subject, traceParent);
    }
}
