using System.Collections.Concurrent;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Harness.Metering;

/// <summary>Counts the events each function published to the topic, once the topic accepted them, by wrapping every
/// function's publisher (<see cref="LocalFanoutOptions.DecoratePublisher"/>). SNS bills each published message as a
/// request (a PublishBatch of ten bills ten), so this is the SNS request count. Thread-safe.</summary>
public sealed class PublishMeter
{
    private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);

    /// <summary>Published events per CloudEvents type so far.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_byType, StringComparer.Ordinal);

    public long Total => _byType.Values.Sum();

    public IEventPublisher Wrap(string function, IEventPublisher inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return new Counting(inner, this);
    }

    private sealed class Counting(IEventPublisher inner, PublishMeter meter) : IEventPublisher
    {
        public async Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            await inner.PublishAsync(outgoing, cancellationToken).ConfigureAwait(false);
            meter._byType.AddOrUpdate(outgoing.Type, 1, static (_, count) => count + 1);
        }
    }
}
