using System.Text.Json.Serialization;

namespace Fanout.Cli.Load;

/// <summary>The end-of-run numbers (also printed as JSON with <c>fanout load --json</c>).</summary>
internal sealed record LoadSummary
{
    public int Requested { get; init; }

    /// <summary>POSTs started.</summary>
    public int Sent { get; init; }

    /// <summary>202 Accepted.</summary>
    public int Accepted { get; init; }

    /// <summary>4xx: the API refused the request.</summary>
    public int Rejected { get; init; }

    /// <summary>5xx, or no answer at all (network error, client timeout).</summary>
    public int Errors { get; init; }

    /// <summary>Accepted orders that reached COMPLETED.</summary>
    public int Completed { get; init; }

    /// <summary>Accepted orders that reached REJECTED (inventory had no stock): fanned out, not fulfilled.</summary>
    public int OutOfStock { get; init; }

    /// <summary>Accepted orders still PENDING at the fan-out deadline.</summary>
    public int TimedOut { get; init; }

    /// <summary>Orders whose POST or fan-out Ctrl-C interrupted.</summary>
    public int Unfinished { get; init; }

    public LatencySummary? PostLatency { get; init; }

    /// <summary>Server-side fan-out: the order's <c>createdAt</c> to its <c>completedAt</c>, as GET /orders/{id} reports
    /// them (the server's clock; independent of how often the order was polled).</summary>
    public LatencySummary? FanoutLatency { get; init; }

    /// <summary>Per service (<c>inventory</c>, <c>sms</c>, <c>email</c>): <c>createdAt</c> to <c>appliedAt[service]</c>,
    /// when that service's outcome was applied to the order (server clock).</summary>
    public IReadOnlyDictionary<string, LatencySummary> ServiceLatency { get; init; } = new Dictionary<string, LatencySummary>();

    public double TargetRatePerSecond { get; init; }

    /// <summary>POSTs answered per second, from the first POST's start to the last POST's end.</summary>
    public double AchievedRatePerSecond { get; init; }

    public double SendSeconds { get; init; }

    public bool Cancelled { get; init; }

    /// <summary>Up to five distinct reasons orders were not accepted, with counts.</summary>
    public IReadOnlyList<ErrorCount> TopErrors { get; init; } = [];

    [JsonIgnore]
    public bool AllSucceeded => !Cancelled && Sent == Requested && Accepted == Sent && TimedOut == 0 && Unfinished == 0;

    public static LoadSummary From(LoadRunResult run, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var outcomes = run.Outcomes;
        return new LoadSummary
        {
            Requested = options.Orders,
            Sent = outcomes.Count,
            Accepted = outcomes.Count(o => o.Accepted),
            Rejected = outcomes.Count(o => o.HttpStatus is >= 400 and < 500),
            Errors = outcomes.Count(o => !o.Cancelled && (o.HttpStatus == 0 || o.HttpStatus >= 500)),
            Completed = outcomes.Count(o => o.FinalStatus == "COMPLETED"),
            OutOfStock = outcomes.Count(o => o.FinalStatus == "REJECTED"),
            TimedOut = outcomes.Count(o => o.FanoutTimedOut),
            Unfinished = outcomes.Count(o => o.Cancelled),
            PostLatency = Percentiles.Summarize(outcomes.Where(o => o.HttpStatus != 0).Select(o => o.PostLatency)),
            FanoutLatency = Percentiles.Summarize(outcomes.Where(o => o.FanoutLatency is not null).Select(o => o.FanoutLatency!.Value)),
            ServiceLatency = outcomes.SelectMany(o => o.ServiceLatency)
                .GroupBy(p => p.Key, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Percentiles.Summarize(g.Select(p => p.Value))!, StringComparer.Ordinal),
            TargetRatePerSecond = options.RatePerSecond,
            SendSeconds = Math.Round(run.SendDuration.TotalSeconds, 3),
            AchievedRatePerSecond = run.SendDuration > TimeSpan.Zero ? Math.Round(outcomes.Count(o => o.HttpStatus != 0) / run.SendDuration.TotalSeconds, 2) : 0,
            Cancelled = run.Cancelled,
            TopErrors = [.. outcomes.Where(o => o.Error is not null && !o.Cancelled)
                .GroupBy(o => o.Error!, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count())
                .Take(5)
                .Select(g => new ErrorCount(g.Key, g.Count()))],
        };
    }
}

internal sealed record ErrorCount(string Error, int Count);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LoadSummary))]
internal sealed partial class LoadJsonContext : JsonSerializerContext;
