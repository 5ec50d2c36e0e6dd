using System.Collections.Concurrent;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>Runs async code on the calling thread, one posted continuation at a time in the order they were
/// posted, so a test can pin down an interleaving (which record starts first, what runs between a slot freeing
/// and the next start) that the thread pool would leave to chance.</summary>
internal sealed class SingleThreadedContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    /// <summary>Runs <paramref name="action"/> and every continuation it posts until its task ends; returns its result.</summary>
    public static T Run<T>(Func<Task<T>> action)
    {
        var previous = Current;
        using var context = new SingleThreadedContext();
        SetSynchronizationContext(context);
        try
        {
            var task = action();
            task.ContinueWith(_ => context._queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>Queues <paramref name="d"/> behind everything already posted.</summary>
    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public void Dispose() => _queue.Dispose();
}
