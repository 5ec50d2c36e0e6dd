using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Outbox;

/// <summary>One publish the topic accepted: which function made it, of what, and when (on <see cref="PublishRecorder.Clock"/>).</summary>
public sealed record RecordedPublish(string Function, string EventId, string Type, TimeSpan At);

/// <summary>Counts publishes per function by wrapping every function's publisher (<see cref="LocalFanoutOptions.DecoratePublisher"/>):
/// a publish is recorded once the topic accepted it, with the time, so tests can count extra publishes and measure how long a
/// fact took to go out.</summary>
public sealed class PublishRecorder
{
    private readonly ConcurrentQueue<RecordedPublish> _publishes = new();

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public IReadOnlyList<RecordedPublish> All => [.. _publishes];

    public IReadOnlyList<RecordedPublish> Of(string eventId) => [.. _publishes.Where(p => p.EventId == eventId)];

    public IEventPublisher Wrap(string function, IEventPublisher inner) => new Recording(function, inner, this);

    private sealed class Recording(string function, IEventPublisher inner, PublishRecorder recorder) : IEventPublisher
    {
        public async Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            await inner.PublishAsync(outgoing, cancellationToken);
            recorder._publishes.Enqueue(new RecordedPublish(function, outgoing.Id, outgoing.Type, recorder.Clock.Elapsed));
        }
    }
}

/// <summary>The functions' log, kept in memory line by line (thread-safe), so tests can read what a function wrote,
/// e.g. an EMF metric line.</summary>
public sealed class CapturedLog : TextWriter
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _current = new();
    private readonly List<string> _lines = [];

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                _lines.Add(_current.ToString().TrimEnd('\r'));
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            _lines.Add(_current.Append(value).ToString());
            _current.Clear();
        }
    }

    /// <summary>The lines that are JSON objects with member <paramref name="name"/>.</summary>
    public IReadOnlyList<JsonElement> ObjectsWith(string name)
    {
        var found = new List<JsonElement>();
        foreach (var line in Lines)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.TryGetProperty(name, out _))
                {
                    found.Add(document.RootElement.Clone());
                }
            }
            catch (JsonException)
            {
            }
        }

        return found;
    }
}

/// <summary>A local Fanout with the outbox's drivers instrumented: every publish recorded per function, the intake's crash
/// switch, the function log captured, and the reconciler left to the tests (its schedule is an hour).</summary>
public class OutboxFixture : FanoutFixture
{
    public PublishRecorder Publishes { get; } = new();

    public IntakeCrashSwitch IntakeCrash { get; } = new();

    public CapturedLog FunctionLog { get; } = new();

    protected override LocalFanoutOptions Options => base.Options with
    {
        DecoratePublisher = Publishes.Wrap,
        IntakeCrash = IntakeCrash,
        FunctionLog = FunctionLog,
        ReconcilerPeriod = TimeSpan.FromHours(1),
    };
}

public static class OutboxTestData
{
    /// <summary>The order id inside an OrderPlaced envelope (<c>data.orderId</c>).</summary>
    public static string OrderIdOf(OutgoingEvent placed)
    {
        ArgumentNullException.ThrowIfNull(placed);
        using var envelope = JsonDocument.Parse(placed.Json);
        return envelope.RootElement.GetProperty("data").GetProperty("orderId").GetString()!;
    }

    public static Dictionary<string, string> Key(string key) => new() { ["Idempotency-Key"] = key };
}
