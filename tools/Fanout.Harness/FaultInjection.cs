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
