using System.Text;
using Fanout.AwsShims.Runtime;

namespace Fanout.Harness.EventSources;

/// <summary>An in-process stand-in for an EventBridge Scheduler rate schedule: invokes the handler every
/// <c>period</c> (first one period after <see cref="Start"/>) with a small JSON event, one invocation at a time, and
/// survives a failed one. <see cref="InvokeNowAsync"/> runs one at once (tests, <c>fanout</c> commands).</summary>
public sealed class ScheduledInvoker : IAsyncDisposable
{
    private readonly ILambdaHandler _handler;
    private readonly TimeSpan _period;
    private readonly TimeSpan _functionTimeout;
    private readonly string _functionName;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private Task? _loop;
    private long _invocations;
    private long _failures;

    public ScheduledInvoker(ILambdaHandler handler, TimeSpan period, TimeSpan functionTimeout, string functionName, TimeProvider time, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(functionTimeout, TimeSpan.FromMilliseconds(200));
        ArgumentException.ThrowIfNullOrWhiteSpace(functionName);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        _handler = handler;
        _period = period;
        _functionTimeout = functionTimeout;
        _functionName = functionName;
        _time = time;
        _log = log;
    }

    public TimeSpan Period => _period;

    /// <summary>Invocations started so far (scheduled and on demand).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>Invocations that threw or timed out.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The schedule is already running.");
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Runs one invocation now (after any in progress) and returns its response.</summary>
    /// <exception cref="Exception">What the handler threw.</exception>
    public async Task<byte[]> InvokeNowAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref _invocations);
            var now = _time.GetUtcNow();
            var time = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            var payload = Encoding.UTF8.GetBytes("{\"source\":\"local.schedule\",\"detail-type\":\"Scheduled Event\",\"time\":\"" + time + "\",\"detail\":{}}");
            var invocation = new LambdaInvocation(Guid.NewGuid().ToString(), now + _functionTimeout, null, $"arn:aws:lambda:us-east-1:000000000000:function:{_functionName}");
            using var timeout = new CancellationTokenSource(_functionTimeout - TimeSpan.FromMilliseconds(200), _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            try
            {
                return await _handler.InvokeAsync(payload, invocation, linked.Token).WaitAsync(_functionTimeout, _time, cancellationToken);
            }
            catch
            {
                Interlocked.Increment(ref _failures);
                throw;
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        _oneAtATime.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await InvokeNowAsync(stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // A failed run is logged; the next tick runs again, as the schedule would.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _log($"[{_functionName}] scheduled invocation failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }
}
