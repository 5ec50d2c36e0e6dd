using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Harness;

/// <summary>The failure a <see cref="FlakyPublisher"/> injects.</summary>
public sealed class InjectedFaultException : Exception
{
    public InjectedFaultException()
    {
    }

    public InjectedFaultException(string message)
        : base(message)
    {
    }

    public InjectedFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A test switch: wraps a consumer's publisher and throws on the first publish attempt of a chosen
/// share of events, i.e. after the consumer's effect is done but before its outcome fact goes out (the
/// worst place for a crash). The choice is a hash of the event id, so it is reproducible.</summary>
public sealed class FlakyPublisher : IEventPublisher
{
    private readonly IEventPublisher _inner;
    private readonly double _failureRate;
    private readonly ConcurrentDictionary<string, byte> _attempted = new(StringComparer.Ordinal);
    private long _injected;

    public FlakyPublisher(IEventPublisher inner, double failureRate)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(failureRate, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(failureRate, 1);
        _inner = inner;
        _failureRate = failureRate;
    }

    public long InjectedFailures => Interlocked.Read(ref _injected);

    public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        if (_attempted.TryAdd(outgoing.Id, 0) && Chosen(outgoing.Id))
        {
            Interlocked.Increment(ref _injected);
            throw new InjectedFaultException($"Injected failure on the first publish of {outgoing.Type} {outgoing.Id}.");
        }

        return _inner.PublishAsync(outgoing, cancellationToken);
    }

    private bool Chosen(string eventId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(eventId));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue < _failureRate;
    }
}

/// <summary>A test switch for poison handling: while <c>isBroken()</c> answers true, the wrapped consumer
/// fails every batch holding a record whose body contains <see cref="Marker"/>; once it answers false the
/// consumer is "fixed", so a redriven message then succeeds.</summary>
public sealed class BreakableHandler : Fanout.AwsShims.Runtime.ILambdaHandler
{
    private readonly Fanout.AwsShims.Runtime.ILambdaHandler _inner;
    private readonly Func<bool> _isBroken;

    public BreakableHandler(Fanout.AwsShims.Runtime.ILambdaHandler inner, string marker, Func<bool> isBroken)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentException.ThrowIfNullOrEmpty(marker);
        ArgumentNullException.ThrowIfNull(isBroken);
        _inner = inner;
        Marker = marker;
        _isBroken = isBroken;
    }

    public string Marker { get; }

    public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, Fanout.AwsShims.Runtime.LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        if (_isBroken() && Encoding.UTF8.GetString(payload.Span).Contains(Marker, StringComparison.Ordinal))
        {
            throw new InjectedFaultException("The consumer is broken for marked messages (test switch).");
        }

        return _inner.InvokeAsync(payload, invocation, cancellationToken);
    }
}

/// <summary>What <see cref="LocalFanout.InvokeApiAsync"/> throws when <see cref="IntakeCrashSwitch"/> stopped the intake
/// between its write and its publish: the client got no answer, as when Lambda ends an invocation at its deadline or
/// its process dies.</summary>
public sealed class IntakeCrashedException : Exception
{
    public IntakeCrashedException()
    {
    }

    public IntakeCrashedException(string message)
        : base(message)
    {
    }

    public IntakeCrashedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A test switch: "the intake crashes between its write and its publish". While armed, the intake's publisher
/// (the inline publish that follows the order's write) never publishes: it ends the invocation in progress, so the
/// caller of <see cref="LocalFanout.InvokeApiAsync"/> gets <see cref="IntakeCrashedException"/> instead of a response,
/// and then waits, publishing nothing, until the intake's own timeout gives up on it. The order and its outbox entry
/// are already durable; only the relay (or the reconciler) can publish it.</summary>
public sealed class IntakeCrashSwitch
{
    private readonly AsyncLocal<TaskCompletionSource?> _invocation = new();
    private readonly ConcurrentQueue<OutgoingEvent> _crashed = new();
    private int _armed;
    private long _crashes;

    /// <summary>Crashes so far.</summary>
    public long Crashes => Interlocked.Read(ref _crashes);

    /// <summary>The events the crashed invocations were about to publish (the only trace of their order ids the caller gets).</summary>
    public IReadOnlyList<OutgoingEvent> CrashedEvents => [.. _crashed];

    /// <summary>Crash the next <paramref name="times"/> publishes of the intake.</summary>
    public void Arm(int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        Volatile.Write(ref _armed, times);
    }

    public void Disarm() => Volatile.Write(ref _armed, 0);

    /// <summary>Wraps the intake's publisher.</summary>
    public IEventPublisher Wrap(IEventPublisher inner) => new CrashingPublisher(inner, this);

    /// <summary>Marks the invocation in progress (this async flow) so a crash can end it through <paramref name="crashed"/>.</summary>
    internal Scope Begin(TaskCompletionSource crashed)
    {
        var previous = _invocation.Value;
        _invocation.Value = crashed;
        return new Scope(this, previous);
    }

    private bool TryTake()
    {
        while (true)
        {
            var armed = Volatile.Read(ref _armed);
            if (armed <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _armed, armed - 1, armed) == armed)
            {
                return true;
            }
        }
    }

    internal readonly struct Scope(IntakeCrashSwitch owner, TaskCompletionSource? previous) : IDisposable
    {
        public void Dispose() => owner._invocation.Value = previous;
    }

    private sealed class CrashingPublisher(IEventPublisher inner, IntakeCrashSwitch owner) : IEventPublisher
    {
        public async Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            if (!owner.TryTake())
            {
                await inner.PublishAsync(outgoing, cancellationToken);
                return;
            }

            Interlocked.Increment(ref owner._crashes);
            owner._crashed.Enqueue(outgoing);
            owner._invocation.Value?.TrySetException(new IntakeCrashedException($"The intake crashed (test switch) after writing {outgoing.Type} {outgoing.Id} and before publishing it."));
            // A dead process publishes nothing: wait until whoever called gives up.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}

/// <summary>A test switch: freezes an emulator process with <c>SIGSTOP</c> and thaws it with <c>SIGCONT</c> (the
/// process keeps its port and memory; connections to it hang, as with a network partition). Disposing always thaws it.</summary>
public sealed class ProcessPause : IDisposable
{
    private readonly int _processId;
    private readonly Lock _gate = new();
    private bool _paused;

    public ProcessPause(int processId, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processId, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _processId = processId;
        Name = name;
    }

    public string Name { get; }

    public bool IsPaused
    {
        get
        {
            lock (_gate)
            {
                return _paused;
            }
        }
    }

    public void Pause()
    {
        lock (_gate)
        {
            Signal("-STOP");
            _paused = true;
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            Signal("-CONT");
            _paused = false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_paused)
            {
                Signal("-CONT");
                _paused = false;
            }
        }
    }

    private void Signal(string signal)
    {
        var start = new System.Diagnostics.ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add(signal);
        start.ArgumentList.Add(_processId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not run kill.");
        var errors = kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {_processId} ({Name}) failed: {errors.Trim()}");
        }
    }
}
