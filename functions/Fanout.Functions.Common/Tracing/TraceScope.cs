using Fanout.Contracts.Events;

namespace Fanout.Functions.Common.Tracing;

/// <summary>The W3C trace context of the hop in progress, flowing with async calls like
/// <see cref="Logging.CorrelationContext"/>: <see cref="Logging.FanoutLogger"/> writes it as <c>traceparent</c> on every
/// line, and <see cref="Publishing.OutgoingEvents.Create{T}"/> stamps a child of it on every event published.</summary>
public static class TraceScope
{
    private static readonly AsyncLocal<TraceContext?> CurrentContext = new();

    /// <summary>The trace context of the work in progress, or null outside one.</summary>
    public static TraceContext? Current => CurrentContext.Value;

    /// <summary>Makes <paramref name="context"/> current until the returned scope is disposed.</summary>
    public static Scope Begin(TraceContext? context)
    {
        var previous = CurrentContext.Value;
        CurrentContext.Value = context;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly TraceContext? _previous;

        internal Scope(TraceContext? previous) => _previous = previous;

        public void Dispose() => CurrentContext.Value = _previous;
    }
}
