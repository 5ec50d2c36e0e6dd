using Fanout.Cli.Load;
using Fanout.Cli.Trace;

namespace Fanout.Cli.Watch;

/// <summary>One service's consumer activity over the window: records per second, p50/p99 queue wait and processing
/// time (ms, nearest rank), and how many records were retries (receive count above 1).</summary>
internal sealed record ServiceRates(string Service, int Records, double RatePerSecond, double? QueueWaitP50Ms, double? QueueWaitP99Ms, double? ProcessingP50Ms, double? ProcessingP99Ms, int Retried);

/// <summary>The consumers' per-record EMF lines (those with <c>Received</c>) over a sliding window, by service. Time
/// is the line's <c>_aws.Timestamp</c> against an injected clock.</summary>
internal sealed class ServiceActivity
{
    private readonly Dictionary<string, Queue<Sample>> _samples = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public ServiceActivity(TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        Window = window;
        _time = time;
    }

    public TimeSpan Window { get; }

    /// <summary>Keeps the per-record lines among <paramref name="lines"/>; any other line is ignored.</summary>
    public void Add(IEnumerable<FunctionLogLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        foreach (var line in lines)
        {
            if (!line.IsRecord || line.Service is not { } service)
            {
                continue;
            }

            if (!_samples.TryGetValue(service, out var queue))
            {
                _samples[service] = queue = new Queue<Sample>();
            }

            queue.Enqueue(new Sample(line.At, line.QueueWaitMs, line.ProcessingMs, line.Retried || line.ReceiveCount > 1));
        }
    }

    /// <summary>Every service seen so far (by name), over the window ending now; a quiet service shows zeros.</summary>
    public IReadOnlyList<ServiceRates> Snapshot()
    {
        var since = _time.GetUtcNow() - Window;
        var rates = new List<ServiceRates>();
        foreach (var (service, queue) in _samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            // Lines arrive roughly in time order; drop from the front, and filter what remains for the stragglers.
            while (queue.TryPeek(out var oldest) && oldest.At < since)
            {
                queue.Dequeue();
            }

            var current = queue.Where(s => s.At >= since).ToList();
            var waits = current.Select(s => s.QueueWaitMs).OfType<double>().Order().ToList();
            var processing = current.Select(s => s.ProcessingMs).OfType<double>().Order().ToList();
            rates.Add(new ServiceRates(
                service,
                current.Count,
                current.Count / Window.TotalSeconds,
                waits.Count > 0 ? Percentiles.NearestRank(waits, 50) : null,
                waits.Count > 0 ? Percentiles.NearestRank(waits, 99) : null,
                processing.Count > 0 ? Percentiles.NearestRank(processing, 50) : null,
                processing.Count > 0 ? Percentiles.NearestRank(processing, 99) : null,
                current.Count(s => s.Retried)));
        }

        return rates;
    }

    private readonly record struct Sample(DateTimeOffset At, double? QueueWaitMs, double? ProcessingMs, bool Retried);
}
