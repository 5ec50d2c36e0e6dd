using System.Text.Json;
using System.Text.Json.Serialization;
using Fanout.AwsShims.Signing;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Fanout.Cli.Insights;

/// <summary>One row of a Logs Insights answer: its fields by name (e.g. <c>@timestamp</c>, <c>@message</c>).</summary>
internal sealed record InsightsRow(IReadOnlyDictionary<string, string> Fields)
{
    public string? this[string field] => Fields.TryGetValue(field, out var value) ? value : null;
}

/// <summary>A <c>GetQueryResults</c> answer: <c>status</c> is one of Scheduled, Running, Complete, Failed, Cancelled,
/// Timeout, Unknown (CloudWatch Logs API Reference, "GetQueryResults").</summary>
internal sealed record InsightsResults(string Status, IReadOnlyList<InsightsRow> Rows)
{
    public bool IsFinished => Status is not ("Scheduled" or "Running");
}

/// <summary>CloudWatch Logs Insights over the AWS JSON 1.1 protocol (POST /, <c>Content-Type:
/// application/x-amz-json-1.1</c>, <c>X-Amz-Target: Logs_20140328.&lt;Action&gt;</c>), SigV4-signed with
/// <see cref="SignedAwsHttpClient"/> (signing name <c>logs</c>). Only the two calls <c>fanout trace</c> needs:
/// <c>StartQuery</c> and <c>GetQueryResults</c> (CloudWatch Logs API Reference).</summary>
internal sealed class LogsInsightsClient
{
    public const string ContentType = "application/x-amz-json-1.1";
    public const string TargetPrefix = "Logs_20140328.";

    /// <summary>The most rows one query returns (StartQuery's <c>limit</c> maximum).</summary>
    public const int MaxRows = 10_000;

    private readonly SignedAwsHttpClient _caller;

    public LogsInsightsClient(SignedAwsHttpClient caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        _caller = caller;
    }

    /// <summary>Starts <paramref name="queryString"/> over <paramref name="logGroupNames"/> between two instants
    /// (whole epoch seconds, as the API takes them); returns the <c>queryId</c>.</summary>
    /// <exception cref="AwsServiceException">CloudWatch Logs refused the call (e.g. <c>ResourceNotFoundException</c>
    /// for an unknown log group, <c>MalformedQueryException</c>).</exception>
    public async Task<string> StartQueryAsync(IReadOnlyList<string> logGroupNames, DateTimeOffset start, DateTimeOffset end, string queryString, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logGroupNames);
        ArgumentException.ThrowIfNullOrWhiteSpace(queryString);
        var request = new StartQueryRequest
        {
            LogGroupNames = [.. logGroupNames],
            StartTime = start.ToUnixTimeSeconds(),
            EndTime = end.ToUnixTimeSeconds(),
            QueryString = queryString,
            Limit = MaxRows,
        };
        var answer = await CallAsync("StartQuery", JsonSerializer.SerializeToUtf8Bytes(request, InsightsJsonContext.Default.StartQueryRequest), CallIdempotency.NotIdempotent, cancellationToken);
        return Deserialize(answer, InsightsJsonContext.Default.StartQueryResponse)?.QueryId is { Length: > 0 } id
            ? id
            : throw new AwsServiceException("CloudWatch Logs answered StartQuery without a queryId.");
    }

    /// <summary>The query's status and, once <c>Complete</c>, its rows.</summary>
    public async Task<InsightsResults> GetQueryResultsAsync(string queryId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queryId);
        var body = JsonSerializer.SerializeToUtf8Bytes(new GetQueryResultsRequest { QueryId = queryId }, InsightsJsonContext.Default.GetQueryResultsRequest);
        var answer = await CallAsync("GetQueryResults", body, CallIdempotency.Idempotent, cancellationToken);
        var parsed = Deserialize(answer, InsightsJsonContext.Default.GetQueryResultsResponse)
            ?? throw new AwsServiceException("CloudWatch Logs answered GetQueryResults with a body that is not JSON.");
        var rows = (parsed.Results ?? [])
            .Select(row => new InsightsRow(row.Where(f => f.Field is not null).GroupBy(f => f.Field!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value ?? "", StringComparer.Ordinal)))
            .ToList();
        return new InsightsResults(parsed.Status ?? "Unknown", rows);
    }

    /// <summary>Starts a query and polls <c>GetQueryResults</c> until it finishes or <paramref name="deadline"/>
    /// passes (then <see cref="TimeoutRejectedException"/>), waiting <paramref name="pollInterval"/> between polls.</summary>
    /// <exception cref="AwsServiceException">The query ended Failed, Cancelled, Timeout or Unknown.</exception>
    public async Task<IReadOnlyList<InsightsRow>> QueryAsync(
        IReadOnlyList<string> logGroupNames, DateTimeOffset start, DateTimeOffset end, string queryString, TimeSpan pollInterval, TimeSpan deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var queryId = await StartQueryAsync(logGroupNames, start, end, queryString, cancellationToken);
        var pipeline = new ResiliencePipelineBuilder<InsightsResults> { TimeProvider = time }
            .AddTimeout(deadline)
            .AddRetry(new RetryStrategyOptions<InsightsResults>
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Constant,
                Delay = pollInterval,
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { IsFinished: false }),
            })
            .Build();
        var results = await pipeline.ExecuteAsync(
            static async (state, token) => await state.Client.GetQueryResultsAsync(state.QueryId, token),
            (Client: this, QueryId: queryId),
            cancellationToken);
        return results.Status == "Complete"
            ? results.Rows
            : throw new AwsServiceException($"The Logs Insights query {queryId} ended {results.Status}.");
    }

    private async Task<string> CallAsync(string action, byte[] body, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Amz-Target"] = TargetPrefix + action };
        var result = await _caller.SendAsync(HttpMethod.Post, "/", ContentType, body, idempotency, headers, cancellationToken);
        if (!result.IsSuccess)
        {
            var error = Deserialize(result.Body, InsightsJsonContext.Default.ErrorResponse);
            throw new AwsServiceException("CloudWatch Logs " + action, result.ErrorCode ?? error?.Type ?? "Unknown", error?.Message ?? "", result.StatusCode);
        }

        return result.Body;
    }

    private static T? Deserialize<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal sealed class StartQueryRequest
{
    [JsonPropertyName("logGroupNames")]
    public List<string> LogGroupNames { get; set; } = [];

    [JsonPropertyName("startTime")]
    public long StartTime { get; set; }

    [JsonPropertyName("endTime")]
    public long EndTime { get; set; }

    [JsonPropertyName("queryString")]
    public string QueryString { get; set; } = "";

    [JsonPropertyName("limit")]
    public int Limit { get; set; }
}

internal sealed class StartQueryResponse
{
    [JsonPropertyName("queryId")]
    public string? QueryId { get; set; }
}

internal sealed class GetQueryResultsRequest
{
    [JsonPropertyName("queryId")]
    public string QueryId { get; set; } = "";
}

internal sealed class GetQueryResultsResponse
{
    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("results")]
    public List<List<ResultField>>? Results { get; set; }
}

internal sealed class ResultField
{
    [JsonPropertyName("field")]
    public string? Field { get; set; }

    [JsonPropertyName("value")]
    public string? Value { get; set; }
}

/// <summary>A JSON 1.1 error body: <c>{"__type":"…","message":"…"}</c>.</summary>
internal sealed class ErrorResponse
{
    [JsonPropertyName("__type")]
    public string? Type { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

[JsonSerializable(typeof(StartQueryRequest))]
[JsonSerializable(typeof(StartQueryResponse))]
[JsonSerializable(typeof(GetQueryResultsRequest))]
[JsonSerializable(typeof(GetQueryResultsResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class InsightsJsonContext : JsonSerializerContext;
