using System.Globalization;
using System.Xml.Linq;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Watch;

/// <summary>The age of a queue's oldest message, or why it is unknown.</summary>
internal sealed record OldestAge(TimeSpan? Age, string? Note)
{
    public static OldestAge Unknown(string note) => new(null, note);
}

/// <summary>ApproximateAgeOfOldestMessage is a CloudWatch metric, not a queue attribute. Reading it from SQS would
/// mean receiving messages, which changes their visibility and receive count: a monitor must not do that.</summary>
internal interface IOldestMessageAge
{
    /// <summary>One line for the operator on where the ages come from (or why there are none).</summary>
    string Explanation { get; }

    Task<OldestAge> GetAsync(string queueUrl, CancellationToken cancellationToken);
}

/// <summary>For emulators: fauxqs 1.9.2 keeps no such metric and has no CloudWatch, so "n/a" is the honest answer.</summary>
internal sealed class NoOldestMessageAge : IOldestMessageAge
{
    public string Explanation => "Oldest age: n/a locally (it is a CloudWatch metric; the emulators have no CloudWatch, and peeking would disturb the queues).";

    public Task<OldestAge> GetAsync(string queueUrl, CancellationToken cancellationToken) => Task.FromResult(OldestAge.Unknown("n/a"));
}

/// <summary>CloudWatch's AWS/SQS ApproximateAgeOfOldestMessage (Maximum of the newest 1-minute point) over a signed
/// Query call (no CloudWatch SDK package here). Each queue's value is cached for a minute: the metric changes no
/// faster, and a one-second watch would otherwise pay for 60 calls a minute per queue.</summary>
internal sealed class CloudWatchOldestMessageAge : IOldestMessageAge
{
    private static readonly TimeSpan _cacheFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan _lookBack = TimeSpan.FromMinutes(10);
    private readonly SignedAwsHttpClient _caller;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (OldestAge Value, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public CloudWatchOldestMessageAge(SignedAwsHttpClient caller, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(time);
        _caller = caller;
        _time = time;
    }

    public static CloudWatchOldestMessageAge Create(HttpClient http, string region, TimeProvider time)
    {
        var endpoint = AwsEndpoint.Resolve("CLOUDWATCH", "monitoring", region);
        return new CloudWatchOldestMessageAge(new SignedAwsHttpClient(http, SignedAwsHttpClient.DefaultCredentials(), region, "monitoring", endpoint, time), time);
    }

    public string Explanation => "Oldest age: CloudWatch ApproximateAgeOfOldestMessage (1-minute metric, lags by a minute or more).";

    public async Task<OldestAge> GetAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_cache.TryGetValue(queueUrl, out var cached) && now - cached.At < _cacheFor)
            {
                return cached.Value;
            }
        }

        OldestAge value;
        try
        {
            var form = AwsQuery.Form(
                ("Action", "GetMetricStatistics"),
                ("Version", "2010-08-01"),
                ("Namespace", "AWS/SQS"),
                ("MetricName", "ApproximateAgeOfOldestMessage"),
                ("Dimensions.member.1.Name", "QueueName"),
                ("Dimensions.member.1.Value", TargetResolver.QueueName(queueUrl)),
                ("StartTime", Iso(now - _lookBack)),
                ("EndTime", Iso(now)),
                ("Period", "60"),
                ("Statistics.member.1", "Maximum"));
            value = ParseNewestMaximum(await AwsQuery.CallAsync(_caller, "CloudWatch", form, cancellationToken));
        }
        catch (AwsServiceException ex)
        {
            value = OldestAge.Unknown("CloudWatch: " + ex.ErrorCode);
        }
        catch (HttpRequestException)
        {
            value = OldestAge.Unknown("CloudWatch unreachable");
        }

        lock (_gate)
        {
            _cache[queueUrl] = (value, now);
        }

        return value;
    }

    /// <summary>The Maximum of the newest datapoint; no datapoint means the queue was empty (SQS stops reporting).</summary>
    internal static OldestAge ParseNewestMaximum(XElement answer)
    {
        var datapoints = answer.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Datapoints");
        var newest = AwsQuery.Children(datapoints, "member")
            .Select(m => (At: DateTimeOffset.TryParse(AwsQuery.Child(m, "Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue,
                Max: double.TryParse(AwsQuery.Child(m, "Maximum"), NumberStyles.Float, CultureInfo.InvariantCulture, out var max) ? max : (double?)null))
            .Where(p => p.Max is not null)
            .OrderByDescending(p => p.At)
            .FirstOrDefault();
        return newest.Max is { } seconds
            ? new OldestAge(TimeSpan.FromSeconds(seconds), "at " + newest.At.ToString("HH:mm", CultureInfo.InvariantCulture) + "Z")
            : OldestAge.Unknown("no data");
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
