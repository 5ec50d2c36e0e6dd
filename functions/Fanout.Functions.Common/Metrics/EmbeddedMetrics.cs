using System.Text;
using System.Text.Json;

namespace Fanout.Functions.Common.Metrics;

/// <summary>Writes CloudWatch metrics as log lines in the Embedded Metric Format (AWS, "Specification: Embedded metric
/// format"): one JSON object per line on the function's stdout, which Lambda sends to CloudWatch Logs, where the
/// metric is extracted. No CloudWatch API call, so nothing is added to the invocation's latency.</summary>
/// <remarks>Shape of a line: <c>{"_aws":{"Timestamp":&lt;epoch ms&gt;,"CloudWatchMetrics":[{"Namespace":"Fanout",
/// "Dimensions":[["Service"]],"Metrics":[{"Name":"StuckOrders","Unit":"Count"}]}]},"Service":"orders","StuckOrders":3}</c>.</remarks>
public sealed class EmbeddedMetrics
{
    /// <summary>The unit of a plain count (one of the units CloudWatch accepts).</summary>
    public const string CountUnit = "Count";

    /// <summary>The one dimension every Fanout metric carries.</summary>
    public const string ServiceDimension = "Service";

    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public EmbeddedMetrics(TextWriter output, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(time);
        _output = output;
        _time = time;
    }

    /// <summary>Writes one line recording <paramref name="value"/> for metric <paramref name="name"/> in
    /// <paramref name="metricNamespace"/>, dimension <c>Service</c> = <paramref name="service"/>, stamped with the
    /// current time.</summary>
    public void Put(string metricNamespace, string service, string name, string unit, double value)
    {
        var line = Format(_time.GetUtcNow(), metricNamespace, service, name, unit, value);
        lock (_gate)
        {
            _output.WriteLine(line);
        }
    }

    /// <summary>The EMF line (without its newline).</summary>
    /// <exception cref="ArgumentException">A name is blank, <paramref name="name"/> collides with the <c>Service</c>
    /// dimension or the reserved <c>_aws</c> member, or <paramref name="value"/> is not a finite number (CloudWatch
    /// rejects NaN and infinities).</exception>
    public static string Format(DateTimeOffset timestamp, string metricNamespace, string service, string name, string unit, double value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metricNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(unit);
        if (name is ServiceDimension or "_aws")
        {
            throw new ArgumentException($"A metric cannot be named '{name}': the line already has a member of that name.", nameof(name));
        }

        if (!double.IsFinite(value))
        {
            throw new ArgumentException("A metric value must be a finite number.", nameof(value));
        }

        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", timestamp.ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", metricNamespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue(ServiceDimension);
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            json.WriteStartObject();
            json.WriteString("Name", name);
            json.WriteString("Unit", unit);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString(ServiceDimension, service);
            json.WriteNumber(name, value);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
