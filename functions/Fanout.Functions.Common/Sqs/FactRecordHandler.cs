using System.Text.Json.Serialization.Metadata;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Sqs;

/// <summary>The adapter every consumer shares: SQS record → checked CloudEvent of one of the fact types the service
/// subscribes to → that type's rule, under the event's correlation id. Each rule returns a short description of
/// what it did, logged with <c>orderId</c>, <c>eventId</c> and <c>messageId</c>. The event's type, id and order id go
/// to the <see cref="RecordContext"/> in progress, for the record's metrics line.</summary>
/// <remarks>A well-formed event of a type with no rule is poison: the subscription's filter policy
/// (<c>FanoutTopology</c>) should never have delivered it, so retrying cannot help.</remarks>
public sealed class FactRecordHandler : ISqsRecordHandler
{
    private readonly Dictionary<string, Func<RawCloudEvent, string?, CancellationToken, Task>> _rules = new(StringComparer.Ordinal);
    private readonly FanoutLogger _log;

    public FactRecordHandler(FanoutLogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    /// <summary>The fact types with a rule, in the order they were added.</summary>
    public IReadOnlyCollection<string> Types => _rules.Keys;

    /// <summary>Adds the rule for facts of <paramref name="type"/>; returns this handler, for chaining.</summary>
    /// <param name="orderIdOf">Reads the order id from the payload, for the log line.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> already has a rule.</exception>
    public FactRecordHandler On<T>(string type, JsonTypeInfo<T> typeInfo, Func<T, string> orderIdOf, Func<ParsedEvent<T>, CancellationToken, Task<string>> rule)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(orderIdOf);
        ArgumentNullException.ThrowIfNull(rule);
        _rules.Add(type, async (envelope, messageId, ct) =>
        {
            var fact = EventParser.Bind(envelope, typeInfo);
            using var scope = CorrelationContext.Begin(fact.CorrelationId);
            var orderId = orderIdOf(fact.Data);
            if (RecordContext.Current is { } record)
            {
                record.OrderId = orderId;
            }

            var outcome = await rule(fact, ct);
            _log.Info(fact.Type + " handled", ("orderId", orderId), ("eventId", fact.Id), ("outcome", outcome), ("messageId", messageId));
        });
        return this;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = EventParser.ParseEnvelope(message.Body);
        var known = envelope.Type is not null && _rules.ContainsKey(envelope.Type);
        // The type becomes a metric dimension only when it is one this service handles: a stray type must not mint
        // a CloudWatch dimension value. Id and subject passed the envelope checks (UUIDs).
        RecordContext.Identify(known ? envelope.Type : null, envelope.Id, envelope.Subject);
        if (envelope.Type is null || !_rules.TryGetValue(envelope.Type, out var rule))
        {
            // The envelope check already held the type to letters, digits and dots: safe to quote.
            throw new PoisonMessageException($"expected one of {string.Join(", ", _rules.Keys)}, got \"{envelope.Type}\"");
        }

        await rule(envelope, message.MessageId, cancellationToken);
    }
}
