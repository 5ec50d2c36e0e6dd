using System.Text;
using System.Text.Json;
using Fanout.Contracts.Topology;

namespace Fanout.Functions.Common.Metrics;

/// <summary>One metric value of an EMF line: its name (<see cref="FanoutMetrics"/>), CloudWatch unit and a finite value.</summary>
public readonly record struct MetricDatum(string Name, string Unit, double Value);

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

        return Write(timestamp, metricNamespace, service, null, [new MetricDatum(name, unit, value)], default);
    }

    /// <summary>Writes one line with several metrics in namespace <see cref="FanoutMetrics.Namespace"/> sharing the
    /// dimension <c>Service</c> = <paramref name="service"/>, and also <c>[Service, EventType]</c> when
    /// <paramref name="eventType"/> is given. <paramref name="properties"/> are written as plain string members
    /// (CloudWatch keeps them in the log event and Logs Insights can query them, but they create no metric); a null
    /// value is left out.</summary>
    public void Put(string service, string? eventType, ReadOnlySpan<MetricDatum> metrics, ReadOnlySpan<(string Key, string? Value)> properties = default)
    {
        var line = Format(_time.GetUtcNow(), service, eventType, metrics, properties);
        lock (_gate)
        {
            _output.WriteLine(line);
        }
    }

    /// <summary>The multi-metric EMF line (without its newline). Shape:
    /// <c>{"_aws":{"Timestamp":ms,"CloudWatchMetrics":[{"Namespace":"Fanout","Dimensions":[["Service"],["Service","EventType"]],
    /// "Metrics":[{"Name":"QueueWaitTime","Unit":"Milliseconds"},…]}]},"Service":"sms","EventType":"OrderPlaced",
    /// "QueueWaitTime":4,…,"orderId":"…"}</c>.</summary>
    /// <exception cref="ArgumentException">No metric; a blank or repeated name; a metric or property named like a
    /// member the line already has (<c>_aws</c>, <c>Service</c>, <c>EventType</c>); a value that is not finite.</exception>
    public static string Format(DateTimeOffset timestamp, string service, string? eventType, ReadOnlySpan<MetricDatum> metrics, ReadOnlySpan<(string Key, string? Value)> properties)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        if (metrics.IsEmpty)
        {
            throw new ArgumentException("An EMF line needs at least one metric.", nameof(metrics));
        }

        if (eventType is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        }

        // Names are checked by a linear scan, not a set: a line has a dozen members at most, and this runs once per
        // SQS record, so it should not allocate.
        for (var i = 0; i < metrics.Length; i++)
        {
            var metric = metrics[i];
            ArgumentException.ThrowIfNullOrWhiteSpace(metric.Name, nameof(metrics));
            ArgumentException.ThrowIfNullOrWhiteSpace(metric.Unit, nameof(metrics));
            if (IsReserved(metric.Name) || IndexOf(metrics[..i], metric.Name) >= 0)
            {
                throw new ArgumentException($"A metric cannot be named '{metric.Name}': the line already has a member of that name.", nameof(metrics));
            }

            if (!double.IsFinite(metric.Value))
            {
                throw new ArgumentException("A metric value must be a finite number.", nameof(metrics));
            }
        }

        for (var i = 0; i < properties.Length; i++)
        {
            var key = properties[i].Key;
            ArgumentException.ThrowIfNullOrWhiteSpace(key, nameof(properties));
            if (IsReserved(key) || IndexOf(metrics, key) >= 0 || IndexOf(properties[..i], key) >= 0)
            {
                throw new ArgumentException($"A property cannot be named '{key}': the line already has a member of that name.", nameof(properties));
            }
        }

        return Write(timestamp, FanoutMetrics.Namespace, service, eventType, metrics, properties);
    }

    /// <summary>The EMF document of already-checked arguments: dimension sets <c>[Service]</c> and, with an event type,
    /// <c>[Service, EventType]</c>; the metrics' values; the non-null properties as strings.</summary>
    private static string Write(DateTimeOffset timestamp, string metricNamespace, string service, string? eventType, ReadOnlySpan<MetricDatum> metrics, ReadOnlySpan<(string Key, string? Value)> properties)
    {
        using var buffer = new MemoryStream(512);
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
            json.WriteStringValue(FanoutMetrics.ServiceDimension);
            json.WriteEndArray();
            if (eventType is not null)
            {
                json.WriteStartArray();
                json.WriteStringValue(FanoutMetrics.ServiceDimension);
                json.WriteStringValue(FanoutMetrics.EventTypeDimension);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var metric in metrics)
            {
                json.WriteStartObject();
                json.WriteString("Name", metric.Name);
                json.WriteString("Unit", metric.Unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString(FanoutMetrics.ServiceDimension, service);
            if (eventType is not null)
            {
                json.WriteString(FanoutMetrics.EventTypeDimension, eventType);
            }

            foreach (var metric in metrics)
            {
                json.WriteNumber(metric.Name, metric.Value);
            }

            foreach (var (key, value) in properties)
            {
                if (value is not null)
                {
                    json.WriteString(key, value);
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static bool IsReserved(string name) => name is "_aws" or FanoutMetrics.ServiceDimension or FanoutMetrics.EventTypeDimension;

    private static int IndexOf(ReadOnlySpan<MetricDatum> metrics, string name)
    {
        for (var i = 0; i < metrics.Length; i++)
        {
            if (string.Equals(metrics[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOf(ReadOnlySpan<(string Key, string? Value)> properties, string name)
    {
        for (var i = 0; i < properties.Length; i++)
        {
            if (string.Equals(properties[i].Key, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
