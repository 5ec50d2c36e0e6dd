using Fanout.AwsShims.Runtime;

namespace Fanout.Functions.Common.Runtime;

/// <summary>The Lambda invocation the current code runs for, flowing with async calls like
/// <see cref="Logging.CorrelationContext"/>: its request id goes on every log line, and its deadline
/// (<c>Lambda-Runtime-Deadline-Ms</c>) bounds the idempotency lease, so the lease can never drift from the real
/// function timeout.</summary>
public static class InvocationContext
{
    private static readonly AsyncLocal<LambdaInvocation?> CurrentInvocation = new();

    /// <summary>The invocation in progress, or null outside one.</summary>
    public static LambdaInvocation? Current => CurrentInvocation.Value;

    /// <summary>The current invocation's deadline.</summary>
    /// <exception cref="InvalidOperationException">No invocation is in progress: there is no honest deadline to use.</exception>
    public static DateTimeOffset RequireDeadline() =>
        CurrentInvocation.Value?.Deadline ?? throw new InvalidOperationException("No Lambda invocation is in progress, so there is no deadline to bound the work.");

    /// <summary>Sets the invocation until the returned scope is disposed.</summary>
    public static Scope Begin(LambdaInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var previous = CurrentInvocation.Value;
        CurrentInvocation.Value = invocation;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly LambdaInvocation? _previous;

        internal Scope(LambdaInvocation? previous) => _previous = previous;

        public void Dispose() => CurrentInvocation.Value = _previous;
    }
}
