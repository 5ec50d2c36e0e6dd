using System.Collections.Concurrent;
using System.Diagnostics;
using Fanout.AwsShims.Runtime;

namespace Fanout.Harness.Metering;

/// <summary>One function's invocations over a window, with the duration Lambda would bill: each invocation's
/// handler time rounded up to the next millisecond (AWS Lambda pricing: duration is billed in 1 ms increments).
/// Measured in this process, so the times are those of the in-process build, not of the deployed one.</summary>
public sealed record FunctionUsage(string Function, long Invocations, long BilledMilliseconds)
{
    public FunctionUsage Since(FunctionUsage? earlier) =>
        earlier is null ? this : this with { Invocations = Invocations - earlier.Invocations, BilledMilliseconds = BilledMilliseconds - earlier.BilledMilliseconds };
}

/// <summary>Counts invocations and billed milliseconds per function by wrapping each handler
/// (<see cref="LocalFanoutOptions.DecorateHandler"/>). A failed invocation is counted and billed too, as Lambda does.
/// Thread-safe.</summary>
public sealed class InvocationMeter
{
    private readonly ConcurrentDictionary<string, Counter> _functions = new(StringComparer.Ordinal);
    private long _inFlight;

    /// <summary>Invocations started and not yet finished, across all functions.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Invocations finished so far, across all functions.</summary>
    public long Total => _functions.Values.Sum(c => Interlocked.Read(ref c.Invocations));

    /// <summary>Wraps <paramref name="inner"/>, counting under <paramref name="function"/>.</summary>
    public ILambdaHandler Wrap(string function, ILambdaHandler inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        ArgumentNullException.ThrowIfNull(inner);
        return new Counting(inner, _functions.GetOrAdd(function, static _ => new Counter()), this);
    }

    /// <summary>The totals so far, per function (functions never invoked are absent).</summary>
    public IReadOnlyDictionary<string, FunctionUsage> Snapshot() =>
        _functions.ToDictionary(f => f.Key, f => new FunctionUsage(f.Key, Interlocked.Read(ref f.Value.Invocations), Interlocked.Read(ref f.Value.BilledMilliseconds)), StringComparer.Ordinal);

    /// <summary>Lambda's billed duration of one invocation: whole milliseconds, rounded up.</summary>
    public static long BilledMilliseconds(TimeSpan elapsed) => Math.Max(1, (long)Math.Ceiling(elapsed.TotalMilliseconds));

    private sealed class Counter
    {
        public long Invocations;
        public long BilledMilliseconds;
    }

    private sealed class Counting(ILambdaHandler inner, Counter counter, InvocationMeter meter) : ILambdaHandler
    {
        public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref meter._inFlight);
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await inner.InvokeAsync(payload, invocation, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Increment(ref counter.Invocations);
                Interlocked.Add(ref counter.BilledMilliseconds, InvocationMeter.BilledMilliseconds(Stopwatch.GetElapsedTime(started)));
                Interlocked.Decrement(ref meter._inFlight);
            }
        }
    }
}
