using System.Collections.Concurrent;
using Fanout.Functions.Common.Publishing;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>Records what would have gone to SNS; can be told to fail like an unreachable topic.</summary>
internal sealed class RecordingEventPublisher : IEventPublisher
{
    private readonly ConcurrentQueue<OutgoingEvent> _published = new();
    private int _attempts;

    /// <summary>While set, every publish attempt throws it and nothing is recorded as published.</summary>
    public Exception? FailWith { get; set; }

    public IReadOnlyList<OutgoingEvent> Published => [.. _published];

    public int Attempts => Volatile.Read(ref _attempts);

    public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        Interlocked.Increment(ref _attempts);
        if (FailWith is { } failure)
        {
            return Task.FromException(failure);
        }

        _published.Enqueue(outgoing);
        return Task.CompletedTask;
    }
}
