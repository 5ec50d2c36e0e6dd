using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Metrics;

namespace Fanout.Functions.Common.Logging;

public enum LogLevel
{
    Debug = 0,
    Information = 1,
    Warning = 2,
    Error = 3,
}

/// <summary>Structured JSON log lines (one object per line, as CloudWatch Logs Insights likes them). Every
/// line carries the service name, the Lambda request id of the invocation in progress
/// (<see cref="Runtime.InvocationContext"/>), the current correlation id from <see cref="CorrelationContext"/> and the
/// W3C <c>traceparent</c> of the hop in progress from <see cref="Tracing.TraceScope"/>, each when known. It also writes
/// the function's Embedded Metric Format lines (<see cref="Metrics"/>) to the same output, so the two never interleave
/// mid-line.
/// An exception is written as its type and <see cref="ErrorText.Describe"/>, never an AWS error's own message.</summary>
public sealed class FanoutLogger
{
    private readonly string _service;
    private readonly TimeProvider _time;
    private readonly TextWriter _output;
    private readonly LogLevel _minimum;
    private readonly Lock _gate = new();

    public FanoutLogger(string service, TimeProvider time, TextWriter output, LogLevel minimum = LogLevel.Information)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(output);
        _service = service;
        _time = time;
        _output = output;
        _minimum = minimum;
    }

    public void Debug(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Debug, message, null, fields);

    public void Info(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Information, message, null, fields);

    public void Warn(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Warning, message, null, fields);

    public void Error(string message, Exception? exception, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Error, message, exception, fields);

    public bool IsEnabled(LogLevel level) => level >= _minimum;

    /// <summary>The service name every line carries (also the EMF <c>Service</c> dimension).</summary>
    public string Service => _service;

    /// <summary>Writes one CloudWatch Embedded Metric Format line (<see cref="EmbeddedMetrics.Format(DateTimeOffset, string, string?, ReadOnlySpan{MetricDatum}, ReadOnlySpan{ValueTuple{string, string}})"/>)
    /// with dimension <c>Service</c> = <see cref="Service"/> (and <c>EventType</c> when given), stamped now; whatever
    /// the log level.</summary>
    /// <exception cref="ArgumentException">As <see cref="EmbeddedMetrics.Format(DateTimeOffset, string, string?, ReadOnlySpan{MetricDatum}, ReadOnlySpan{ValueTuple{string, string}})"/>.</exception>
    public void Metrics(string? eventType, ReadOnlySpan<MetricDatum> metrics, ReadOnlySpan<(string Key, string? Value)> properties)
    {
        var line = EmbeddedMetrics.Format(_time.GetUtcNow(), _service, eventType, metrics, properties);
        lock (_gate)
        {
            _output.WriteLine(line);
        }
    }

    private void Write(LogLevel level, string message, Exception? exception, ReadOnlySpan<(string Key, object? Value)> fields)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", _time.GetUtcNow());
            json.WriteString("level", level.ToString());
            json.WriteString("service", _service);
            json.WriteString("message", message);
            if (Runtime.InvocationContext.Current is { } invocation)
            {
                json.WriteString("requestId", invocation.AwsRequestId);
            }

            if (CorrelationContext.Current is { } correlationId)
            {
                json.WriteString("correlationId", correlationId);
            }

            if (Tracing.TraceScope.Current is { } trace)
            {
                json.WriteString(EventAttributes.TraceParent, trace.Value);
            }

            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(key);
                        break;
                    case int i:
                        json.WriteNumber(key, i);
                        break;
                    case long l:
                        json.WriteNumber(key, l);
                        break;
                    case double d:
                        json.WriteNumber(key, d);
                        break;
                    case bool b:
                        json.WriteBoolean(key, b);
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }

            if (exception is not null)
            {
                json.WriteString("errorType", exception.GetType().Name);
                json.WriteString("error", ErrorText.Describe(exception));
            }

            json.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_gate)
        {
            _output.WriteLine(line);
        }
    }
}

/// <summary>The correlation id of the work in progress, flowing with async calls.</summary>
public static class CorrelationContext
{
    private static readonly AsyncLocal<string?> CurrentId = new();

    public static string? Current => CurrentId.Value;

    /// <summary>Sets the id until the returned scope is disposed.</summary>
    public static Scope Begin(string? correlationId)
    {
        var previous = CurrentId.Value;
        CurrentId.Value = correlationId;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly string? _previous;

        internal Scope(string? previous) => _previous = previous;

        public void Dispose() => CurrentId.Value = _previous;
    }
}
