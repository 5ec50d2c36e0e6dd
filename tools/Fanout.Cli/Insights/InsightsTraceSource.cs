using Fanout.Cli.Trace;

namespace Fanout.Cli.Insights;

/// <summary>The log lines of one order's journey from a deployed stack: a Logs Insights query for the lines that
/// name the order, then one for the lines of the trace ids those carry (so lines without an <c>orderId</c> join),
/// both fed to <see cref="OrderTrace"/> like the local log.</summary>
internal sealed class InsightsTraceSource
{
    private readonly LogsInsightsClient _client;
    private readonly TimeProvider _time;

    public InsightsTraceSource(LogsInsightsClient client, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        _client = client;
        _time = time;
    }

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one query may run before the trace gives up (Logs Insights itself stops at 60 minutes).</summary>
    public TimeSpan QueryDeadline { get; init; } = TimeSpan.FromMinutes(2);

    public async Task<IReadOnlyList<FunctionLogLine>> ReadAsync(IReadOnlyList<string> logGroups, string orderId, TimeSpan lookBack, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logGroups);
        var end = _time.GetUtcNow();
        var start = end - lookBack;
        var lines = Parse(await _client.QueryAsync(logGroups, start, end, QueryFor([orderId]), PollInterval, QueryDeadline, _time, cancellationToken));
        var traceIds = lines.Where(l => l.OrderId == orderId).Select(l => l.TraceId).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (traceIds.Count == 0)
        {
            return lines;
        }

        // The second query finds again the lines that carry both ids; Distinct drops those copies.
        var joined = Parse(await _client.QueryAsync(logGroups, start, end, QueryFor(traceIds), PollInterval, QueryDeadline, _time, cancellationToken));
        return [.. lines.Concat(joined).Distinct()];
    }

    /// <summary>The query for lines containing any of <paramref name="needles"/> (order ids, trace ids), oldest first.
    /// Needles are checked to hold only characters that need no quoting.</summary>
    internal static string QueryFor(IReadOnlyList<string> needles)
    {
        foreach (var needle in needles)
        {
            if (needle.Length == 0 || !needle.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':' or '.'))
            {
                throw new FormatException($"'{needle}' is not an order or trace id (letters, digits, '-', '_', ':', '.').");
            }
        }

        var filter = string.Join(" or ", needles.Select(n => "@message like \"" + n + "\""));
        return $"fields @timestamp, @message | filter {filter} | sort @timestamp asc | limit {LogsInsightsClient.MaxRows}";
    }

    private static List<FunctionLogLine> Parse(IReadOnlyList<InsightsRow> rows) =>
        [.. rows.Select(r => FunctionLogParser.TryParse(r["@message"])).OfType<FunctionLogLine>()];
}
