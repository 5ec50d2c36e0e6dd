using System.Collections.Concurrent;
using Fanout.Orders.Outbox;

namespace Fanout.UnitTests.OutboxRelay;

/// <summary>The outbox port in memory: entries by event id; counts reads and deletes; can be told to fail reads.</summary>
internal sealed class InMemoryOutbox : IOutbox
{
    private readonly ConcurrentDictionary<string, OutboxEntry> _entries = new(StringComparer.Ordinal);
    private int _reads;
    private int _deletes;

    public Exception? FailReadsWith { get; set; }

    public int Reads => Volatile.Read(ref _reads);

    public int Deletes => Volatile.Read(ref _deletes);

    public IReadOnlyCollection<string> PendingIds => [.. _entries.Keys];

    public void Add(OutboxEntry entry) => _entries[entry.EventId] = entry;

    public Task<OutboxEntry?> GetAsync(string eventId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        if (FailReadsWith is { } failure)
        {
            return Task.FromException<OutboxEntry?>(failure);
        }

        return Task.FromResult(_entries.TryGetValue(eventId, out var entry) ? entry : null);
    }

    public Task CompleteAsync(string eventId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deletes);
        _entries.TryRemove(eventId, out _);
        return Task.CompletedTask;
    }
}

/// <summary>A publisher whose behaviour each test scripts.</summary>
internal sealed class DelegatingPublisher(Func<Fanout.Functions.Common.Publishing.OutgoingEvent, CancellationToken, Task> publish) : Fanout.Functions.Common.Publishing.IEventPublisher
{
    public Task PublishAsync(Fanout.Functions.Common.Publishing.OutgoingEvent outgoing, CancellationToken cancellationToken) => publish(outgoing, cancellationToken);
}
