using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Fanout.Cli.Api;
using Fanout.Cli.Load;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Bench;

/// <summary>How one offered-rate step runs.</summary>
internal sealed record RateStepOptions
{
    /// <summary>Orders offered per second.</summary>
    public required double RatePerSecond { get; init; }

    /// <summary>How long orders are offered at that rate.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>POSTs in flight at most; when they are all busy the offered rate is not reached, which shows.</summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>How long after the last POST every accepted order must have left PENDING.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The gap between rounds of GETs over the orders still PENDING while draining.</summary>
    public TimeSpan DrainPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>GETs in flight at once while draining.</summary>
    public int DrainConcurrency { get; init; } = 8;
}

/// <summary>What one step measured. Fan-out latency is the server's own: <c>completedAt − createdAt</c> of each
/// order, both written by the functions from their clock, so neither the client's polling nor its CPU share
/// enters the figure.</summary>
internal sealed record RateStepResult
{
    public double OfferedPerSecond { get; init; }

    public int Sent { get; init; }

    public int Accepted { get; init; }

    /// <summary>4xx, 5xx and transport errors.</summary>
    public int NotAccepted { get; init; }

    /// <summary>Accepted orders per second over the send phase (first POST start → last POST end).</summary>
    public double AcceptedPerSecond { get; init; }

    /// <summary>Accepted orders still PENDING when the drain timeout ran out.</summary>
    public int LeftPending { get; init; }

    /// <summary>Accepted, final orders whose latency could not be read (no <c>completedAt</c> and no log line).</summary>
    public int Unmeasured { get; init; }

    public LatencySummary? PostLatency { get; init; }

    /// <summary>Server-side fan-out latency (ms).</summary>
    public LatencySummary? FanoutLatency { get; init; }

    /// <summary>Where the fan-out latency came from: <c>completedAt</c> or <c>log</c> (the last "Outcome recorded"
    /// line of the order in the local function log, for servers without <c>completedAt</c>).</summary>
    public string LatencySource { get; init; } = "completedAt";

    /// <summary>Accepted rate within 5% of offered, nothing pending at the end, and every accepted order measured.</summary>
    public bool Sustained { get; init; }

    /// <summary>Sustained, with fan-out p99 at or under the target.</summary>
    public bool Holds { get; init; }
}

/// <summary>Offers orders at a steady rate for a while (paced by a <see cref="TokenBucketRateLimiter"/>), then
/// reads every accepted order back until it leaves PENDING and takes its server-side fan-out latency.</summary>
internal sealed class RateStepRunner
{
    /// <summary>The accepted rate may fall this far below the offered one and still count as sustained.</summary>
    public const double SustainedTolerance = 0.05;

    private readonly OrderApiClient _api;
    private readonly TimeProvider _time;
    private readonly Func<string, DateTimeOffset?>? _logCompletion;

    /// <param name="logCompletion">Fallback for a server whose orders carry no <c>completedAt</c>: the time of the
    /// order's last applied outcome, from the local function log (null when not found).</param>
    public RateStepRunner(OrderApiClient api, TimeProvider time, Func<string, DateTimeOffset?>? logCompletion = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(time);
        _api = api;
        _time = time;
        _logCompletion = logCompletion;
    }

    public async Task<RateStepResult> RunAsync(RateStepOptions options, Func<int, PlaceOrderCommand> nextOrder, double p99TargetMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nextOrder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.RatePerSecond);
        var count = Math.Max(1, (int)Math.Round(options.RatePerSecond * options.Duration.TotalSeconds));
        var (accepted, postLatencies, notAccepted, sendElapsed) = await SendAsync(options, count, nextOrder, cancellationToken);
        var (finals, leftPending) = await DrainAsync(accepted, options, cancellationToken);

        var latencies = new List<TimeSpan>(finals.Count);
        var fromLog = 0;
        foreach (var view in finals)
        {
            if (view.CompletedAt is { } completed)
            {
                latencies.Add(completed - view.CreatedAt);
            }
            else if (_logCompletion?.Invoke(view.OrderId) is { } logged)
            {
                latencies.Add(logged - view.CreatedAt);
                fromLog++;
            }
        }

        var acceptedRate = sendElapsed > TimeSpan.Zero ? accepted.Count / sendElapsed.TotalSeconds : 0;
        var fanout = Percentiles.Summarize(latencies);
        var unmeasured = finals.Count - latencies.Count;
        var sustained = acceptedRate >= options.RatePerSecond * (1 - SustainedTolerance) && leftPending == 0 && unmeasured == 0 && notAccepted == 0;
        return new RateStepResult
        {
            OfferedPerSecond = options.RatePerSecond,
            Sent = count,
            Accepted = accepted.Count,
            NotAccepted = notAccepted,
            AcceptedPerSecond = Math.Round(acceptedRate, 1),
            LeftPending = leftPending,
            Unmeasured = unmeasured,
            PostLatency = Percentiles.Summarize(postLatencies),
            FanoutLatency = fanout,
            LatencySource = fromLog == 0 ? "completedAt" : fromLog == latencies.Count ? "log" : "completedAt+log",
            Sustained = sustained,
            Holds = sustained && fanout is { } f && f.P99Ms <= p99TargetMs,
        };
    }

    /// <summary>Whole tokens per replenishment period, and a period of whole milliseconds: the replenishing timer
    /// ticks in whole milliseconds, so a period of 6.67 ms (150/s, one token) ran at 6 ms and offered 166/s. The
    /// period is 40 ms when the rate gives a whole number of tokens in it, else 1 s.</summary>
    internal static (int TokensPerPeriod, TimeSpan Period) Pacing(double ratePerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        var perFortyMs = ratePerSecond * 0.04;
        if (perFortyMs >= 1 && Math.Abs(perFortyMs - Math.Round(perFortyMs)) < 1e-9)
        {
            return ((int)Math.Round(perFortyMs), TimeSpan.FromMilliseconds(40));
        }

        return (Math.Max(1, (int)Math.Round(ratePerSecond)), TimeSpan.FromSeconds(Math.Max(1, Math.Round(ratePerSecond)) / ratePerSecond));
    }

    private async Task<(List<string> Accepted, List<TimeSpan> PostLatencies, int NotAccepted, TimeSpan SendElapsed)> SendAsync(
        RateStepOptions options, int count, Func<int, PlaceOrderCommand> nextOrder, CancellationToken cancellationToken)
    {
        var (tokensPerPeriod, period) = Pacing(options.RatePerSecond);
        using var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokensPerPeriod,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        using var slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        var accepted = new ConcurrentBag<string>();
        var postLatencies = new ConcurrentBag<TimeSpan>();
        var notAccepted = 0;
        var started = _time.GetTimestamp();
        long lastEnded = started;
        var running = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            using (var lease = await limiter.AcquireAsync(1, cancellationToken))
            {
                if (!lease.IsAcquired)
                {
                    throw new InvalidOperationException("The rate limiter refused a permit.");
                }
            }

            await slots.WaitAsync(cancellationToken);
            var order = nextOrder(i);
            running.Add(Task.Run(
                async () =>
                {
                    var postStart = _time.GetTimestamp();
                    try
                    {
                        var placed = await _api.PlaceAsync(order, idempotencyKey: null, cancellationToken);
                        postLatencies.Add(_time.GetElapsedTime(postStart));
                        if (placed.Accepted)
                        {
                            accepted.Add(placed.OrderId!);
                        }
                        else
                        {
                            Interlocked.Increment(ref notAccepted);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref notAccepted);
                    }
                    finally
                    {
                        Interlocked.Exchange(ref lastEnded, _time.GetTimestamp());
                        slots.Release();
                    }
                },
                cancellationToken));
        }

        await Task.WhenAll(running);
        return ([.. accepted], [.. postLatencies], notAccepted, _time.GetElapsedTime(started, Interlocked.Read(ref lastEnded)));
    }

    private async Task<(List<OrderView> Finals, int LeftPending)> DrainAsync(List<string> orderIds, RateStepOptions options, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp();
        var pending = orderIds;
        var finals = new ConcurrentBag<OrderView>();
        while (pending.Count > 0)
        {
            var stillPending = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = options.DrainConcurrency, CancellationToken = cancellationToken }, async (id, ct) =>
            {
                try
                {
                    var got = await _api.GetAsync(id, ct);
                    if (got.Order is { } view && view.Status != OrderApiClient.PendingStatus)
                    {
                        finals.Add(view);
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // One failed GET is not the order's fate: it is read again next round.
                }

                stillPending.Add(id);
            });
            pending = [.. stillPending];
            if (pending.Count == 0 || _time.GetElapsedTime(deadline) >= options.DrainTimeout)
            {
                break;
            }

            await Task.Delay(options.DrainPollInterval, _time, cancellationToken);
        }

        return ([.. finals], pending.Count);
    }
}
