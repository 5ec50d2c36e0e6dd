using System.Net;
using Fanout.Cli.Api;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Load;

internal sealed record LoadOptions
{
    public int Orders { get; init; } = 100;

    public double RatePerSecond { get; init; } = 10;

    /// <summary>POSTs in flight at once (fan-out polls have their own, equal, allowance).</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>How long after its POST started an order may stay PENDING before it counts as timed out.</summary>
    public TimeSpan FanoutTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The first poll comes this soon after acceptance; the gap then grows by half each time...</summary>
    public TimeSpan FirstPollDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>...up to this, which bounds both the measurement's resolution and the GET load.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>What happened to one order.</summary>
internal sealed record OrderOutcome
{
    /// <summary>The POST's HTTP status, or 0 when no answer came (network error, timeout, cancelled).</summary>
    public int HttpStatus { get; init; }

    public TimeSpan PostLatency { get; init; }

    public string? OrderId { get; init; }

    /// <summary>COMPLETED or REJECTED once the order left PENDING.</summary>
    public string? FinalStatus { get; init; }

    /// <summary>The server's fan-out time: the order's <c>createdAt</c> to its <c>completedAt</c> (GET /orders/{id}),
    /// both from the server's clock, so the poll that found them does not change it. Null when the answer lacks them.</summary>
    public TimeSpan? FanoutLatency { get; init; }

    /// <summary>Per service (inventory, sms, email): the order's <c>createdAt</c> to <c>appliedAt[service]</c>.</summary>
    public IReadOnlyDictionary<string, TimeSpan> ServiceLatency { get; init; } = new Dictionary<string, TimeSpan>();

    public bool FanoutTimedOut { get; init; }

    /// <summary>Ctrl-C stopped the run before this order's POST answered or its fan-out was seen.</summary>
    public bool Cancelled { get; init; }

    public string? Error { get; init; }

    public bool Accepted => HttpStatus == (int)HttpStatusCode.Accepted && OrderId is not null;
}

internal sealed record LoadRunResult(IReadOnlyList<OrderOutcome> Outcomes, TimeSpan SendDuration, bool Cancelled);

/// <summary>Told as orders progress (from many threads at once).</summary>
internal interface ILoadObserver
{
    void Posted(OrderOutcome outcome);

    /// <summary>The order is settled: final, timed out, cancelled, or never accepted.</summary>
    void Settled(OrderOutcome outcome);
}

/// <summary>Sends N orders at a steady rate with bounded concurrency, then follows each accepted order with GETs
/// until it leaves PENDING, timing the POST; the fan-out time is the server's own (<c>createdAt</c> to
/// <c>completedAt</c> and to each <c>appliedAt</c>), the polls only discover it. Never throws for a single order's failure: every
/// order ends as an <see cref="OrderOutcome"/>.</summary>
internal sealed class LoadRunner
{
    private readonly OrderApiClient _api;
    private readonly TimeProvider _time;

    public LoadRunner(OrderApiClient api, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(time);
        _api = api;
        _time = time;
    }

    public async Task<LoadRunResult> RunAsync(LoadOptions options, Func<int, PlaceOrderCommand> nextOrder, ILoadObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nextOrder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Orders);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Concurrency);
        var limiter = new RateLimiter(options.RatePerSecond, burst: 1, _time);
        using var postSlots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        using var pollSlots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        var running = new List<Task<OrderOutcome>>(options.Orders);
        var started = _time.GetTimestamp();
        long lastPostEnded = started;
        var cancelled = false;
        try
        {
            for (var i = 0; i < options.Orders; i++)
            {
                await limiter.WaitAsync(cancellationToken);
                await postSlots.WaitAsync(cancellationToken);
                var order = nextOrder(i);
                running.Add(RunOneAsync(order, postSlots, pollSlots, options, observer, () => Interlocked.Exchange(ref lastPostEnded, _time.GetTimestamp()), cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }

        var outcomes = await Task.WhenAll(running);
        return new LoadRunResult(outcomes, _time.GetElapsedTime(started, Interlocked.Read(ref lastPostEnded)), cancelled || cancellationToken.IsCancellationRequested);
    }

    private async Task<OrderOutcome> RunOneAsync(
        PlaceOrderCommand order,
        SemaphoreSlim postSlots,
        SemaphoreSlim pollSlots,
        LoadOptions options,
        ILoadObserver? observer,
        Action postEnded,
        CancellationToken cancellationToken)
    {
        var postStart = _time.GetTimestamp();
        OrderOutcome outcome;
        try
        {
            // No key given: the client sends a new UUID per order, as the API requires one.
            var placed = await _api.PlaceAsync(order, idempotencyKey: null, cancellationToken);
            outcome = new OrderOutcome
            {
                HttpStatus = (int)placed.Status,
                PostLatency = _time.GetElapsedTime(postStart),
                OrderId = placed.OrderId,
                Error = placed.Accepted ? null : Describe(placed),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = new OrderOutcome { PostLatency = _time.GetElapsedTime(postStart), Cancelled = true, Error = "cancelled" };
        }
        catch (OperationCanceledException)
        {
            outcome = new OrderOutcome { PostLatency = _time.GetElapsedTime(postStart), Error = "timed out waiting for the API" };
        }
        catch (HttpRequestException ex)
        {
            outcome = new OrderOutcome { PostLatency = _time.GetElapsedTime(postStart), Error = ex.Message };
        }
        finally
        {
            postSlots.Release();
            postEnded();
        }

        observer?.Posted(outcome);
        if (outcome.Accepted)
        {
            outcome = await FollowAsync(outcome, postStart, pollSlots, options, cancellationToken);
        }

        observer?.Settled(outcome);
        return outcome;
    }

    private async Task<OrderOutcome> FollowAsync(OrderOutcome outcome, long postStart, SemaphoreSlim pollSlots, LoadOptions options, CancellationToken cancellationToken)
    {
        var delay = options.FirstPollDelay;
        while (true)
        {
            var remaining = options.FanoutTimeout - _time.GetElapsedTime(postStart);
            if (remaining <= TimeSpan.Zero)
            {
                return outcome with { FanoutTimedOut = true };
            }

            try
            {
                await Task.Delay(delay < remaining ? delay : remaining, _time, cancellationToken);
                await pollSlots.WaitAsync(cancellationToken);
                try
                {
                    var got = await _api.GetAsync(outcome.OrderId!, cancellationToken);
                    if (got.Order is { } view && view.Status != OrderApiClient.PendingStatus)
                    {
                        return outcome with
                        {
                            FinalStatus = view.Status,
                            FanoutLatency = view.CompletedAt is { } completedAt && completedAt >= view.CreatedAt ? completedAt - view.CreatedAt : null,
                            ServiceLatency = view.AppliedAt.Where(a => a.Value >= view.CreatedAt).ToDictionary(a => a.Key, a => a.Value - view.CreatedAt, StringComparer.Ordinal),
                        };
                    }
                }
                finally
                {
                    pollSlots.Release();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return outcome with { Cancelled = true };
            }
            catch (OperationCanceledException)
            {
                // One slow GET is not the order's fate; keep polling until the fan-out deadline.
            }
            catch (HttpRequestException)
            {
                // Likewise for a dropped connection.
            }

            delay = TimeSpan.FromTicks(Math.Min(options.MaxPollInterval.Ticks, (long)(delay.Ticks * 1.5)));
        }
    }

    private static string Describe(PostOrderResult placed) =>
        placed.Status == HttpStatusCode.Unauthorized
            ? "HTTP 401 Unauthorized: the access token was refused (expired, or not issued for this API)"
            : placed.Problem is { } problem
            ? $"HTTP {(int)placed.Status} {problem.Title}{(problem.Errors is { Count: > 0 } errors ? ": " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")) : "")}"
            : $"HTTP {(int)placed.Status}";
}
